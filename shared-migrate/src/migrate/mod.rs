//! `migrate`: applies a service's pending migrations, as `prisma migrate deploy` does, but
//! atomically: a migration and its ledger rows commit in one transaction.
//!
//! The path of one migration, start to end, all in this file but the last step:
//! [`migrate_all`] groups services by database and runs the groups in parallel →
//! [`migrate_service`] reads every file, connects, takes the lock, checks the ledger and plans
//! every pending migration (`run`, `run_locked`, `plan_pending`) → [`apply`] runs one with its
//! ledger row, in a transaction or, when it holds `CREATE INDEX CONCURRENTLY` and the like,
//! statement by statement ([`apply`](apply::apply) → [`crate::db::run_file`]). What a failure
//! says is in [`messages`]; `--backup` is [`backup`]; `--precheck` (and `--dry-run`) is
//! [`precheck`].

mod apply;
pub(crate) mod backup;
mod messages;
pub(crate) mod precheck;
mod waits;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

pub(crate) use apply::{Attempts, apply};
pub(crate) use backup::Backup;
pub(crate) use messages::nothing_persisted;
use postgres::Client;
use rayon::prelude::*;
use serde::Serialize;
pub(crate) use waits::Watcher;

use crate::db::{self, DatabaseUrl, UrlOrigin, Waits, ledger};
use crate::error::Error;
use crate::parallel::{self, Progress};
use crate::sql::Plan;
use crate::workspace::{Migration, Service};

#[derive(Debug, Clone)]
/// How `migrate` runs: lock, waits and jobs.
pub struct MigrateOptions {
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
    /// Apply pending migrations up to and including this one, nothing after it.
    pub to: Option<String>,
    /// Lock and statement limits and retries; [`migrate_all`] takes each target's own.
    pub waits: Waits,
    /// Check the pending migrations against the rows on the target first ([`precheck`]),
    /// each query bounded by this; a deploy stops before applying anything when one would
    /// fail.
    pub precheck: Option<Duration>,
    /// Called on the migrating session before each pending migration after the first (no
    /// transaction open), with that migration's name: `verify --data` fills new tables there.
    pub before_each: Option<BeforeEach>,
}

/// What [`BeforeEach`] runs: an error message stops the deploy.
pub(crate) type BeforeEachFn = dyn Fn(&mut Client, &str) -> Result<(), String> + Send + Sync;

/// [`MigrateOptions::before_each`].
#[derive(Clone)]
pub struct BeforeEach(pub std::sync::Arc<BeforeEachFn>);

impl std::fmt::Debug for BeforeEach {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BeforeEach")
    }
}

impl Default for MigrateOptions {
    fn default() -> MigrateOptions {
        MigrateOptions {
            lock_timeout: db::DEFAULT_LOCK_TIMEOUT,
            strict: false,
            jobs: 1,
            dry_run: false,
            backup: None,
            to: None,
            waits: Waits::default(),
            precheck: None,
            before_each: None,
        }
    }
}

/// What to migrate: a service and its database, or why its database is unknown.
pub struct MigrateTarget {
    /// The service.
    pub service: Service,
    /// Its database, or why it has none (reported, not raised).
    pub url: Result<DatabaseUrl, Error>,
    /// Where the URL came from (for the report).
    pub origin: Option<UrlOrigin>,
    /// Lock and statement limits and retries (`--ddl-lock-timeout`, `[migrate]`).
    pub waits: Waits,
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
    /// `--precheck` (and `--dry-run`): what it will meet in the rows on the target.
    pub checks: Vec<precheck::Check>,
}

/// A squash recorded as applied without running: the database had applied every migration
/// it replaces.
#[derive(Debug, Clone, Serialize)]
pub struct Recorded {
    pub name: String,
    /// How many applied migrations it replaces.
    pub replaces: usize,
}

impl Recorded {
    fn of(squash: &Migration) -> Recorded {
        Recorded {
            name: squash.name.clone(),
            replaces: squash.replaces.len(),
        }
    }
}

#[derive(Debug, Serialize)]
/// What `migrate` did to one service's database.
pub struct MigrateReport {
    /// The service.
    pub service: String,
    /// Redacted.
    pub url: Option<String>,
    /// Where the URL came from: `environment variable EDU_DIRECT (named by directUrl at ...)`.
    pub url_source: Option<String>,
    /// The environment variable that held it, if one did.
    pub url_variable: Option<String>,
    /// The database did not exist and was created.
    pub database_created: bool,
    /// Migrations applied, in order.
    pub applied: Vec<Applied>,
    /// Squashes recorded as applied without running (`--dry-run`: that would be).
    pub recorded: Vec<Recorded>,
    /// Migrations pending before the run.
    pub pending_before: usize,
    /// `--dry-run`: what would be applied, in order.
    pub planned: Vec<Planned>,
    /// `--backup`: the dump taken before applying.
    pub backup: Option<Backup>,
    /// What the user should know though nothing failed.
    pub warnings: Vec<String>,
    /// Wall time of the service's run.
    pub millis: u128,
    #[serde(serialize_with = "crate::error::serialize_outcome")]
    /// Success, or the error that stopped the service.
    pub result: Result<(), Error>,
}

