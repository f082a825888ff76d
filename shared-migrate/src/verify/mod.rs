//! `verify`: per service, in parallel, a throwaway database ([`backend`]) → every migration
//! applied from scratch through the same code as `migrate` (with `--data`, over rows: [`data`])
//! → a second deploy that must find nothing pending → the seed → the tests; with `--report`,
//! a second replay that measures each statement's locks ([`locks`]). Each step is timed and
//! has a time limit.

mod backend;
pub(crate) mod compat;
pub(crate) mod data;
pub(crate) mod locks;
mod scratch;

use std::time::{Duration, Instant};

use serde::Serialize;

pub(crate) use backend::Database;
pub use backend::{Backend, BackendKind, SWEEP_AFTER, UrlBackend, choose_backend};

use crate::commands;
use crate::config::{self, Isolation, VerifyConfig};
use crate::db::{self, DatabaseUrl};
use crate::diff;
use crate::error::ExitCode;
use crate::lint::RuleLevel;
use crate::migrate::{self, MigrateOptions};
use crate::parallel::{self, Progress};
use crate::seed;
use crate::workspace::{Migration, Service, Workspace};

#[derive(Debug, Clone)]
/// How `verify` runs.
pub struct VerifyOptions {
    /// Services verified at once.
    pub jobs: usize,
    /// Leave a failed service's database running.
    pub keep: bool,
    /// How long a migration may wait for a lock.
    pub lock_timeout: Duration,
    /// Run `lint` on the service first.
    pub lint: bool,
    /// Compare the migrated database with schema.prisma (the `schema` step).
    pub schema_check: bool,
    /// `--isolation`: overrides each service's `[verify] isolation`.
    pub isolation: Option<Isolation>,
    /// `--report`: replay the migrations once more, watching each statement's locks and
    /// rewrites ([`locks`]).
    pub locks: bool,
    /// `--data`: apply each migration over rows ([`data`]), whatever `[verify] data` says.
    pub data: bool,
    /// `--rows`: rows per table with data (overrides `[verify] rows`).
    pub rows: Option<usize>,
    /// `--seed`: the generated rows' seed.
    pub seed: u64,
    /// `--since REV`: lint judges only the migrations added or changed since REV.
    pub since: Option<String>,
    /// Keep lint's findings as GitHub workflow commands ([`VerifyReport::annotations`]).
    pub github: bool,
    /// Variables every service's datasource reads: removed from seeds' and tests'
    /// environment (this service's own are set to the throwaway database).
    pub forget: Vec<String>,
    /// `--compat REV` (else `[verify] compat`): REV's seed and tests against the new schema.
    pub compat: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    Passed,
    Failed,
    Skipped,
}

#[derive(Debug, Clone, Serialize)]
pub struct Step {
    pub name: &'static str,
    pub status: StepStatus,
    pub millis: u128,
    /// Why it failed or was skipped; a passing test step's output.
    pub detail: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
/// What `verify` found for one service.
pub struct VerifyReport {
    /// The service.
    pub service: String,
    /// The backend its database came from.
    pub backend: &'static str,
    /// What the service's database shared with others' (none until its configuration is read).
    pub isolation: Option<Isolation>,
    /// Redacted.
    pub url: Option<String>,
    /// Migrations applied.
    pub migrations: usize,
    /// Time until its database accepted a connection.
    pub ready_millis: Option<u128>,
    /// Each step, in order.
    pub steps: Vec<Step>,
    /// Wall time of the service's run.
    pub millis: u128,
    /// Where the kept database is and how to remove it (`--keep`, failed services).
    pub kept: Option<String>,
    /// `--report`: each migration's statements, their locks and rewrites.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locks: Option<Vec<locks::MigrationLocks>>,
    /// `--compat REV`: each new migration against the code already running.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compat: Option<compat::CompatReport>,
    /// On GitHub Actions: lint's findings as workflow commands, to print.
    #[serde(skip)]
    pub annotations: Option<String>,
}

impl VerifyReport {
    /// Every step passed or was skipped.
    pub fn passed(&self) -> bool {
        self.steps.iter().all(|s| s.status != StepStatus::Failed)
    }

    /// 2 when the service's configuration or migration files are bad (nothing ran), 1 when a
    /// later step failed, as the other commands count them.
    pub fn exit_code(&self) -> ExitCode {
        match self.failure() {
            None => ExitCode::Success,
            Some(step) if step.name == "config" => ExitCode::Usage,
            Some(_) => ExitCode::Failure,
        }
    }

