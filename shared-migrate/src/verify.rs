//! `verify`: per service, in parallel, a throwaway database ([`crate::backend`]) → every
//! migration applied from scratch through the same code as `migrate` → a second deploy that must
//! find nothing pending → the seed → the tests. Each step is timed and has a time limit.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::backend::{self, Backend, Database};
use crate::config::{self, VerifyConfig};
use crate::connection;
use crate::database_url::DatabaseUrl;
use crate::local_cluster::client_env;
use crate::migrator;
use crate::script::{self, Plan};
use crate::source::{Service, Workspace};
use crate::{command, error::Error};

#[derive(Debug, Clone)]
pub struct Options {
    pub jobs: usize,
    /// Leave a failed service's database running.
    pub keep: bool,
    pub lock_timeout: Duration,
    /// Run `lint` on the service first.
    pub lint: bool,
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
pub struct ServiceReport {
    pub service: String,
    pub backend: &'static str,
    /// Redacted.
    pub url: Option<String>,
    pub migrations: usize,
    pub ready_millis: Option<u128>,
    pub steps: Vec<Step>,
    pub millis: u128,
    /// Where the kept database is and how to remove it (`--keep`, failed services).
    pub kept: Option<String>,
}

impl ServiceReport {
    pub fn passed(&self) -> bool {
        self.steps.iter().all(|s| s.status != StepStatus::Failed)
    }

    /// 2 when the service's configuration or migration files are bad (nothing ran), 1 when a
    /// later step failed, as the other commands count them.
    pub fn exit_code(&self) -> crate::ExitCode {
        match self.failure() {
            None => crate::ExitCode::Success,
            Some(step) if step.name == "config" => crate::ExitCode::Usage,
            Some(_) => crate::ExitCode::Failure,
        }
    }

    pub fn step(&self, name: &str) -> Option<&Step> {
        self.steps.iter().find(|s| s.name == name)
    }

    pub fn failure(&self) -> Option<&Step> {
        self.steps.iter().find(|s| s.status == StepStatus::Failed)
    }
}

/// Receives (service, what it is doing now).
pub type Progress<'a> = &'a (dyn Fn(&str, &str) + Sync);

pub const STEPS: [&str; 7] = [
    "config", "lint", "database", "migrate", "redeploy", "seed", "test",
];

/// Verifies every service, `options.jobs` at a time. Reports come back in service order.
pub fn verify_all(
    ws: &Workspace,
    services: &[Service],
    backend: &dyn Backend,
    options: &Options,
    progress: Progress,
) -> Vec<ServiceReport> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(options.jobs.max(1))
        .build()
        .expect("thread pool");
    pool.install(|| {
        use rayon::prelude::*;
        services
            .par_iter()
            .map(|s| verify_service(ws, s, backend, options, progress))
            .collect()
    })
}