/// Migrates every target; services that share a database run one after another (they would
/// only queue on the lock; with `[migrate] lock = "schema"`, those that share a schema),
/// distinct databases run in parallel on `options.jobs` threads.
/// Reports come back in the order of `targets`.
pub fn migrate_all(
    targets: Vec<MigrateTarget>,
    options: &MigrateOptions,
    progress: Progress,
) -> Vec<MigrateReport> {
    let mut groups: BTreeMap<String, Vec<(usize, MigrateTarget)>> = BTreeMap::new();
    for (i, t) in targets.into_iter().enumerate() {
        // One database, one lock: its services queue on it anyway. With a lock per schema,
        // each schema of the database is a group of its own.
        let key = match &t.url {
            Ok(u) if t.waits.lock == db::LockMode::Schema => {
                format!("{}:{}/{}?schema={}", u.host, u.port, u.dbname, u.schema)
            }
            Ok(u) => format!("{}:{}/{}", u.host, u.port, u.dbname),
            Err(_) => format!("#{i}"),
        };
        groups.entry(key).or_default().push((i, t));
    }
    let groups: Vec<Vec<(usize, MigrateTarget)>> = groups.into_values().collect();
    let mut reports: Vec<(usize, MigrateReport)> = parallel::map(options.jobs, groups, |group| {
        group
            .into_iter()
            .map(|(i, t)| {
                let options = MigrateOptions {
                    waits: t.waits,
                    ..options.clone()
                };
                let mut report = migrate_service(&t.service, t.url, &options, progress);
                report.url_source = t.origin.as_ref().map(ToString::to_string);
                report.url_variable = t
                    .origin
                    .as_ref()
                    .and_then(|o| o.variable().map(str::to_string));
                (i, report)
            })
            .collect::<Vec<_>>()
    })
    .into_iter()
    .flatten()
    .collect();
    reports.sort_by_key(|(i, _)| *i);
    reports.into_iter().map(|(_, r)| r).collect()
}

