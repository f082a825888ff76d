//! `reset` (development only): drops and recreates the service's schema, applies every
//! migration, runs the seed, as `prisma migrate reset`. Refuses a database that is not on this
//! machine unless forced; the confirmation prompt is the command line's job.

use crate::config;
use crate::db::{self, DatabaseUrl, quote_ident};
use crate::error::Error;
use crate::migrate::{self, MigrateOptions};
use crate::parallel::Progress;
use crate::seed;
use crate::workspace::{Service, Workspace};

#[derive(Debug, serde::Serialize)]
/// What `reset` did to one service's database.
pub struct Reset {
    /// The service.
    pub service: String,
    /// Redacted.
    pub url: String,
    /// Migrations applied after the schema was dropped.
    pub applied: usize,
    /// The seed's output tail, or why there is none.
    pub seed: String,
}

/// The development commands (`reset`, `dev`, `seed`, `push`) refuse a database that is not on
/// this machine (loopback or a socket) unless `force`: `verb` is the command, `why` what it
/// would do to the database.
pub fn check_local(
    service: &Service,
    url: &DatabaseUrl,
    force: bool,
    verb: &str,
    why: &str,
) -> Result<(), Error> {
    if url.is_local() || force {
        return Ok(());
    }
    Err(Error::Config(format!(
        "refusing to run `{verb}` on service `{}`: its database {url} is not on this machine, and {why}. `{verb}` is for development databases; pass --force if this is one",
        service.name
    )))
}

/// [`check_local`] for `reset`.
pub fn check_reset_allowed(service: &Service, url: &DatabaseUrl, force: bool) -> Result<(), Error> {
    let why = format!(
        "reset deletes every table and row of schema `{}`",
        url.schema
    );
    check_local(service, url, force, "reset", &why)
}

/// What [`run_seed`] did.
pub enum Seeded {
    /// The service has no seed: why, and how to give it one.
    None(String),
    /// What ran and its output's tail (passwords redacted).
    Ran(String),
    /// The seed failed: its output.
    Failed(String),
}

/// The service's seed against `url`, as Prisma's `db seed` runs it ([`seed::find_seed`]), with
/// the children's environment rules and dependencies installed when missing. Used by `seed`
/// and `reset`.
pub fn run_seed(
    ws: &Workspace,
    service: &Service,
    url: &DatabaseUrl,
    progress: Progress,
) -> Result<Seeded, Error> {
    let name = service.name.as_str();
    let config = config::verify_config(&ws.root, service)?;
    let Some(found) = seed::find_seed(service, &config)? else {
        return Ok(Seeded::None(seed::no_seed(service)));
    };
    progress(name, &format!("seeding: {}", found.describe()));
    let forget = seed::datasource_variables(&ws.services().unwrap_or_default());
    let installed =
        match seed::install_dependencies(ws, service, config.timeout, &|m| progress(name, m)) {
            Ok(note) => note,
            Err(message) => return Ok(Seeded::Failed(message)),
        };
    Ok(
        match seed::run(ws, service, &found, url, &forget, config.timeout) {
            Ok(((), out)) => Seeded::Ran(
                [Some(format!("ran {}", found.describe())), installed, out]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join("\n"),
            ),
            Err(message) => Seeded::Failed(message),
        },
    )
}

/// Drops the service's schema, applies every migration, then runs its seed (Prisma's `migrate reset`).
pub fn reset(
    ws: &Workspace,
    service: &Service,
    url: &DatabaseUrl,
    lock: db::MigrationLock,
    progress: Progress,
) -> Result<Reset, Error> {
    let name = service.name.as_str();
    // Read and check everything before deleting anything.
    service.migrations()?;
    config::verify_config(&ws.root, service)?;
    let (client, _) = db::connect_or_create(url)?;
    let mut locked = db::take_lock(client, url, lock, &mut |holder| {
        progress(
            name,
            &format!("waiting for the migration lock, held by {holder}"),
        )
    })?;
    // The URL's schema, and those a multi-schema datasource lists (as `prisma migrate reset`).
    let mut schemas = vec![url.schema.clone()];
    for s in service.datasource()?.map(|d| d.schemas).unwrap_or_default() {
        if !schemas.contains(&s) {
            schemas.push(s);
        }
    }
    let drop_all: String = schemas
        .iter()
        .map(|s| format!("DROP SCHEMA IF EXISTS {} CASCADE;", quote_ident(s)))
        .collect();
    let dropped = locked
        .batch_execute(&format!(
            "{drop_all} CREATE SCHEMA {}",
            quote_ident(&url.schema)
        ))
        .map_err(|e| Error::database(format!("recreating schema `{}`", url.schema), &e));
    // Released before migrating: the migration takes the lock itself.
    drop(locked);
    dropped?;
    let others = if schemas.len() > 1 {
        format!(" (and dropped {})", schemas[1..].join(", "))
    } else {
        String::new()
    };
    progress(
        name,
        &format!("dropped and recreated schema `{}`{others}", url.schema),
    );

    let options = MigrateOptions {
        lock_timeout: lock.timeout,
        waits: db::Waits {
            lock: lock.mode,
            ..db::Waits::default()
        },
        ..MigrateOptions::default()
    };
    let report = migrate::migrate_service(service, Ok(url.clone()), &options, progress);
    report.result?;
    let seed = match run_seed(ws, service, url, progress)? {
        Seeded::None(why) => why,
        Seeded::Ran(out) => out,
        Seeded::Failed(message) => {
            return Err(Error::MigrationFailed(format!(
                "the migrations of `{name}` were applied, but its seed failed:\n{message}"
            )));
        }
    };
    Ok(Reset {
        service: name.to_string(),
        url: url.to_string(),
        applied: report.applied.len(),
        seed,
    })
}
