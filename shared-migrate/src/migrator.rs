//! `migrate`: applies a service's pending migrations, as `prisma migrate deploy` does, but
//! atomically: a migration and its ledger rows commit in one transaction.
//!
//! The path of one migration, start to end: [`migrate_all`] groups services by database and
//! runs the groups in parallel → [`migrate_service`] connects, locks, checks the ledger and plans
//! every pending migration → [`apply`] runs one, in a transaction ([`apply_in_transaction`]) or,
//! when it holds `CREATE INDEX CONCURRENTLY` and the like, statement by statement
//! ([`apply_statement_by_statement`]).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime};

use postgres::Client;
use serde::Serialize;

use crate::backup::{self, Backup};
use crate::connection;
use crate::database_url::DatabaseUrl;
use crate::error::{Error, connection_lost, describe_pg_error};
use crate::ledger;
use crate::lock;
use crate::migration::Migration;
use crate::report::shell_word;
use crate::script::{self, Plan};
use crate::source::Service;

/// Receives progress lines: (service, message).
pub type Progress<'a> = &'a (dyn Fn(&str, &str) + Sync);

#[derive(Debug, Clone)]
pub struct Options {
    /// How long to wait for another deployer's lock.
    pub lock_timeout: Duration,
    /// Edited migrations, rows missing locally and late migrations are errors, not warnings.
    pub strict: bool,
    /// Parallel workers (services on one database always run one after another).
    pub jobs: usize,
    /// Show what would be applied, change nothing (no database, schema, ledger or lock).
    pub dry_run: bool,
    /// Back up each service's schema here (pg_dump, custom format) before applying anything.
    pub backup: Option<PathBuf>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            lock_timeout: Duration::from_secs(10),
            strict: false,
            jobs: 1,
            dry_run: false,
            backup: None,
        }
    }
}