    /// The step called `name`.
    pub fn step(&self, name: &str) -> Option<&Step> {
        self.steps.iter().find(|s| s.name == name)
    }

    /// The first step that failed.
    pub fn failure(&self) -> Option<&Step> {
        self.steps.iter().find(|s| s.status == StepStatus::Failed)
    }
}

/// Verifies every service, `options.jobs` at a time. Reports come back in service order.
pub fn verify_all(
    ws: &Workspace,
    services: &[Service],
    backend: &dyn Backend,
    options: &VerifyOptions,
    progress: Progress,
) -> Vec<VerifyReport> {
    parallel::map(options.jobs, services.iter().collect(), |s| {
        verify_service(ws, s, backend, options, progress)
    })
}

struct Run<'a> {
    report: VerifyReport,
    progress: Progress<'a>,
    failed: bool,
}

impl Run<'_> {
    /// Runs a step unless an earlier one failed; `work` returns Ok(detail) or Err(message).
    fn step<T>(
        &mut self,
        name: &'static str,
        work: impl FnOnce() -> Result<(T, Option<String>), String>,
    ) -> Option<T> {
        if self.failed {
            self.report.steps.push(Step {
                name,
                status: StepStatus::Skipped,
                millis: 0,
                detail: Some("an earlier step failed".into()),
            });
            return None;
        }
        (self.progress)(&self.report.service, name);
        let start = Instant::now();
        let result = work();
        let millis = start.elapsed().as_millis();
        match result {
            Ok((value, detail)) => {
                self.report.steps.push(Step {
                    name,
                    status: StepStatus::Passed,
                    millis,
                    detail,
                });
                Some(value)
            }
            Err(message) => {
                self.failed = true;
                self.report.steps.push(Step {
                    name,
                    status: StepStatus::Failed,
                    millis,
                    detail: Some(message),
                });
                None
            }
        }
    }

    /// Records a step that does not apply (no seed, no tests configured).
    fn skip(&mut self, name: &'static str, why: String) {
        let detail = if self.failed {
            "an earlier step failed".to_string()
        } else {
            why
        };
        self.report.steps.push(Step {
            name,
            status: StepStatus::Skipped,
            millis: 0,
            detail: Some(detail),
        });
    }
}

fn verify_service(
    ws: &Workspace,
    service: &Service,
    backend: &dyn Backend,
    options: &VerifyOptions,
    progress: Progress,
) -> VerifyReport {
    let start = Instant::now();
    let mut run = Run {
        report: VerifyReport {
            service: service.name.clone(),
            backend: backend.name(),
            isolation: None,
            url: None,
            migrations: 0,
            ready_millis: None,
            steps: Vec::new(),
            millis: 0,
            kept: None,
            locks: None,
            compat: None,
            annotations: None,
        },
        progress,
        failed: false,
    };
    let config = run.step("config", || {
        let mut config = config::verify_config(&ws.root, service).map_err(|e| e.to_string())?;
        if let Some(isolation) = options.isolation {
            config.isolation = isolation;
        }
        let n = service.migrations().map_err(|e| e.to_string())?.len();
        Ok(((config, n), None))
    });
    if let Some((config, n)) = &config {
        run.report.migrations = *n;
        run.report.isolation = Some(backend.isolation(config.isolation));
    }
    if options.lint {
        // Lint errors fail the service, but the database steps still run: both answers help.
        let failed_before = run.failed;
        let mut annotations = None;
        run.step("lint", || {
            lint_step(
                ws,
                service,
                options.since.as_deref(),
                options.github,
                &mut annotations,
            )
        });
        run.report.annotations = annotations;
        run.failed = failed_before;
    } else {
        run.skip("lint", "--no-lint".into());
    }
    // Not called when the config step failed: a failed step skips the rest.
    let db: Option<Box<dyn Database>> = run.step("database", || {
        let (config, _) = config.as_ref().ok_or("no configuration")?;
        let db = backend
            .provision(&service.name, config)
            .map_err(|e| e.to_string())?;
        Ok((db, None))
    });
    if let Some(db) = &db {
        run.report.url = Some(db.url().to_string());
        run.report.ready_millis = Some(db.ready_time().as_millis());
    }
    if let (Some((config, _)), Some(db)) = (&config, &db) {
        steps_on_database(&mut run, ws, service, config, db.url(), options);
    } else {
        for name in ["migrate", "redeploy", "schema", "seed", "test"] {
            run.skip(name, String::new());
        }
    }
    if let Some((config, _)) = &config
        && let Some(rev) = options.compat.clone().or_else(|| config.compat.clone())
    {
        // On databases of its own: it runs (and helps) whatever the steps above found.
        let failed_before = run.failed;
        run.failed = false;
        compat_step(&mut run, ws, service, backend, config, options, &rev);
        run.failed |= failed_before;
    }
    if options.locks
        && let (Some((config, _)), Some(_)) = (&config, &db)
    {
        // On a database of its own: the first one has been migrated, seeded and tested.
        let observed = run.step("locks", || {
            let fresh = backend
                .provision(&service.name, config)
                .map_err(|e| e.to_string())?;
            let migrations = service.migrations().map_err(|e| e.to_string())?;
            let rows = match options.data || config.data {
                true => Some(data_rows(&migrations, options, config)?),
                false => None,
            };
            let observed = locks::observe(fresh.url(), &migrations, rows)?;
            let warnings: Vec<String> = observed
                .iter()
                .flat_map(|m| m.warnings())
                .map(|s| format!("{}: {}", s.at, s.warning.as_deref().unwrap_or_default()))
                .collect();
            let detail = (!warnings.is_empty()).then(|| warnings.join("\n"));
            Ok((observed, detail))
        });
        run.report.locks = observed;
    }
    // Unless kept, the database is dropped here: server, container or scratch database removed.
    if let Some(db) = db
        && run.failed
        && options.keep
    {
        run.report.kept = Some(
            db.keep()
                .unwrap_or_else(|e| format!("could not keep the database: {e}")),
        );
    }
    run.report.millis = start.elapsed().as_millis();
    run.report
}

