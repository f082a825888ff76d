//! `resolve`: Prisma's two ways out of a failed migration, with Prisma's rules and refusals.

use crate::db::{self, DatabaseUrl, ledger};
use crate::error::Error;
use crate::text::{plural, suggest};
use crate::workspace::{Migration, Service};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
/// What `resolve` records for a migration (Prisma's `migrate resolve`).
pub enum Resolution {
    /// Record the migration as applied without running it (baselining, or finished by hand).
    Applied,
    /// Mark its failed rows as rolled back: deploy will apply it again.
    RolledBack,
}

/// Resolves `name` for `service`. Returns a sentence saying what was done.
pub fn resolve(
    service: &Service,
    url: &DatabaseUrl,
    name: &str,
    how: Resolution,
    lock: db::MigrationLock,
) -> Result<String, Error> {
    let local = service.migration_dirs()?;
    let mut locked = db::take_lock(db::connect(url)?, url, lock, &mut |_| {})?;
    let client: &mut postgres::Client = &mut locked;
    // `locked` releases the lock when it drops, on every return below.
    {
        db::use_schema(client, &url.schema, how == Resolution::Applied)?;
        let has_ledger = ledger::exists(client, &url.schema)?;
        let rows = if has_ledger {
            ledger::rows(client)?
        } else {
            vec![]
        };
        let mine: Vec<&ledger::Row> = rows.iter().filter(|r| r.migration_name == name).collect();
        match how {
            Resolution::Applied => {
                let Some((_, dir)) = local.iter().find(|(n, _)| n == name) else {
                    return Err(Error::Resolve(format!(
                        "migration `{name}` has no folder in {}: `resolve --applied` takes the name of a local migration (Prisma P3017){}",
                        service.migrations_dir().display(),
                        suggest(name, local.iter().map(|(n, _)| n.as_str()))
                    )));
                };
                if mine.iter().any(|r| r.is_applied()) {
                    return Err(Error::Resolve(format!(
                        "migration `{name}` is already recorded as applied in the database (Prisma P3008)"
                    )));
                }
                let migration = Migration::load(name.to_string(), dir)?;
                // Baselining: on a database without a ledger the table is created without the
                // emptiness check (that is the point).
                if !has_ledger {
                    ledger::create(client)?;
                }
                let mut tx = client
                    .transaction()
                    .map_err(|e| Error::database("starting a transaction", &e))?;
                ledger::record_applied_without_running(&mut tx, name, &migration.checksum)?;
                tx.commit().map_err(|e| Error::database("committing", &e))?;
                Ok(format!(
                    "migration `{name}` recorded as applied (its SQL was not run)"
                ))
            }
            Resolution::RolledBack => {
                if mine.is_empty() {
                    return Err(Error::Resolve(format!(
                        "migration `{name}` was never applied to this database, so it cannot be rolled back (Prisma P3011){}",
                        suggest(
                            name,
                            rows.iter()
                                .filter(|r| r.is_failed())
                                .map(|r| r.migration_name.as_str())
                        )
                    )));
                }
                if !mine.iter().any(|r| r.is_failed()) {
                    return Err(Error::Resolve(format!(
                        "migration `{name}` is not in a failed state, so it cannot be marked as rolled back (Prisma P3012)"
                    )));
                }
                let n = ledger::mark_rolled_back(client, name)?;
                Ok(format!(
                    "migration `{name}` marked as rolled back ({}); the next migrate applies it again",
                    plural(n as usize, "failed row")
                ))
            }
        }
    }
}