/// What to migrate: a service and its database, or why its database is unknown.
pub struct Target {
    pub service: Service,
    pub url: Result<DatabaseUrl, Error>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Applied {
    pub name: String,
    pub millis: u128,
    /// Ran in one transaction with its ledger rows (else statement by statement).
    pub transactional: bool,
}

/// A migration `--dry-run` would apply.
#[derive(Debug, Clone, Serialize)]
pub struct Planned {
    pub name: String,
    /// In one transaction with its ledger rows (else statement by statement).
    pub transactional: bool,
    /// Each statement, shortened to what it does.
    pub statements: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub service: String,
    /// Redacted.
    pub url: Option<String>,
    pub database_created: bool,
    pub applied: Vec<Applied>,
    pub pending_before: usize,
    /// `--dry-run`: what would be applied, in order.
    pub planned: Vec<Planned>,
    /// `--backup`: the dump taken before applying.
    pub backup: Option<Backup>,
    pub warnings: Vec<String>,
    pub millis: u128,
    #[serde(serialize_with = "serialize_error")]
    pub result: Result<(), Error>,
}

fn serialize_error<S: serde::Serializer>(r: &Result<(), Error>, s: S) -> Result<S::Ok, S::Error> {
    match r {
        Ok(()) => s.serialize_none(),
        Err(e) => s.serialize_some(&e.to_string()),
    }
}

/// Migrates every target; services that share a database run one after another (they would
/// only queue on the lock), distinct databases run in parallel on `options.jobs` threads.
/// Reports come back in the order of `targets`.
pub fn migrate_all(targets: Vec<Target>, options: &Options, progress: Progress) -> Vec<Report> {
    let mut groups: BTreeMap<String, Vec<(usize, Target)>> = BTreeMap::new();
    for (i, t) in targets.into_iter().enumerate() {
        let key = match &t.url {
            Ok(u) => format!("{}:{}/{}", u.host, u.port, u.dbname),
            Err(_) => format!("#{i}"),
        };
        groups.entry(key).or_default().push((i, t));
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(options.jobs.max(1))
        .build()
        .expect("thread pool");
    let mut reports: Vec<(usize, Report)> = pool.install(|| {
        use rayon::prelude::*;
        groups
            .into_values()
            .collect::<Vec<_>>()
            .into_par_iter()
            .flat_map_iter(|group| {
                group
                    .into_iter()
                    .map(|(i, t)| (i, migrate_service(&t.service, t.url, options, progress)))
                    .collect::<Vec<_>>()
            })
            .collect()
    });
    reports.sort_by_key(|(i, _)| *i);
    reports.into_iter().map(|(_, r)| r).collect()
}

/// Migrates one service. Never panics on bad input; every problem lands in `result`.
pub fn migrate_service(
    service: &Service,
    url: Result<DatabaseUrl, Error>,
    options: &Options,
    progress: Progress,
) -> Report {
    let start = Instant::now();
    let mut report = Report {
        service: service.name.clone(),
        url: url.as_ref().ok().map(|u| u.to_string()),
        database_created: false,
        applied: Vec::new(),
        pending_before: 0,
        planned: Vec::new(),
        backup: None,
        warnings: Vec::new(),
        millis: 0,
        result: Ok(()),
    };
    report.result = url.and_then(|url| run(service, &url, options, progress, &mut report));
    report.millis = start.elapsed().as_millis();
    report
}

fn run(
    service: &Service,
    url: &DatabaseUrl,
    options: &Options,
    progress: Progress,
    report: &mut Report,
) -> Result<(), Error> {
    let name = service.name.as_str();
    // Read and check every file before touching the database.
    let local = service.migrations()?;
    if options.dry_run {
        return dry_run(service, url, &local, options, progress, report);
    }
    let (mut client, created) = connection::connect_or_create(url)?;
    if created {
        report.database_created = true;
        progress(name, &format!("created database `{}`", url.dbname));
    }
    lock::acquire(&mut client, url, options.lock_timeout, &mut |holder| {
        progress(
            name,
            &format!("waiting for the migration lock, held by {holder}"),
        )
    })?;
    let result = run_locked(service, url, &local, &mut client, options, progress, report);
    lock::release(&mut client);
    result
}

fn run_locked(
    service: &Service,
    url: &DatabaseUrl,
    local: &[Migration],
    client: &mut Client,
    options: &Options,
    progress: Progress,
    report: &mut Report,
) -> Result<(), Error> {
    let name = service.name.as_str();
    connection::use_schema(client, &url.schema, true)?;
    let rows = ledger_rows(client, url, name, true)?;
    let pending = plan_pending(name, local, &rows, options, progress, report)?;
    if let (Some(dir), false) = (&options.backup, pending.is_empty()) {
        progress(name, &format!("backing up schema `{}`", url.schema));
        let b = backup::dump(name, url, dir)?;
        progress(
            name,
            &format!(
                "backed up to {} ({} KB, {} ms); to restore: {}",
                b.path.display(),
                b.bytes / 1024,
                b.millis,
                b.restore_command
            ),
        );
        report.backup = Some(b);
    }
    for (m, plan) in pending {
        progress(name, &format!("applying {}", m.name));
        let started = Instant::now();
        apply(service, client, m, &plan).map_err(|e| point_at_backup(e, &report.backup))?;
        let millis = started.elapsed().as_millis();
        progress(name, &format!("applied {} ({millis} ms)", m.name));
        report.applied.push(Applied {
            name: m.name.clone(),
            millis,
            transactional: plan.transactional(),
        });
    }
    Ok(())
}

/// The ledger's rows; without a ledger, an empty schema gets one (`create`) and a schema with
/// tables is refused (it needs a baseline).
fn ledger_rows(
    client: &mut Client,
    url: &DatabaseUrl,
    service: &str,
    create: bool,
) -> Result<Vec<ledger::Row>, Error> {
    if ledger::exists(client, &url.schema)? {
        return ledger::rows(client);
    }
    let tables = ledger::other_tables(client, &url.schema)?;
    if !tables.is_empty() {
        return Err(Error::NotEmpty {
            service: service.to_string(),
            schema: url.schema.clone(),
            tables: summarize_names("tables", &tables),
        });
    }
    if create {
        ledger::create(client)?;
    }
    Ok(Vec::new())
}

/// Compares the folders with the ledger and plans every pending migration: failed rows,
/// `--strict` problems and files that cannot be run are refused before anything is applied.
fn plan_pending<'m>(
    name: &str,
    local: &'m [Migration],
    rows: &[ledger::Row],
    options: &Options,
    progress: Progress,
    report: &mut Report,
) -> Result<Vec<(&'m Migration, Plan)>, Error> {
    let failed: Vec<&ledger::Row> = rows.iter().filter(|r| r.is_failed()).collect();
    if !failed.is_empty() {
        return Err(Error::FailedMigrations(failed_message(name, &failed)));
    }
    let history = crate::status::compare(local, rows);
    for problem in history.warnings() {
        report.warnings.push(problem.clone());
        progress(name, &format!("warning: {problem}"));
    }
    if options.strict && !report.warnings.is_empty() {
        return Err(Error::Strict(format!(
            "refusing to migrate under --strict: {}",
            report.warnings.join("; ")
        )));
    }
    report.pending_before = history.pending.len();
    history
        .pending
        .iter()
        .map(|&i| Plan::new(&local[i].path, &local[i].sql).map(|p| (&local[i], p)))
        .collect()
}

/// `--dry-run`: the same checks and plans as a deploy, on a read-only look at the database
/// (a missing database or schema counts as empty: deploy would create it).
fn dry_run(
    service: &Service,
    url: &DatabaseUrl,
    local: &[Migration],
    options: &Options,
    progress: Progress,
    report: &mut Report,
) -> Result<(), Error> {
    let name = service.name.as_str();
    let rows = match connection::connect_existing(url)? {
        None => {
            report.database_created = true;
            Vec::new()
        }
        Some(mut client) => {
            if connection::use_schema(&mut client, &url.schema, false)? {
                ledger_rows(&mut client, url, name, false)?
            } else {
                Vec::new()
            }
        }
    };
    let pending = plan_pending(name, local, &rows, options, progress, report)?;
    report.planned = pending
        .iter()
        .map(|(m, plan)| Planned {
            name: m.name.clone(),
            transactional: plan.transactional(),
            statements: plan.summaries(&m.sql),
        })
        .collect();
    Ok(())
}

/// A failed migration's error, with where the backup taken before it is and how to restore it.
fn point_at_backup(e: Error, backup: &Option<Backup>) -> Error {
    match (e, backup) {
        (Error::MigrationFailed(text), Some(b)) => Error::MigrationFailed(format!(
            "{text}\n\nThe schema was backed up before this deploy to {}. To return to it (objects created since the backup are not removed by --clean):\n  {}",
            b.path.display(),
            b.restore_command
        )),
        (e, _) => e,
    }
}

/// Applies one migration and records it in the ledger.
pub fn apply(
    service: &Service,
    client: &mut Client,
    m: &Migration,
    plan: &Plan,
) -> Result<(), Error> {
    if plan.transactional() {
        apply_in_transaction(service, client, m, plan)
    } else {
        apply_statement_by_statement(service, client, m, plan)
    }
}

/// The migration, its start row and its finish updates commit together or not at all. On
/// failure, nothing persists, and a failed row is then recorded as Prisma records it.
fn apply_in_transaction(
    service: &Service,
    client: &mut Client,
    m: &Migration,
    plan: &Plan,
) -> Result<(), Error> {
    let id = ledger::new_id();
    let started_at = SystemTime::now();
    let outcome = (|| -> Result<(), Failure> {
        let mut tx = client.transaction().map_err(Failure::Other)?;
        ledger::insert_started(&mut tx, &id, &m.checksum, &m.name, started_at)
            .map_err(Failure::Ledger)?;
        script::execute_transactional(&mut tx, plan, &m.sql)
            .map_err(|e| Failure::Script(e.error, e.from))?;
        ledger::mark_finished(&mut tx, &id).map_err(Failure::Ledger)?;
        tx.commit().map_err(Failure::Other)
    })();
    let failure = match outcome {
        Ok(()) => return Ok(()),
        Err(f) => f,
    };
    let text = failure_text(service, m, &failure);
    let again = format!(
        "once the server is reachable, run `cargo xtask migrate --service {}` again",
        shell_word(&service.name)
    );
    if let Failure::Other(e) = &failure
        && connection_lost(e)
    {
        // Lost while committing: the server may or may not have committed before it went away.
        return Err(Error::ConnectionLost(format!(
            "{text}\n\nThe connection was lost while committing: the migration and its ledger row either both committed or neither did (`cargo xtask status` tells which); {again}."
        )));
    }
    let persisted =
        "Nothing of this migration persisted: it ran in one transaction, which was rolled back.";
    if client.is_closed() {
        return Err(Error::ConnectionLost(format!(
            "{text}\n\n{persisted}\nThe connection to the database was lost, so no failure was recorded either: {again}; it applies this migration from the start."
        )));
    }
    let logs = format!("{text}\n\n{persisted}");
    let id = ledger::new_id();
    let recorded = ledger::insert_started(client, &id, &m.checksum, &m.name, started_at)
        .and_then(|()| ledger::mark_failed(client, &id, &logs));
    if let Err(e) = recorded {
        return Err(failed_because(
            &e,
            format!("{text}\n\n{persisted}\nRecording the failure failed too ({e}): {again}."),
        ));
    }
    Err(Error::MigrationFailed(format!(
        "{text}\n\n{persisted}\nThe failure is recorded in _prisma_migrations, as Prisma records it, so later deploys stop until it is resolved:\n  1. fix {path} (nothing of it was applied, so editing it is safe)\n  2. cargo xtask resolve --service {svc} --rolled-back {name}\n  3. cargo xtask migrate --service {svc}",
        path = m.path.display(),
        svc = shell_word(&service.name),
        name = shell_word(&m.name),
    )))
}

/// For migrations PostgreSQL refuses to run in a transaction block: the start row commits first,
/// then each statement commits on its own (explicit BEGIN ... COMMIT blocks in the file still
/// group theirs), then the finish updates. A failure part way leaves the earlier statements
/// applied and the row failed, with logs saying which statement failed.
fn apply_statement_by_statement(
    service: &Service,
    client: &mut Client,
    m: &Migration,
    plan: &Plan,
) -> Result<(), Error> {
    let id = ledger::new_id();
    ledger::insert_started(client, &id, &m.checksum, &m.name, SystemTime::now())?;
    let statements = plan.statement_by_statement();
    if let Err((i, e)) = script::execute_statement_by_statement(client, &statements, &m.sql) {
        // Statements 1..=done ran (the last real statement before the failing one; BEGIN and
        // COMMIT count in the numbering but are not work done).
        let done = statements[..i]
            .iter()
            .rposition(|s| {
                matches!(
                    s.kind,
                    script::StatementKind::Other | script::StatementKind::NoTransaction(_)
                )
            })
            .map_or(0, |j| j + 1);
        let failure = Failure::Script(e.error, e.from);
        let text = failure_text(service, m, &failure);
        let left = format!(
            "This migration ran statement by statement (it holds {what}, which PostgreSQL refuses inside a transaction). Statements 1 to {done} of {total} were committed and remain in the database; statement {n} failed; the rest did not run.",
            what = match plan.statements[plan.first_no_transaction.unwrap_or(0)].kind {
                script::StatementKind::NoTransaction(w) => w,
                _ => "a statement",
            },
            total = statements.len(),
            n = i + 1,
        );
        let todo = format!(
            "To recover: either finish the migration by hand (run statements {n} to {total} once fixed) and run `cargo xtask resolve --service {svc} --applied {name}`, or undo statements 1 to {done} by hand, fix the file, and run `cargo xtask resolve --service {svc} --rolled-back {name}` before migrating again.",
            n = i + 1,
            total = statements.len(),
            svc = shell_word(&service.name),
            name = shell_word(&m.name),
        );
        // A failure inside an explicit BEGIN block leaves the session in an aborted
        // transaction: end it before writing the ledger.
        let _ = client.batch_execute("ROLLBACK");
        let logs = format!("{text}\n\n{left}");
        return Err(match ledger::mark_failed(client, &id, &logs) {
            Ok(()) => Error::MigrationFailed(format!(
                "{text}\n\n{left}\nThe failure is recorded in _prisma_migrations.\n{todo}"
            )),
            // The row stays unfinished without logs, which counts as failed all the same.
            Err(_) => Error::ConnectionLost(format!(
                "{text}\n\n{left} (Statement {n} may have completed if the connection was lost as it committed: check before resolving.)\nThe connection was lost, so the failure is not recorded, but the migration's row stays unfinished and later deploys stop (P3009) until it is resolved.\n{todo}",
                n = i + 1
            )),
        });
    }
    // Both updates in one transaction: the row is finished or not, never counted but unfinished.
    let finished = client
        .transaction()
        .map_err(|e| Error::database("recording a finished migration", &e))
        .and_then(|mut tx| {
            ledger::mark_finished(&mut tx, &id)?;
            tx.commit()
                .map_err(|e| Error::database("recording a finished migration", &e))
        });
    finished.map_err(|e| {
        let text = format!(
            "Every statement of migration `{name}` of service `{svc}` ran and committed, but recording it as finished failed: {e}\nIts row stays unfinished, so later deploys stop (P3009): run `cargo xtask resolve --service {svc} --applied {name}`.",
            name = shell_word(&m.name),
            svc = shell_word(&service.name),
        );
        failed_because(&e, text)
    })
}

/// A migration failure told by `text`, keeping the exit code of a lost connection (4: run again).
fn failed_because(cause: &Error, text: String) -> Error {
    match cause {
        Error::ConnectionLost(_) => Error::ConnectionLost(text),
        _ => Error::MigrationFailed(text),
    }
}

enum Failure {
    /// The script failed; the text sent started at this byte of the file (None: the whole
    /// file was sent at once).
    Script(postgres::Error, Option<usize>),
    Ledger(Error),
    Other(postgres::Error),
}

/// The error text of a failed migration: the file, line and column of the server's error
/// position, a snippet, and the server's error with its SQLSTATE.
fn failure_text(service: &Service, m: &Migration, failure: &Failure) -> String {
    let mut out = format!(
        "Migration `{}` of service `{}` failed to apply.",
        m.name, service.name
    );
    match failure {
        Failure::Script(e, from) => {
            out.push('\n');
            out.push_str(&script::describe_error(&m.path, &m.sql, e, *from));
        }
        Failure::Ledger(e) => out.push_str(&format!("\n{e}")),
        Failure::Other(e) => out.push_str(&format!("\nDatabase error: {}", describe_pg_error(e))),
    }
    out
}

fn failed_message(service: &str, failed: &[&ledger::Row]) -> String {
    let mut s = "migrate found failed migrations in the target database, new migrations will not be applied (Prisma P3009).".to_string();
    for r in failed {
        s.push_str(&format!(
            "\nThe `{}` migration started at {} failed",
            r.migration_name, r.started_at
        ));
        match r.logs.as_deref() {
            Some(logs) if !logs.is_empty() => {
                s.push_str(" with the following logs:\n");
                for line in logs.lines() {
                    s.push_str(&format!("    {line}\n"));
                }
            }
            // No logs: the deployer never got to write them.
            _ => s.push_str(
                " without logs: the deployer stopped while applying it (killed, or it lost its connection); check in the database which of its statements took effect before resolving\n",
            ),
        }
    }
    s.push_str("To go on, for each failed migration either:\n");
    for r in failed {
        s.push_str(&format!(
            "  cargo xtask resolve --service {service} --rolled-back {name}   (nothing of it remains, or you undid it: it will be applied again)\n  cargo xtask resolve --service {service} --applied {name}       (you completed it by hand)\n",
            service = shell_word(service),
            name = shell_word(&r.migration_name)
        ));
    }
    s.trim_end().to_string()
}

fn summarize_names(what: &str, names: &[String]) -> String {
    let shown: Vec<&str> = names.iter().take(5).map(String::as_str).collect();
    let more = names.len().saturating_sub(shown.len());
    let more = if more > 0 {
        format!(" and {more} more")
    } else {
        String::new()
    };
    format!("{} {what}: {}{more}", names.len(), shown.join(", "))
}
