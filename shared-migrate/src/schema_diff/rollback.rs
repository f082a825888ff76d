//! `cargo xtask rollback -s S (--steps N | --to NAME)`: undo the last applied migrations on the
//! service's database (the guide's rollback strategies, as one command). Each migration's
//! reversal is its `down.sql` (the Atlas and sqlx convention) or the one `new --revert`
//! drafts; it is proved before the database is touched: on a throwaway database, the history
//! up to the last kept migration, and the whole history followed by the reversals, must give
//! the same schema. A reversal still holding a `TODO(revert)` is refused; one that drops a
//! table or column holding rows needs `--accept-data-loss`. Then, under the migration lock and
//! in one transaction where PostgreSQL allows, the reversals run and the ledger rows are
//! marked rolled back (as Prisma's `resolve --rolled-back` marks them): the folders stay, so
//! the next `migrate` applies them again (undo, fix, redeploy).

use std::path::Path;

use super::Places;
use super::checksum::{build, build_db, differences, read};
use crate::commands::reverse;
use crate::db::{self, DatabaseUrl, MigrationLock, ledger};
use crate::error::Error;
use crate::lint::REVERT_TODO;
use crate::migrate::Backup;
use crate::sql::{ActionKind, Analysis, analyse};
use crate::workspace::{Migration, Service};

/// Which migrations to undo.
#[derive(Debug, Clone)]
pub enum Undo {
    /// The last N applied.
    Steps(usize),
    /// Every applied migration after NAME (NAME stays applied).
    To(String),
}