/// `--compat REV`: skipped for a service with nothing new since REV; fails when a new migration
/// breaks REV's seed or tests.
fn compat_step(
    run: &mut Run,
    ws: &Workspace,
    service: &Service,
    backend: &dyn Backend,
    config: &VerifyConfig,
    options: &VerifyOptions,
    rev: &str,
) {
    let target = match compat::applies(ws, service, rev) {
        Ok(compat::Applies::Skip(why)) => return run.skip("compat", why),
        Ok(compat::Applies::Check { rev, commit, added }) => (rev, commit, added),
        Err(e) => {
            run.step("compat", || Err::<((), _), _>(e.to_string()));
            return;
        }
    };
    let progress = run.progress;
    let say = |m: &str| progress(&service.name, m);
    let mut kept = None;
    run.step("compat", || {
        let report = compat::check(
            ws,
            service,
            backend,
            config,
            &options.forget,
            (&target.0, &target.1, &target.2),
            &say,
        )?;
        // One line per new migration here; the summary renders the whole report.
        let text: Vec<String> = report
            .migrations
            .iter()
            .map(|m| match m.broke.is_empty() {
                true => format!("{}: {}", m.name, m.verdict.label()),
                false => format!(
                    "{}: {}, breaks {}",
                    m.name,
                    m.verdict.label(),
                    m.broke.join("; ")
                ),
            })
            .collect();
        let broken = report.broken();
        kept = Some(report);
        match broken {
            true => Err(text.join("\n")),
            false => Ok(((), Some(text.join("\n")))),
        }
    });
    run.report.compat = kept;
}

