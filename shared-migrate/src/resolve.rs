//! `resolve`: Prisma's two ways out of a failed migration, with Prisma's rules and refusals.

use crate::connection;
use crate::database_url::DatabaseUrl;
use crate::error::Error;
use crate::ledger;
use crate::lock;
use crate::source::Service;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
    lock_timeout: std::time::Duration,
) -> Result<String, Error> {
    let local = service.migration_dirs()?;
    let mut client = connection::connect(url)?;
    lock::acquire(&mut client, url, lock_timeout, &mut |_| {})?;
    let result = (|| {
        connection::use_schema(&mut client, &url.schema, how == Resolution::Applied)?;
        let has_ledger = ledger::exists(&mut client, &url.schema)?;
        let rows = if has_ledger {
            ledger::rows(&mut client)?
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
                let migration = crate::migration::Migration::load(name.to_string(), dir)?;
                // Baselining: on a database without a ledger the table is created without the
                // emptiness check (that is the point).
                if !has_ledger {
                    ledger::create(&mut client)?;
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
                let n = ledger::mark_rolled_back(&mut client, name)?;
                Ok(format!(
                    "migration `{name}` marked as rolled back ({}); the next migrate applies it again",
                    crate::report::plural(n as usize, "failed row")
                ))
            }
        }
    })();
    lock::release(&mut client);
    result
}

pub(crate) fn suggest<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> String {
    let list: Vec<&str> = candidates.collect();
    if let Some(c) = list.iter().find(|c| c.contains(name) || name.contains(**c)) {
        return format!("; did you mean `{c}`?");
    }
    if list.is_empty() {
        String::new()
    } else {
        let tail: Vec<&str> = list.iter().rev().take(3).rev().copied().collect();
        format!("; candidates: {}", tail.join(", "))
    }
}
