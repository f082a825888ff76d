//! `reset` (development only): drops and recreates the service's schema, applies every
//! migration, runs the seed, as `prisma migrate reset`. Refuses a database that is not on this
//! machine unless forced; the confirmation prompt is the command line's job.

use std::time::Duration;

use crate::config;
use crate::connection::{self, quote_ident};
use crate::database_url::DatabaseUrl;
use crate::error::Error;
use crate::lock;
use crate::migrator::{self, Progress};
use crate::source::{Service, Workspace};

#[derive(Debug, serde::Serialize)]
pub struct Reset {
    pub service: String,
    /// Redacted.
    pub url: String,
    pub applied: usize,
    /// The seed's output tail, or why there is none.
    pub seed: String,
}

/// Refuses unless the database is on this machine (loopback or a socket) or `force`.
pub fn check_local(service: &Service, url: &DatabaseUrl, force: bool) -> Result<(), Error> {
    if url.is_local() || force {
        return Ok(());
    }
    Err(Error::Config(format!(
        "refusing to reset service `{}`: its database {url} is not on this machine, and reset deletes every table and row of schema `{}`. Reset is for development databases; pass --force if this is one",
        service.name, url.schema
    )))
}

pub fn reset(
    ws: &Workspace,
    service: &Service,
    url: &DatabaseUrl,
    lock_timeout: Duration,
    progress: Progress,
) -> Result<Reset, Error> {
    let name = service.name.as_str();
    // Read and check everything before deleting anything.
    service.migrations()?;
    let config = config::verify_config(&ws.root, service)?;
    let (mut client, _) = connection::connect_or_create(url)?;
    lock::acquire(&mut client, url, lock_timeout, &mut |holder| {
        progress(
            name,
            &format!("waiting for the migration lock, held by {holder}"),
        )
    })?;
    let schema = quote_ident(&url.schema);
    let dropped = client
        .batch_execute(&format!(
            "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"
        ))
        .map_err(|e| Error::database(format!("recreating schema `{}`", url.schema), &e));
    lock::release(&mut client);
    drop(client);
    dropped?;
    progress(
        name,
        &format!("dropped and recreated schema `{}`", url.schema),
    );

    let options = migrator::Options {
        lock_timeout,
        ..migrator::Options::default()
    };
    let report = migrator::migrate_service(service, Ok(url.clone()), &options, progress);
    report.result?;
    let seed = match crate::verify::seed(service, &config, url) {
        None => crate::verify::no_seed(service),
        Some(work) => {
            progress(name, "seeding");
            match work() {
                Ok(((), out)) => out.unwrap_or_else(|| "seed ran".into()),
                Err(message) => {
                    return Err(Error::MigrationFailed(format!(
                        "the migrations of `{name}` were applied, but its seed failed:\n{message}"
                    )));
                }
            }
        }
    };
    Ok(Reset {
        service: name.to_string(),
        url: url.to_string(),
        applied: report.applied.len(),
        seed,
    })
}