/// What was undone.
#[derive(Debug, Clone, Default)]
pub struct RolledBack {
    /// Newest first, with where each reversal came from (`down.sql` or drafted).
    pub undone: Vec<(String, &'static str)>,
    /// `--backup`: the dump taken before undoing.
    pub backup: Option<Backup>,
}

struct Reversal {
    name: String,
    sql: String,
    /// What its statements do, read once (dropped rows, and whether it runs in a transaction).
    analysis: Analysis,
    from: &'static str,
}

/// The reversal of `m`: its `down.sql`, else the drafted one; refused while it holds a TODO.
fn reversal(service: &Service, m: &Migration) -> Result<Reversal, Error> {
    let down = m.path.with_file_name("down.sql");
    let (sql, from) = match std::fs::read_to_string(&down) {
        Ok(sql) => (sql, "down.sql"),
        Err(_) => (reverse(service, &m.name)?.sql, "drafted"),
    };
    // The marker as `new --revert` writes it (its header names the word too, in backticks).
    if sql.contains(&format!("-- {REVERT_TODO}:")) {
        return Err(Error::Config(format!(
            "`{}` cannot be undone mechanically: its reversal holds a {REVERT_TODO} (data or knowledge the files do not hold). Write {} (what undoes it, reviewed), or restore a backup; nothing was changed",
            m.name,
            down.display()
        )));
    }
    Ok(Reversal {
        name: m.name.clone(),
        analysis: analyse(&sql),
        sql,
        from,
    })
}

/// Rows the reversals would drop: `table` or `table.column` and how many hold data.
fn data_lost(client: &mut postgres::Client, reversals: &[Reversal]) -> Result<Vec<String>, Error> {
    let quote = db::quote_ident;
    let mut lost = Vec::new();
    for r in reversals {
        for st in &r.analysis.statements {
            for a in &st.actions {
                let (what, sql) = match &a.kind {
                    ActionKind::DropTable { table } => (
                        format!("table `{table}`"),
                        format!("SELECT count(*) FROM {}", quote(table)),
                    ),
                    ActionKind::DropColumn { table, column } => (
                        format!("column `{table}`.`{column}`"),
                        format!(
                            "SELECT count(*) FROM {} WHERE {} IS NOT NULL",
                            quote(table),
                            quote(column)
                        ),
                    ),
                    _ => continue,
                };
                let rows: i64 = client.query_one(&sql, &[]).map(|r| r.get(0)).unwrap_or(0);
                if rows > 0 {
                    lost.push(format!("{what} holds {rows} row(s) ({})", r.name));
                }
            }
        }
    }
    Ok(lost)
}

/// Marks the applied rows of `name` rolled back, as Prisma's `resolve --rolled-back` does.
fn mark(c: &mut impl postgres::GenericClient, name: &str) -> Result<u64, Error> {
    c.execute(
        "UPDATE _prisma_migrations SET rolled_back_at = now() \
         WHERE migration_name = $1 AND finished_at IS NOT NULL AND rolled_back_at IS NULL",
        &[&name],
    )
    .map_err(|e| Error::database(format!("marking `{name}` rolled back"), &e))
}

/// Undoes `undo` on `url` (see the module).
pub fn rollback(
    places: &Places,
    service: &Service,
    url: &DatabaseUrl,
    undo: &Undo,
    accept_data_loss: bool,
    backup: Option<&Path>,
    lock: MigrationLock,
) -> Result<RolledBack, Error> {
    let local = service.migrations()?;
    let mut client = db::connect(url)?;
    db::use_schema(&mut client, &url.schema, false)?;
    let rows = if ledger::exists(&mut client, &url.schema)? {
        ledger::rows(&mut client)?
    } else {
        Vec::new()
    };
    let applied: Vec<&Migration> = local
        .iter()
        .filter(|m| {
            rows.iter()
                .any(|r| r.migration_name == m.name && r.is_applied())
        })
        .collect();
    let keep = match undo {
        Undo::Steps(n) => applied.len().saturating_sub(*n),
        Undo::To(name) => {
            applied
                .iter()
                .position(|m| &m.name == name)
                .ok_or_else(|| {
                    Error::Config(format!(
                        "--to `{name}` is not an applied migration of `{}` on {url}: it stays applied, so it must be one",
                        service.name
                    ))
                })?
                + 1
        }
    };
    if keep >= applied.len() {
        return Ok(RolledBack::default());
    }
    let (kept, undone) = applied.split_at(keep);
    let reversals: Vec<Reversal> = undone
        .iter()
        .rev()
        .map(|m| reversal(service, m))
        .collect::<Result<_, _>>()?;

    // The proof: up then down gives the schema from before.
    let schema = url.schema.clone();
    let before = build(places, service, kept, None, &schema)?;
    let (_db, throwaway) = build_db(places, service, &applied, None, &schema)?;
    {
        let mut c = db::connect(&throwaway)?;
        db::use_schema(&mut c, &schema, false)?;
        for r in &reversals {
            c.batch_execute(&r.sql).map_err(|e| {
                Error::Resolve(format!(
                    "the reversal of `{}` ({}) fails on a throwaway database built by the history, so nothing was changed: {}",
                    r.name,
                    r.from,
                    crate::error::describe_pg_error(&e)
                ))
            })?;
        }
    }
    let after = read(&throwaway)?;
    let found = differences(
        &before,
        &after,
        "the history before them",
        "the reversals",
        &schema,
    );
    if !found.trim().is_empty() {
        return Err(Error::Resolve(format!(
            "the reversals do not give back the schema from before {}: nothing was changed; fix the reversal (a down.sql beside migration.sql):\n{found}",
            undone[0].name
        )));
    }

    let lost = data_lost(&mut client, &reversals)?;
    if !lost.is_empty() && !accept_data_loss {
        return Err(Error::Config(format!(
            "undoing would drop data on {url}:\n  {}\nnothing was changed: back it up (--backup DIR) and pass --accept-data-loss",
            lost.join("\n  ")
        )));
    }
    drop(client);
    let taken = match backup {
        Some(dir) => Some(crate::migrate::backup::dump(&service.name, url, dir)?),
        None => None,
    };
    let mut locked = db::take_lock(db::connect(url)?, url, lock, &mut |_| {})?;
    let client: &mut postgres::Client = &mut locked;
    db::use_schema(client, &url.schema, false)?;
    let transactional = reversals.iter().all(|r| r.analysis.transactional);

    if transactional {
        let mut tx = client
            .transaction()
            .map_err(|e| Error::database("starting a transaction", &e))?;
        for r in &reversals {
            tx.batch_execute(&r.sql).map_err(|e| {
                Error::MigrationFailed(format!(
                    "undoing `{}` failed on {url}, and nothing of the rollback was kept (one transaction): {}",
                    r.name,
                    crate::error::describe_pg_error(&e)
                ))
            })?;
            mark(&mut tx, &r.name)?;
        }
        tx.commit()
            .map_err(|e| Error::database("committing the rollback", &e))?;
    } else {
        // CONCURRENTLY and the like: each reversal on its own, recorded as soon as it ran.
        for r in &reversals {
            client.batch_execute(&r.sql).map_err(|e| {
                Error::MigrationFailed(format!(
                    "undoing `{}` failed on {url}; the reversals before it were applied and recorded: {}",
                    r.name,
                    crate::error::describe_pg_error(&e)
                ))
            })?;
            mark(client, &r.name)?;
        }
    }
    Ok(RolledBack {
        undone: reversals.iter().map(|r| (r.name.clone(), r.from)).collect(),
        backup: taken,
    })
}
