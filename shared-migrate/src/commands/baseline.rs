//! `baseline`: adopting a database whose schema was made before (or outside) the migration
//! history. Records the local migrations up to a given one as applied without running them,
//! as `prisma migrate resolve --applied` does one by one, but all in one transaction.

use crate::db::{self, DatabaseUrl, ledger};
use crate::error::Error;
use crate::text::suggest;
use crate::workspace::{Migration, Service};

/// The migrations to record: the local ones up to `up_to` (all without it), less those the
/// ledger already records as applied. Read-only.
pub fn baseline_preview(
    service: &Service,
    url: &DatabaseUrl,
    up_to: Option<&str>,
) -> Result<Vec<String>, Error> {
    let local = selected(service, up_to)?;
    let applied = match db::connect_existing(url)? {
        None => Vec::new(),
        Some(mut client) => applied_names(&mut client, url)?,
    };
    Ok(local
        .into_iter()
        .filter(|(n, _)| !applied.contains(n))
        .map(|(n, _)| n)
        .collect())
}

/// Records [`baseline_preview`]'s migrations as applied; returns their names.
pub fn baseline(
    service: &Service,
    url: &DatabaseUrl,
    up_to: Option<&str>,
    lock: db::MigrationLock,
) -> Result<Vec<String>, Error> {
    let local = selected(service, up_to)?;
    // Released when `locked` drops.
    let mut locked = db::take_lock(db::connect(url)?, url, lock, &mut |_| {})?;
    let client: &mut postgres::Client = &mut locked;
    db::use_schema(client, &url.schema, true)?;
    // A database being adopted has tables but no ledger: that is the point.
    let applied = if ledger::exists(client, &url.schema)? {
        applied_in(client)?
    } else {
        ledger::create(client)?;
        Vec::new()
    };
    let mut tx = client
        .transaction()
        .map_err(|e| Error::database("starting a transaction", &e))?;
    let mut done = Vec::new();
    for (name, dir) in local.iter().filter(|(n, _)| !applied.contains(n)) {
        let m = Migration::load(name.clone(), dir)?;
        ledger::record_applied_without_running(&mut tx, name, &m.checksum)?;
        done.push(name.clone());
    }
    tx.commit().map_err(|e| Error::database("committing", &e))?;
    Ok(done)
}

/// Local migrations up to and including `up_to`.
fn selected(
    service: &Service,
    up_to: Option<&str>,
) -> Result<Vec<(String, std::path::PathBuf)>, Error> {
    let mut local = service.migration_dirs()?;
    if let Some(name) = up_to {
        let Some(i) = local.iter().position(|(n, _)| n == name) else {
            return Err(Error::Resolve(format!(
                "--up-to `{name}` is not a migration of `{}` (in {}){}",
                service.name,
                service.migrations_dir().display(),
                suggest(name, local.iter().map(|(n, _)| n.as_str()))
            )));
        };
        local.truncate(i + 1);
    }
    Ok(local)
}

/// Applied migrations, read-only: none when the schema or the ledger does not exist.
fn applied_names(client: &mut postgres::Client, url: &DatabaseUrl) -> Result<Vec<String>, Error> {
    if !db::use_schema(client, &url.schema, false)? || !ledger::exists(client, &url.schema)? {
        return Ok(Vec::new());
    }
    applied_in(client)
}

/// The names the ledger records as applied.
fn applied_in(client: &mut postgres::Client) -> Result<Vec<String>, Error> {
    Ok(ledger::rows(client)?
        .into_iter()
        .filter(|r| r.is_applied())
        .map(|r| r.migration_name)
        .collect())
}