/// Migrates one service. Never panics on bad input; every problem lands in `result`.
pub fn migrate_service(
    service: &Service,
    url: Result<DatabaseUrl, Error>,
    options: &MigrateOptions,
    progress: Progress,
) -> MigrateReport {
    let start = Instant::now();
    let mut report = MigrateReport {
        service: service.name.clone(),
        url: url.as_ref().ok().map(|u| u.to_string()),
        url_source: None,
        url_variable: None,
        database_created: false,
        applied: Vec::new(),
        recorded: Vec::new(),
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
    options: &MigrateOptions,
    progress: Progress,
    report: &mut MigrateReport,
) -> Result<(), Error> {
    let name = service.name.as_str();
    // Read and check every file before touching the database.
    let local = service.migrations()?;
    if options.dry_run {
        return dry_run(service, url, &local, options, progress, report);
    }
    // The deploy session: a request unanswered for longer than its statement limit allows
    // means a dead network, unless the URL sets its own socket_timeout.
    let mut session = url.clone();
    if session.net.socket_timeout.is_none() {
        session.net.socket_timeout = options.waits.socket_timeout();
    }
    let (mut client, created) = db::connect_or_create(&session)?;
    db::guard_session(&mut client, url, options.waits.idle());
    if created {
        report.database_created = true;
        progress(name, &format!("created database `{}`", url.dbname));
    }
    let lock = db::MigrationLock {
        mode: options.waits.lock,
        timeout: options.lock_timeout,
    };
    let mut locked = db::take_lock(client, url, lock, &mut |holder| {
        progress(
            name,
            &format!("waiting for the migration lock, held by {holder}"),
        )
    })?;
    run_locked(service, url, &local, &mut locked, options, progress, report)
}

fn run_locked(
    service: &Service,
    url: &DatabaseUrl,
    local: &[Migration],
    client: &mut Client,
    options: &MigrateOptions,
    progress: Progress,
    report: &mut MigrateReport,
) -> Result<(), Error> {
    let name = service.name.as_str();
    db::use_schema(client, &url.schema, true)?;
    let rows = ledger_rows(client, url, name, true)?;
    let (pending, absorbed) = plan_pending(name, local, &rows, options, progress, report)?;
    record_squashes(client, &absorbed, progress, name, report)?;
    if let (Some(timeout), false) = (options.precheck, pending.is_empty()) {
        report.planned = planned(&pending)?;
        attach_checks(client, &pending, timeout, report)?;
        for check in report.planned.iter().flat_map(|p| &p.checks) {
            if check.verdict != precheck::Verdict::Ok {
                progress(name, &format!("precheck: {check}"));
            }
        }
        refuse_failing(report)?;
    }
    if let (Some(dir), false) = (&options.backup, pending.is_empty()) {
        let more = service.datasource()?.map(|d| d.schemas).unwrap_or_default();
        progress(name, &format!("backing up schema `{}`", url.schema));
        let b = db::idle_while(client, options.waits.idle(), || {
            backup::dump_schemas(name, url, &more, dir)
        })?;
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
    let waits = &options.waits;
    let watcher = match (waits.watched(), pending.is_empty()) {
        (true, false) => {
            let pid: i32 = client
                .query_typed_one("SELECT pg_backend_pid()", &[])
                .map_err(|e| Error::database("reading the session's pid", &e))?
                .get(0);
            Watcher::start(url, pid)
        }
        _ => None,
    };
    let how = Attempts {
        waits: *waits,
        watcher: watcher.as_ref(),
        progress,
    };
    for (i, (m, plan)) in pending.into_iter().enumerate() {
        if let (Some(hook), true) = (&options.before_each, i > 0) {
            (hook.0)(client, &m.name).map_err(|message| Error::Database {
                context: format!("before {}", m.name),
                message,
            })?;
        }
        progress(name, &format!("applying {}", m.name));
        let started = Instant::now();
        apply(service, client, m, plan.as_ref(), &how)
            .map_err(|e| messages::point_at_backup(e, &report.backup))?;
        let millis = started.elapsed().as_millis();
        progress(name, &format!("applied {} ({millis} ms)", m.name));
        report.applied.push(Applied {
            name: m.name.clone(),
            millis,
            transactional: plan.as_ref().is_none_or(Plan::transactional),
        });
    }
    Ok(())
}

/// Records `absorbed` (squashes whose replaced migrations are all applied here) as applied,
/// without running them, in one transaction.
fn record_squashes(
    client: &mut Client,
    absorbed: &[&Migration],
    progress: Progress,
    name: &str,
    report: &mut MigrateReport,
) -> Result<(), Error> {
    if absorbed.is_empty() {
        return Ok(());
    }
    let mut tx = client
        .transaction()
        .map_err(|e| Error::database("starting a transaction", &e))?;
    for m in absorbed {
        ledger::record_applied_without_running(&mut tx, &m.name, &m.checksum)?;
    }
    tx.commit()
        .map_err(|e| Error::database("recording squashes", &e))?;
    for m in absorbed {
        progress(
            name,
            &format!(
                "recorded {} as applied without running it: it replaces {} migrations this database applied",
                m.name,
                m.replaces.len()
            ),
        );
        report.recorded.push(Recorded::of(m));
    }
    Ok(())
}

/// A deploy with `--precheck` stops, before applying anything, when a pending migration would
/// fail on the rows there (and `--dry-run` says the deploy would fail).
fn refuse_failing(report: &MigrateReport) -> Result<(), Error> {
    let failing: Vec<String> = report
        .planned
        .iter()
        .flat_map(|p| p.checks.iter().map(move |c| (p, c)))
        .filter(|(_, c)| c.verdict == precheck::Verdict::WillFail)
        .map(|(p, c)| {
            format!(
                "  {}: {} on {} in {}: {}",
                c.at,
                c.what,
                db::quote_ident(&c.table),
                p.name,
                c.finding.as_deref().unwrap_or("will fail")
            )
        })
        .collect();
    if failing.is_empty() {
        return Ok(());
    }
    Err(Error::Precheck(format!(
        "nothing was applied: the precheck found pending migrations that would fail on the rows in the database:\n{}\n\
         Fix the data first, or change the migration so that it works with rows: add the column \
         nullable, backfill it, then SET NOT NULL in a later migration (Prisma's expand and \
         contract); remove duplicates before a unique index; add a foreign key NOT VALID and \
         VALIDATE it once the orphans are gone.",
        failing.join("\n")
    )))
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
            tables: messages::summarize_names("tables", &tables),
        });
    }
    if create {
        ledger::create(client)?;
    }
    Ok(Vec::new())
}

/// What to run, and the squashes to record without running.
type Pending<'m> = (Vec<(&'m Migration, Option<Plan>)>, Vec<&'m Migration>);