/// The migrated database must be what schema.prisma describes, as Prisma compares them (what
/// `prisma migrate diff --from-migrations --to-schema-datamodel --exit-code` checks). None when
/// the service has no schema file.
fn schema_step<'a>(
    service: &'a Service,
    url: &'a DatabaseUrl,
) -> Option<impl FnOnce() -> seed::StepOutcome + 'a> {
    service.layout.schema.as_ref()?;
    Some(move || {
        let mut expected = diff::expected(service, &url.schema)
            .map_err(|e| e.to_string())?
            .ok_or("no schema.prisma")?;
        let mut client = db::connect(url).map_err(|e| e.to_string())?;
        let found = diff::introspect(&mut client, &expected.namespaces, expected.partial_indexes)
            .map_err(|e| e.to_string())?;
        diff::settle_predicates(&mut client, &mut expected.schema, &found.schema);
        let m = diff::compare(
            &found.schema,
            &expected.schema,
            &expected.namespaces,
            &expected.namespaces,
        );
        let mut unmanaged_list = found.unmanaged.clone();
        expected.remove_declared_extensions(&mut unmanaged_list);
        let unmanaged = if unmanaged_list.is_empty() {
            String::new()
        } else {
            format!(
                "; not managed by schema.prisma: {}",
                unmanaged_list.join(", ")
            )
        };
        if m.is_empty() {
            return Ok((
                (),
                Some(format!(
                    "the migrations build what schema.prisma describes{unmanaged}"
                )),
            ));
        }
        let migrations = service.migrations().map_err(|e| e.to_string())?;
        let sides = diff::Sides {
            from: "the migrations",
            to: "schema.prisma",
        };
        let list = diff::differences(&m, &diff::Creators::of(&migrations), &sides);
        Err(render_drift(&service.name, &diff::summary(&m), &list))
    })
}

/// Prisma's summary, then each difference with its places and what to do.
pub(crate) fn render_drift(service: &str, summary: &str, list: &[diff::Difference]) -> String {
    let mut out = format!(
        "the migrations do not build what schema.prisma describes (Prisma's summary of what a new migration would change):\n{}\n",
        summary.trim_end()
    );
    for d in list {
        out.push_str(&format!("\n  - {}", d.message));
        if let Some(at) = &d.schema_at {
            out.push_str(&format!("\n      schema.prisma: {at}"));
        }
        if let Some(at) = &d.migration_at {
            out.push_str(&format!("\n      made by: {at}"));
        }
        if let Some(h) = &d.hint {
            out.push_str(&format!("\n      {h}"));
        }
    }
    out.push_str(&format!(
        "\n\nwrite the missing migration with `cargo xtask new -s {} --from-schema --name <change>`, or fix schema.prisma",
        crate::text::shell_word(service)
    ));
    out
}

/// Lints the service; errors fail the step, warnings are its detail.
fn lint_step(
    ws: &Workspace,
    service: &Service,
    since: Option<&str>,
    github: bool,
    annotations: &mut Option<String>,
) -> seed::StepOutcome {
    let options =
        crate::lint::LintOptions::now(since.map(str::to_string)).cached(Some(ws.lint_cache()));
    let report = commands::lint_services(ws, std::slice::from_ref(service), &options)
        .map_err(|e| e.to_string())?;
    if github && !report.findings.is_empty() {
        *annotations = Some(crate::lint::render::github(&report));
    }
    let text = crate::lint::render::human(&report, false);
    if report.count(RuleLevel::Error) > 0 {
        Err(format!("{text}{}", history_hint(ws, service, &report)))
    } else if report.findings.is_empty() {
        Ok(((), None))
    } else {
        Ok(((), Some(text)))
    }
}

/// A migration that failed on verify's throwaway database: the failure as migrate tells it,
/// with advice for this run instead of a deploy's (nothing here needs resolving, and a
/// migration may already be deployed elsewhere).
fn throwaway_advice(e: &crate::error::Error) -> String {
    let text = e.to_string();
    let crate::error::Error::MigrationFailed(_) = e else {
        return text;
    };
    let failure = text.split("\n\n").next().unwrap_or(&text);
    format!(
        "{failure}\n\nThis ran on a throwaway database; nothing needs resolving. If the migration is not deployed anywhere yet, fix it and run verify again. If it is already deployed (production databases hold its checksum), do not edit it: correct it with a new migration (`cargo xtask new`), and if the failure cannot happen on those databases, say why in the migration that follows."
    )
}

/// On a lint failure in a service whose history was never accepted, when the errors are not
/// all in its newest migration: the way to adopt the tool on deployed history.
fn history_hint(ws: &Workspace, service: &Service, report: &crate::lint::LintReport) -> String {
    let accepted = crate::config::accepted_through(&ws.root, &service.name)
        .ok()
        .flatten();
    let newest = service
        .migration_dirs()
        .ok()
        .and_then(|d| d.last().map(|(n, _)| n.clone()));
    let in_history = report.findings.iter().any(|f| {
        f.level == RuleLevel::Error
            && !crate::lint::HISTORY_RULES.contains(&f.rule)
            && newest
                .as_ref()
                .is_none_or(|n| !f.path.contains(&format!("/{n}/")))
    });
    if accepted.is_some() || !in_history {
        return String::new();
    }
    format!(
        "\nIf these migrations are deployed history, accept them as they are: `cargo xtask lint --accept-history -s {}` (commit {}); lint then judges only the migrations added after them. A finding in one migration can also be allowed in xtask.toml ([[lint.allow]] migration, rule, reason).",
        crate::text::shell_word(&service.name),
        crate::config::HISTORY_FILE
    )
}

