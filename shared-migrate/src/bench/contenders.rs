//! The contenders of `cargo xtask bench` and how each one is run and timed: the psql
//! baselines, migrate, verify, lint and squawk, each as a user runs it.

use std::path::{Path, PathBuf};

use super::measure::{self, Sample};
use super::{BenchOptions, Scratch};
use crate::db::{self, DatabaseUrl};
use crate::error::Error;
use crate::pg_tools::LocalCluster;
use crate::workspace::{Service, Workspace};

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub(super) enum Contender {
    /// (a) `psql -f` once per migration, in order, service after service: a shell script.
    PsqlPerMigration,
    /// (b) one `psql` session per service running all its migrations, statement by statement
    /// in autocommit.
    PsqlPerService,
    /// (c) one `psql` session per service, each migration in a transaction of its own, as
    /// migrate runs them: the floor.
    PsqlTransactionPerMigration,
    Migrate {
        jobs: usize,
    },
    Verify {
        backend: &'static str,
        jobs: usize,
    },
    /// `verify --backend local --data --rows N`: each migration over rows.
    VerifyData {
        rows: usize,
        jobs: usize,
    },
    /// lint with an empty cache (emptied before each run).
    LintMonorepo,
    LintLongHistory,
    /// lint again, nothing changed: the cache's case.
    LintLongHistoryWarm,
    /// The squawk CLI on the same history, one process, as its users run it.
    Squawk,
}

impl Contender {
    pub(super) fn name(&self, options: &BenchOptions) -> String {
        match self {
            Contender::PsqlPerMigration => "(a) psql -f, once per migration".into(),
            Contender::PsqlPerService => "(b) psql, one session per service".into(),
            Contender::PsqlTransactionPerMigration => {
                "(c) psql, one transaction per migration".into()
            }
            Contender::Migrate { jobs } => format!("migrate --jobs {jobs}"),
            Contender::Verify { backend, jobs } => {
                format!("verify --backend {backend} --jobs {jobs}")
            }
            Contender::VerifyData { rows, jobs } => {
                format!("verify --data --rows {rows} --jobs {jobs}")
            }
            Contender::LintMonorepo => format!(
                "lint ({} migrations)",
                options.shape.services * options.shape.migrations
            ),
            Contender::LintLongHistory => {
                format!("lint ({} migrations, 1 service)", options.lint_migrations)
            }
            Contender::LintLongHistoryWarm => {
                format!(
                    "lint again, cached ({} migrations)",
                    options.lint_migrations
                )
            }
            Contender::Squawk => format!("squawk 2.68 ({} migrations)", options.lint_migrations),
        }
    }

    /// Contenders that apply the monorepo to empty databases on the shared server.
    fn needs_databases(&self) -> bool {
        matches!(
            self,
            Contender::PsqlPerMigration
                | Contender::PsqlPerService
                | Contender::PsqlTransactionPerMigration
                | Contender::Migrate { .. }
        )
    }

    pub(super) fn is_ours(&self) -> bool {
        !matches!(
            self,
            Contender::PsqlPerMigration
                | Contender::PsqlPerService
                | Contender::PsqlTransactionPerMigration
                | Contender::Squawk
        )
    }

    /// Compared to the psql baselines: everything that applies the migrations.
    pub(super) fn applies_migrations(&self) -> bool {
        !self.lints()
    }

    /// Compared to squawk: lint of the long history.
    pub(super) fn lints(&self) -> bool {
        matches!(
            self,
            Contender::LintMonorepo
                | Contender::LintLongHistory
                | Contender::LintLongHistoryWarm
                | Contender::Squawk
        )
    }
}

/// What every measurement needs.
pub(super) struct Cx<'a> {
    pub(super) options: &'a BenchOptions,
    pub(super) server: &'a LocalCluster,
    pub(super) psql: &'a Path,
    pub(super) scratch: &'a Scratch,
    pub(super) monorepo: &'a Path,
    pub(super) services: Vec<Service>,
    pub(super) long_history: &'a Path,
    pub(super) squawk: Option<&'a Path>,
}