/// Compares the folders with the ledger and plans every pending migration: failed rows,
/// squashes the database is halfway through, `--strict` problems and files that cannot be run
/// are refused before anything is applied. A squash whose replaced migrations are all applied
/// is set apart, to be recorded. A file that needs no parse to run as one transaction
/// ([`crate::sql::needs_parse`]) gets no plan (None); the others are parsed on every core.
fn plan_pending<'m>(
    name: &str,
    local: &'m [Migration],
    rows: &[ledger::Row],
    options: &MigrateOptions,
    progress: Progress,
    report: &mut MigrateReport,
) -> Result<Pending<'m>, Error> {
    let failed: Vec<&ledger::Row> = rows.iter().filter(|r| r.is_failed()).collect();
    if !failed.is_empty() {
        return Err(Error::FailedMigrations(messages::failed_rows(
            name, &failed,
        )));
    }
    let history = db::compare(local, rows);
    if let Some(partial) = history.partial.first() {
        return Err(Error::PartialSquash(format!(
            "nothing was applied: {}",
            partial.explain(name)
        )));
    }
    // Told once, with the run's summary (and in its JSON), not as progress too.
    report.warnings.extend(history.warnings());
    if options.strict && !report.warnings.is_empty() {
        return Err(Error::Strict(format!(
            "refusing to migrate under --strict: {}",
            report.warnings.join("; ")
        )));
    }
    report.pending_before = history.pending.len();
    let mut pending = history.pending.clone();
    if let Some(to) = &options.to {
        let Some(target) = local.iter().position(|m| &m.name == to) else {
            return Err(Error::Config(format!(
                "--to {to}: service `{name}` has no migration of that name{}",
                crate::text::suggest(to, local.iter().map(|m| m.name.as_str()))
            )));
        };
        pending.retain(|&i| i <= target);
        if pending.is_empty() {
            progress(
                name,
                &format!("`{to}` is applied already: nothing to do up to it"),
            );
        }
    }
    let absorbed: Vec<&Migration> = pending
        .iter()
        .filter(|i| history.absorbed.contains(i))
        .map(|&i| &local[i])
        .collect();
    pending.retain(|i| !history.absorbed.contains(i));
    let run = pending
        .par_iter()
        .map(|&i| {
            let m = &local[i];
            let plan = match crate::sql::needs_parse(&m.sql) {
                true => Some(Plan::new(&m.path, &m.sql)?),
                false => None,
            };
            Ok((m, plan))
        })
        .collect::<Result<_, Error>>()?;
    Ok((run, absorbed))
}

/// `--dry-run`: the same checks and plans as a deploy, on a read-only look at the database
/// (a missing database or schema counts as empty: deploy would create it).
fn dry_run(
    service: &Service,
    url: &DatabaseUrl,
    local: &[Migration],
    options: &MigrateOptions,
    progress: Progress,
    report: &mut MigrateReport,
) -> Result<(), Error> {
    let name = service.name.as_str();
    let mut client = db::connect_existing(url)?;
    let rows = match &mut client {
        None => {
            report.database_created = true;
            Vec::new()
        }
        Some(client) => {
            if db::use_schema(client, &url.schema, false)? {
                ledger_rows(client, url, name, false)?
            } else {
                Vec::new()
            }
        }
    };
    let (pending, absorbed) = plan_pending(name, local, &rows, options, progress, report)?;
    report.recorded = absorbed.iter().map(|m| Recorded::of(m)).collect();
    report.planned = planned(&pending)?;
    // Without a database or a ledger, no table exists for a migration to meet.
    if let (Some(timeout), Some(client), false) = (options.precheck, &mut client, rows.is_empty()) {
        attach_checks(client, &pending, timeout, report)?;
        refuse_failing(report)?;
    }
    Ok(())
}

fn planned(pending: &[(&Migration, Option<Plan>)]) -> Result<Vec<Planned>, Error> {
    pending
        .iter()
        .map(|(m, plan)| {
            let parsed;
            let plan = match plan {
                Some(plan) => plan,
                None => {
                    parsed = Plan::new(&m.path, &m.sql)?;
                    &parsed
                }
            };
            Ok(Planned {
                name: m.name.clone(),
                transactional: plan.transactional(),
                statements: plan.summaries(&m.sql),
                checks: Vec::new(),
            })
        })
        .collect()
}

/// Runs the prechecks of `pending` into `report.planned`.
fn attach_checks(
    client: &mut Client,
    pending: &[(&Migration, Option<Plan>)],
    timeout: Duration,
    report: &mut MigrateReport,
) -> Result<(), Error> {
    let migrations: Vec<&Migration> = pending.iter().map(|(m, _)| *m).collect();
    let checks = precheck::precheck(client, &migrations, timeout)?;
    for (planned, checks) in report.planned.iter_mut().zip(checks) {
        planned.checks = checks;
    }
    Ok(())
}