fn steps_on_database(
    run: &mut Run,
    ws: &Workspace,
    service: &Service,
    config: &VerifyConfig,
    url: &DatabaseUrl,
    options: &VerifyOptions,
) {
    let timeout = config.timeout;
    let mopts = MigrateOptions {
        lock_timeout: options.lock_timeout,
        strict: true,
        jobs: 1,
        ..MigrateOptions::default()
    };
    let progress = run.progress;
    let forward = move |svc: &str, msg: &str| {
        if msg.starts_with("applying") {
            progress(svc, msg);
        }
    };
    if options.data || config.data {
        run.step("migrate", || {
            let migrations = service.migrations().map_err(|e| e.to_string())?;
            let rows = data_rows(&migrations, options, config)?;
            let (r, timed_out) = db::with_deadline(url, timeout, || {
                migrate_over_rows(service, &migrations, url, &mopts, rows, &forward)
            });
            match r {
                Err(_) if timed_out => Err(format!("timed out after {timeout:?}")),
                r => r.map(|detail| ((), Some(detail))),
            }
        });
    } else {
        run.step("migrate", || {
            let (r, timed_out) = db::with_deadline(url, timeout, || {
                migrate::migrate_service(service, Ok(url.clone()), &mopts, &forward)
            });
            match r.result {
                Ok(()) => Ok(((), Some(format!("{} migrations applied", r.applied.len())))),
                Err(_) if timed_out => Err(format!(
                    "timed out after {timeout:?} (after {} migrations)",
                    r.applied.len()
                )),
                Err(e) => Err(throwaway_advice(&e)),
            }
        });
    }
    run.step("redeploy", || {
        let (r, _) = db::with_deadline(url, timeout, || migrate::migrate_service(service, Ok(url.clone()), &mopts, &|_, _| {}));
        match r.result {
            Err(e) => Err(e.to_string()),
            Ok(()) if !r.applied.is_empty() => Err(format!(
                "a second deploy applied {} more migrations; the first should have applied everything",
                r.applied.len()
            )),
            Ok(()) => Ok(((), Some("nothing pending".into()))),
        }
    });
    if !options.schema_check {
        run.skip("schema", "--no-schema-check".into());
    } else {
        match schema_step(service, url) {
            Some(work) => {
                run.step("schema", work);
            }
            None => run.skip(
                "schema",
                format!(
                    "no schema.prisma to compare with (looked for {})",
                    service.prisma_dir().join("schema.prisma").display()
                ),
            ),
        }
    }
    // The team's own seed and tests, as Prisma and their package manager find them.
    let progress = run.progress;
    let say = |message: &str| progress(&service.name, message);
    let mut installed = false;
    let mut install = |run_seed_or_tests: &seed::Found| -> Result<Option<String>, String> {
        if installed || matches!(run_seed_or_tests.command, seed::Command::Sql(_)) {
            return Ok(None);
        }
        installed = true;
        seed::install_dependencies(ws, service, timeout, &say)
    };
    let forget = &options.forget;
    for (step, found, none, required) in [
        (
            "seed",
            seed::find_seed(service, config),
            seed::no_seed(service),
            config.require.iter().any(|r| r == "seed"),
        ),
        (
            "test",
            seed::find_tests(ws, service, config),
            seed::no_tests(service),
            config.require.iter().any(|r| r == "tests"),
        ),
    ] {
        match found {
            Err(e) => {
                run.step(step, || Err::<((), _), _>(e.to_string()));
            }
            Ok(Some(found)) => {
                run.step(step, || {
                    let note = install(&found)?;
                    let ((), output) = seed::run(ws, service, &found, url, forget, timeout)
                        .map_err(|e| format!("{} failed: {e}", found.describe()))?;
                    let mut detail = format!("ran {}", found.describe());
                    for extra in [note, output].into_iter().flatten() {
                        detail.push('\n');
                        detail.push_str(&extra);
                    }
                    Ok(((), Some(detail)))
                });
            }
            Ok(None) if required => {
                run.step(step, || {
                    Err::<((), _), _>(format!(
                        "{none}\n([verify] require lists `{}`, so a service without one fails)",
                        if step == "test" { "tests" } else { step }
                    ))
                });
            }
            Ok(None) => run.skip(step, none),
        }
    }
}