impl Cx<'_> {
    /// One timed run of `contender`, with its empty databases made before and dropped after
    /// (untimed). For verify, also the services' times to ready.
    pub(super) fn measure(
        &self,
        contender: Contender,
        tag: &str,
    ) -> Result<(Sample, Option<Vec<f64>>), Error> {
        let urls: Vec<DatabaseUrl> = if contender.needs_databases() {
            self.services
                .iter()
                .map(|s| {
                    self.server
                        .create_database(&format!("bench_{tag}_{}", s.name))
                })
                .collect::<Result<_, _>>()?
        } else {
            Vec::new()
        };
        let result = self.time(contender, &urls);
        for url in &urls {
            drop_database(self.server, url)?;
        }
        let (sample, code) = result?;
        if code != 0 {
            return Err(Error::Bench(format!(
                "{} exited with {code}:\n{}",
                contender.name(self.options),
                self.scratch.tail()
            )));
        }
        let readiness = match contender {
            Contender::Verify { .. } => Some(self.check_verify()?),
            Contender::Migrate { .. } => {
                self.check_migrate()?;
                None
            }
            _ => None,
        };
        Ok((sample, readiness))
    }

    fn time(&self, contender: Contender, urls: &[DatabaseUrl]) -> Result<(Sample, i32), Error> {
        let mut cmd = self.scratch.command(&self.options.exe)?;
        cmd.env(measure::PEAK_RSS_ENV, &self.scratch.peak);
        match contender {
            Contender::PsqlPerMigration => {
                let mut files = Vec::new();
                for (service, url) in self.services.iter().zip(urls) {
                    for file in migration_files(service)? {
                        files.push((url, vec![file]));
                    }
                }
                return self.psql_sequence(&files);
            }
            Contender::PsqlPerService => {
                let mut per_service = Vec::new();
                for (service, url) in self.services.iter().zip(urls) {
                    per_service.push((url, migration_files(service)?));
                }
                return self.psql_sequence(&per_service);
            }
            Contender::PsqlTransactionPerMigration => {
                // One script per service: BEGIN; \i file; COMMIT; for each migration.
                let mut per_service = Vec::new();
                for (service, url) in self.services.iter().zip(urls) {
                    let mut script = String::new();
                    for file in migration_files(service)? {
                        // As migrate: a file with CREATE INDEX CONCURRENTLY and the like runs
                        // statement by statement.
                        let sql =
                            std::fs::read_to_string(&file).map_err(|e| Error::io(&file, e))?;
                        let quoted = file.display().to_string().replace('\'', "''");
                        if crate::sql::Plan::new(&file, &sql)?.transactional() {
                            script.push_str(&format!("BEGIN;\n\\i '{quoted}'\nCOMMIT;\n"));
                        } else {
                            script.push_str(&format!("\\i '{quoted}'\n"));
                        }
                    }
                    let path = self
                        .options
                        .dir
                        .join(format!("transactions-{}.psql", service.name));
                    std::fs::write(&path, script).map_err(|e| Error::io(&path, e))?;
                    per_service.push((url, vec![path]));
                }
                return self.psql_sequence(&per_service);
            }
            Contender::Squawk => {
                let squawk = self.squawk.expect("squawk is a contender only when found");
                let mut cmd = self.scratch.command(squawk)?;
                cmd.current_dir(self.long_history)
                    .arg("services/*/prisma/migrations/*/migration.sql");
                let (millis, _) = measure::run(&mut cmd)?;
                // squawk exits 1 when it has findings (it has, on this history): its output
                // says whether it checked every file.
                let checked = format!("checked {} source files", self.options.lint_migrations);
                let code = if self.scratch.stdout().contains(&checked) {
                    0
                } else {
                    1
                };
                return Ok((
                    Sample {
                        millis,
                        peak_rss_kib: None,
                    },
                    code,
                ));
            }
            Contender::Migrate { jobs } => {
                cmd.arg("--root").arg(self.monorepo).args([
                    "migrate",
                    "--jobs",
                    &jobs.to_string(),
                    "--format",
                    "json",
                ]);
                for (service, url) in self.services.iter().zip(urls) {
                    cmd.env(service.url_env_var(), url.expose());
                }
            }
            Contender::Verify { backend, jobs } => {
                cmd.arg("--root").arg(self.monorepo).args([
                    "verify",
                    "--backend",
                    backend,
                    "--jobs",
                    &jobs.to_string(),
                    "--format",
                    "json",
                ]);
                if backend == "docker" {
                    cmd.args(["--image", &self.options.image]);
                }
            }
            Contender::VerifyData { rows, jobs } => {
                cmd.arg("--root").arg(self.monorepo).args([
                    "verify",
                    "--backend",
                    "local",
                    "--jobs",
                    &jobs.to_string(),
                    "--data",
                    "--rows",
                    &rows.to_string(),
                    "--format",
                    "json",
                ]);
            }
            Contender::LintMonorepo
            | Contender::LintLongHistory
            | Contender::LintLongHistoryWarm => {
                let root = if contender == Contender::LintMonorepo {
                    self.monorepo
                } else {
                    self.long_history
                };
                let cache = Workspace::new(root).lint_cache();
                if contender == Contender::LintLongHistoryWarm {
                    // Filled by an untimed run if empty; unchanged since, as a re-lint finds it.
                    let (_, code) = measure::run(
                        self.scratch
                            .command(&self.options.exe)?
                            .arg("--root")
                            .arg(root)
                            .args(["lint", "--format", "json"]),
                    )?;
                    if code > 1 {
                        return Ok((
                            Sample {
                                millis: 0.0,
                                peak_rss_kib: None,
                            },
                            code,
                        ));
                    }
                } else if cache.exists() {
                    std::fs::remove_dir_all(&cache).map_err(|e| Error::io(&cache, e))?;
                }
                cmd.arg("--root")
                    .arg(root)
                    .args(["lint", "--format", "json"]);
            }
        }
        let (millis, code) = measure::run(&mut cmd)?;
        let peak_rss_kib = measure::take_peak(&self.scratch.peak);
        if code == 0 && peak_rss_kib.is_none() {
            return Err(Error::Bench(format!(
                "{} did not report its peak memory: is {} an xtask binary?",
                contender.name(self.options),
                self.options.exe.display()
            )));
        }
        Ok((
            Sample {
                millis,
                peak_rss_kib,
            },
            code,
        ))
    }

    /// psql sessions one after another, each running its files in order; timed as one.
    fn psql_sequence(
        &self,
        sessions: &[(&DatabaseUrl, Vec<PathBuf>)],
    ) -> Result<(Sample, i32), Error> {
        let start = std::time::Instant::now();
        for (url, files) in sessions {
            let mut cmd = self.scratch.command(self.psql)?;
            cmd.args(["-X", "-q", "-v", "ON_ERROR_STOP=1"]);
            for f in files {
                cmd.arg("-f").arg(f);
            }
            let env = crate::pg_tools::client_env(url)?;
            cmd.envs(env.vars.iter().cloned());
            let (_, code) = measure::run(&mut cmd)?;
            if code != 0 {
                return Ok((
                    Sample {
                        millis: 0.0,
                        peak_rss_kib: None,
                    },
                    code,
                ));
            }
        }
        let millis = start.elapsed().as_secs_f64() * 1000.0;
        Ok((
            Sample {
                millis,
                peak_rss_kib: None,
            },
            0,
        ))
    }

    /// Every migration of every service was applied: a benchmark of a failed run means nothing.
    fn check_migrate(&self) -> Result<(), Error> {
        let json: serde_json::Value = serde_json::from_str(&self.scratch.stdout())
            .map_err(|e| Error::Bench(format!("migrate printed no JSON report: {e}")))?;
        let applied: usize = json
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|r| r["applied"].as_array().map(Vec::len))
                    .sum()
            })
            .unwrap_or(0);
        let expected = self.options.shape.services * self.options.shape.migrations;
        if applied != expected {
            return Err(Error::Bench(format!(
                "migrate applied {applied} migrations, expected {expected}"
            )));
        }
        Ok(())
    }

    /// Every service passed; returns their times to ready.
    fn check_verify(&self) -> Result<Vec<f64>, Error> {
        let json: serde_json::Value = serde_json::from_str(&self.scratch.stdout())
            .map_err(|e| Error::Bench(format!("verify printed no JSON report: {e}")))?;
        let reports = json.as_array().cloned().unwrap_or_default();
        if reports.len() != self.options.shape.services {
            return Err(Error::Bench(format!(
                "verify reported {} services, expected {}",
                reports.len(),
                self.options.shape.services
            )));
        }
        Ok(reports
            .iter()
            .filter_map(|r| r["ready_millis"].as_f64())
            .collect())
    }
}

/// Drops a database made on `server` for a measurement.
pub(super) fn drop_database(server: &LocalCluster, url: &DatabaseUrl) -> Result<(), Error> {
    let mut client = db::connect(&server.url("postgres"))?;
    client
        .batch_execute(&format!(
            "DROP DATABASE IF EXISTS {}",
            db::quote_ident(&url.dbname)
        ))
        .map_err(|e| Error::database(format!("dropping `{}`", url.dbname), &e))
}

/// A service's migration files, in the order they apply.
fn migration_files(service: &Service) -> Result<Vec<PathBuf>, Error> {
    Ok(service
        .migration_dirs()?
        .into_iter()
        .map(|(_, dir)| dir.join("migration.sql"))
        .collect())
}