struct Run<'a> {
    report: ServiceReport,
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
    options: &Options,
    progress: Progress,
) -> ServiceReport {
    let start = Instant::now();
    let mut run = Run {
        report: ServiceReport {
            service: service.name.clone(),
            backend: backend.name(),
            url: None,
            migrations: 0,
            ready_millis: None,
            steps: Vec::new(),
            millis: 0,
            kept: None,
        },
        progress,
        failed: false,
    };
    let config = run.step("config", || {
        let config = config::verify_config(&ws.root, service).map_err(|e| e.to_string())?;
        let n = service.migrations().map_err(|e| e.to_string())?.len();
        Ok(((config, n), None))
    });
    if let Some((_, n)) = &config {
        run.report.migrations = *n;
    }
    if options.lint {
        // Lint errors fail the service, but the database steps still run: both answers help.
        let failed_before = run.failed;
        run.step("lint", || lint_step(ws, service));
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
        steps_on_database(&mut run, service, config, db.url(), options);
    } else {
        for name in ["migrate", "redeploy", "seed", "test"] {
            run.skip(name, String::new());
        }
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

/// Lints the service; errors fail the step, warnings are its detail.
fn lint_step(ws: &Workspace, service: &Service) -> Result<((), Option<String>), String> {
    use crate::config::RuleLevel;
    use crate::lint::{self, render};
    let report = lint::lint(ws, std::slice::from_ref(service), &lint::Options::now(None))
        .map_err(|e| e.to_string())?;
    let text = render::human(&report, false);
    if report.count(RuleLevel::Error) > 0 {
        Err(text)
    } else if report.findings.is_empty() {
        Ok(((), None))
    } else {
        Ok(((), Some(text)))
    }
}

fn steps_on_database(
    run: &mut Run,
    service: &Service,
    config: &VerifyConfig,
    url: &DatabaseUrl,
    options: &Options,
) {
    let timeout = config.timeout;
    let mopts = migrator::Options {
        lock_timeout: options.lock_timeout,
        strict: true,
        jobs: 1,
        ..migrator::Options::default()
    };
    let progress = run.progress;
    let forward = move |svc: &str, msg: &str| {
        if msg.starts_with("applying") {
            progress(svc, msg);
        }
    };
    run.step("migrate", || {
        let (r, timed_out) = with_deadline(url, timeout, || {
            migrator::migrate_service(service, Ok(url.clone()), &mopts, &forward)
        });
        match r.result {
            Ok(()) => Ok(((), Some(format!("{} migrations applied", r.applied.len())))),
            Err(_) if timed_out => Err(format!(
                "timed out after {timeout:?} (after {} migrations)",
                r.applied.len()
            )),
            Err(e) => Err(e.to_string()),
        }
    });
    run.step("redeploy", || {
        let (r, _) = with_deadline(url, timeout, || migrator::migrate_service(service, Ok(url.clone()), &mopts, &|_, _| {}));
        match r.result {
            Err(e) => Err(e.to_string()),
            Ok(()) if !r.applied.is_empty() => Err(format!(
                "a second deploy applied {} more migrations; the first should have applied everything",
                r.applied.len()
            )),
            Ok(()) => Ok(((), Some("nothing pending".into()))),
        }
    });
    match seed(service, config, url) {
        Some(work) => {
            run.step("seed", work);
        }
        None => run.skip("seed", no_seed(service)),
    }
    match &config.test {
        Some(argv) => {
            run.step("test", || run_command(service, argv, url, timeout));
        }
        None => run.skip(
            "test",
            format!(
                "no tests: set [verify] test in {}",
                service.dir.join(config::FILE_NAME).display()
            ),
        ),
    }
}

/// The service's seed, if it has one: the configured `[verify] seed` command, else
/// `prisma/seed.sql`. Returns the work to run (Ok(output tail) or Err(message)).
pub fn seed<'a>(
    service: &'a Service,
    config: &'a VerifyConfig,
    url: &'a DatabaseUrl,
) -> Option<impl FnOnce() -> Result<((), Option<String>), String> + 'a> {
    let timeout = config.timeout;
    let seed_sql = service.prisma_dir().join("seed.sql");
    if config.seed.is_none() && !seed_sql.is_file() {
        return None;
    }
    Some(move || match &config.seed {
        Some(argv) => run_command(service, argv, url, timeout),
        None => {
            let (r, timed_out) = with_deadline(url, timeout, || run_sql_file(url, &seed_sql));
            match r {
                Err(_) if timed_out => Err(format!("timed out after {timeout:?}")),
                Err(e) => Err(e),
                Ok(()) => Ok(((), None)),
            }
        }
    })
}

/// Why a service has no seed step, and how to give it one.
pub fn no_seed(service: &Service) -> String {
    format!(
        "no seed: add {} or [verify] seed in {}",
        service.prisma_dir().join("seed.sql").display(),
        service.dir.join(config::FILE_NAME).display()
    )
}

fn run_command(
    service: &Service,
    argv: &[String],
    url: &DatabaseUrl,
    timeout: Duration,
) -> Result<((), Option<String>), String> {
    match command::run(&service.dir, argv, &client_env(url), timeout) {
        Ok(done) => Ok(((), Some(url.redact_in(&command::tail(&done.output, 40))))),
        Err(f) => Err(url.redact_in(&f.describe(argv, timeout))),
    }
}

/// Runs a SQL file (a seed) as migrations run: in one transaction, statement by statement,
/// failures located in the file.
pub fn run_sql_file(url: &DatabaseUrl, path: &std::path::Path) -> Result<(), String> {
    let sql = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let plan = Plan::new(path, &sql).map_err(|e| e.to_string())?;
    let mut client = connection::connect(url).map_err(|e| e.to_string())?;
    connection::use_schema(&mut client, &url.schema, true).map_err(|e| e.to_string())?;
    let fail = |e: script::ScriptError| {
        format!(
            "{} failed:\n{}",
            path.display(),
            script::describe_error(path, &sql, &e.error, e.from)
        )
    };
    if plan.transactional() {
        let mut tx = client
            .transaction()
            .map_err(|e| Error::database("BEGIN", &e).to_string())?;
        script::execute_transactional(&mut tx, &plan, &sql).map_err(fail)?;
        tx.commit()
            .map_err(|e| Error::database("COMMIT", &e).to_string())
    } else {
        script::execute_statement_by_statement(&mut client, &plan.statement_by_statement(), &sql)
            .map_err(|(_, e)| fail(e))?;
        Ok(())
    }
}

/// Runs `work`; if it takes longer than `timeout`, every session on the database is ended so
/// that it fails promptly. Returns whether that happened.
fn with_deadline<T>(url: &DatabaseUrl, timeout: Duration, work: impl FnOnce() -> T) -> (T, bool) {
    let (done, wait) = mpsc::channel::<()>();
    let fired = Arc::new(AtomicBool::new(false));
    let watchdog = {
        let fired = fired.clone();
        let url = url.clone();
        std::thread::spawn(move || {
            if let Err(mpsc::RecvTimeoutError::Timeout) = wait.recv_timeout(timeout) {
                fired.store(true, Ordering::SeqCst);
                backend::interrupt(&url);
            }
        })
    };
    let result = work();
    drop(done);
    let _ = watchdog.join();
    (result, fired.load(Ordering::SeqCst))
}