/// What `--data` generates for a service: the flags over its `[verify]` configuration and
/// its migrations' markers.
fn data_rows(
    migrations: &[Migration],
    options: &VerifyOptions,
    config: &VerifyConfig,
) -> Result<data::Rows, String> {
    data::Rows::new(
        options.rows.unwrap_or(config.rows),
        options.seed,
        config.data_since.clone(),
        migrations,
    )
}

/// `--data`: the migrations applied through the same code as `migrate`, every new table filled
/// on the migrating session before each migration after the first (after `data_since`).
fn migrate_over_rows(
    service: &Service,
    migrations: &[Migration],
    url: &DatabaseUrl,
    mopts: &MigrateOptions,
    rows: data::Rows,
    progress: Progress,
) -> Result<String, String> {
    use std::sync::{Arc, Mutex};
    let (per_table, since) = (rows.per_table, rows.since.clone());
    let filler = Arc::new(Mutex::new(data::Filler::new(rows)));
    let schema = url.schema.clone();
    let hook = {
        let filler = filler.clone();
        migrate::BeforeEach(Arc::new(
            move |client: &mut postgres::Client, next: &str| {
                let mut filler = filler.lock().unwrap_or_else(|e| e.into_inner());
                filler.before(client, &schema, next).map_err(|e| {
                    format!(
                        "verify --data: generating rows: {}",
                        crate::error::describe_pg_error(&e)
                    )
                })
            },
        ))
    };
    let options = MigrateOptions {
        before_each: Some(hook),
        ..mopts.clone()
    };
    let r = migrate::migrate_service(service, Ok(url.clone()), &options, progress);
    let applied = r.applied.len();
    let filler = std::mem::take(&mut *filler.lock().unwrap_or_else(|e| e.into_inner()));
    if let Err(e) = r.result {
        if !filler.started() {
            return Err(e.to_string());
        }
        // From scratch, the failing migration is the one after those applied.
        let failed = migrations
            .get(applied)
            .map_or("<migration>", |m| m.name.as_str());
        return Err(format!(
            "{e}\n\nwith rows: verify --data put up to {per_table} rows in every table before this \
             migration (production's tables hold rows too); a statement that only works on an \
             empty table fails here. The zero-downtime way: add a column nullable or with a \
             default, backfill it, then SET NOT NULL in a later migration; remove duplicates \
             before a unique index; add a foreign key NOT VALID, fix the orphans, then \
             VALIDATE CONSTRAINT; change a type with USING where values need converting.\n\
             If its tables are empty in production when it runs (created earlier in the same \
             release), say so in the migration: `{} <reason>`. If this migration is deployed \
             already (its tables were empty then), start the rows after it: \
             data_since = \"{failed}\" under [verify] in {}",
            data::EMPTY_MARKER,
            service.dir.join(config::FILE_NAME).display()
        ));
    }
    let filled = filler.filled;
    let mut client = db::connect(url).map_err(|e| e.to_string())?;
    db::use_schema(&mut client, &url.schema, true).map_err(|e| e.to_string())?;
    data::clear(&mut client, &url.schema).map_err(|e| {
        format!(
            "emptying the tables after the migrations: {}",
            crate::error::describe_pg_error(&e)
        )
    })?;
    let since = match &since {
        Some(s) => format!(", from the migration after {s} on"),
        None => String::new(),
    };
    let mut detail = format!(
        "{applied} migrations applied over rows ({} rows generated, up to {per_table} per table{since}; emptied again for the seed and tests)",
        filled.rows
    );
    if !filled.dropped.is_empty() {
        let list: Vec<String> = filled
            .dropped
            .iter()
            .map(|(t, (n, why))| format!("{} {n} ({why})", db::quote_ident(t)))
            .collect();
        detail.push_str(&format!("; rows the server refused: {}", list.join(", ")));
    }
    if !filled.skipped.is_empty() {
        detail.push_str(&format!("; not filled: {}", filled.skipped.join("; ")));
    }
    Ok(detail)
}
