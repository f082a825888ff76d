//! `cargo xtask bench`: how much our tool adds above what PostgreSQL itself needs.
//!
//! A seeded synthetic monorepo ([`generate`]) is applied, in one run, by every contender,
//! interleaved (the order rotates each repetition, so drift on a shared machine spreads over
//! all of them): two `psql` baselines, `migrate` with one job and one per core, `verify` on the
//! local (and docker) backend, and `lint`. Each contender runs as a user runs it, as a child
//! process of the binary under test, timed with its peak memory ([`measure`]). Figures are
//! medians with their range, and ratios to baseline (b), the closest thing to the floor.

mod contenders;
pub(crate) mod generate;
pub(crate) mod measure;
pub(crate) mod scale;
mod schema;
pub(crate) mod schema_history;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::db::{self, DatabaseUrl};
use crate::error::Error;
use crate::pg_tools::{self, LocalCluster, Template};
use crate::workspace::Workspace;
use contenders::{Contender, Cx};
use generate::{Generated, Shape};
use measure::{Sample, Stats};
pub(crate) use schema::DriftFigures;
use schema_history::SchemaShape;

/// What to measure, and with what.
#[derive(Debug, Clone)]
pub struct BenchOptions {
    /// The xtask binary under test.
    pub exe: PathBuf,
    /// "debug" or "release": how `exe` was built.
    pub build: String,
    /// Where the generated monorepos go (regenerated each run: they are deterministic).
    pub dir: PathBuf,
    /// The monorepo to generate.
    pub shape: Shape,
    /// The size of the long history `lint` is also measured on (one service).
    pub lint_migrations: usize,
    /// Rows per table of the `verify --data` contenders (one contender each).
    pub data_rows: Vec<usize>,
    /// The generated Prisma project of the drift figures.
    pub schema: SchemaShape,
    /// Runs of each contender; the figures are their medians.
    pub runs: usize,
    /// `--jobs` of the parallel contenders (the machine's cores).
    pub jobs: usize,
    /// The image of the docker backend; skipped when no engine runs or the image is absent.
    pub image: String,
    /// Also time verify on the Docker backend.
    pub docker: bool,
    /// The squawk CLI to compare lint with; None: `squawk` on PATH, if any.
    pub squawk: Option<PathBuf>,
}

/// The machine the figures come from.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Machine {
    pub cores: usize,
    pub cpu: String,
    pub memory_gib: f64,
    pub os: String,
    pub postgres: String,
}

/// One contender's figures.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Figure {
    pub name: String,
    pub contender: serde_json::Value,
    /// Our binary, as opposed to a psql baseline.
    pub ours: bool,
    #[serde(flatten)]
    pub stats: Stats,
    /// Median over baseline (b)'s median; absent for lint, which applies nothing.
    pub ratio_to_b: Option<f64>,
    /// Median over the floor's: (c) for what applies migrations, squawk for lint of the long
    /// history (absent when squawk is not installed).
    pub ratio_to_floor: Option<f64>,
    pub samples_ms: Vec<f64>,
}

/// A median and range over samples, `backend` naming what was measured: a backend's time from
/// asking for a database to the first connection (every service of every `verify` run), a kind
/// of connection, a drift figure.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Ready {
    pub backend: String,
    pub median_ms: f64,
    pub min_ms: f64,
    pub max_ms: f64,
    pub samples: usize,
}

impl Ready {
    /// The median and range of `samples` (milliseconds), named `what`.
    fn of(what: &str, mut samples: Vec<f64>) -> Ready {
        samples.sort_by(f64::total_cmp);
        Ready {
            backend: what.to_string(),
            median_ms: measure::median(&samples).unwrap_or(0.0),
            min_ms: samples.first().copied().unwrap_or(0.0),
            max_ms: samples.last().copied().unwrap_or(0.0),
            samples: samples.len(),
        }
    }
}

#[derive(Debug, Clone, serde::Serialize)]
/// The figures of one `cargo xtask bench` run, side by side with their anchors.
pub struct BenchResults {
    /// The machine the run was on.
    pub machine: Machine,
    /// The build profile measured (`dev` for `cargo xtask`).
    pub build: String,
    /// Runs of each contender.
    pub runs: usize,
    /// Services in the generated monorepo.
    pub services: usize,
    /// Migrations per service.
    pub migrations_per_service: usize,
    /// Rows per table written by the seeds.
    pub rows: usize,
    /// The generator's seed.
    pub seed: u64,
    /// The generated monorepo.
    pub monorepo: Generated,
    /// The generated long history (lint's workload).
    pub long_history: Generated,
    /// Each contender's median, with its anchor.
    pub figures: Vec<Figure>,
    /// Time until each backend accepts a connection.
    pub ready: Vec<Ready>,
    /// Opening a session and one round trip, without TLS and with TLS (verify-full).
    pub connect: Vec<Ready>,
    /// verify's schema step and `new --from-schema`'s generation.
    pub drift: DriftFigures,
    /// Contenders left out, and why.
    pub skipped: Vec<String>,
}

/// Where each run's output goes (files, so a chatty child never blocks on a full pipe).
struct Scratch {
    stdout: PathBuf,
    stderr: PathBuf,
    peak: PathBuf,
}

impl Scratch {
    fn command(&self, program: &Path) -> Result<Command, Error> {
        let mut cmd = Command::new(program);
        let open = |p: &Path| std::fs::File::create(p).map_err(|e| Error::io(p, e));
        cmd.stdin(Stdio::null())
            .stdout(open(&self.stdout)?)
            .stderr(open(&self.stderr)?)
            .env_remove("DATABASE_URL")
            .env_remove("XTASK_ROOT")
            .env_remove("GITHUB_ACTIONS")
            // Plain progress lines, no colours: as in CI.
            .env("CI", "true");
        Ok(cmd)
    }

    fn stdout(&self) -> String {
        std::fs::read_to_string(&self.stdout).unwrap_or_default()
    }

    /// The end of what the child printed, for an error message.
    fn tail(&self) -> String {
        let text = format!(
            "{}{}",
            std::fs::read_to_string(&self.stderr).unwrap_or_default(),
            self.stdout()
        );
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }
}

/// Generates the monorepos, runs every contender `runs` times, and returns the figures.
pub fn run_bench(options: &BenchOptions, progress: &dyn Fn(&str)) -> Result<BenchResults, Error> {
    if options.runs == 0 {
        return Err(Error::Config("--runs must be at least 1".into()));
    }
    let shape = options.shape;
    let monorepo_dir = options.dir.join(format!(
        "monorepo-{}x{}-seed{}",
        shape.services, shape.migrations, shape.seed
    ));
    let long_dir = options.dir.join(format!(
        "history-{}-seed{}",
        options.lint_migrations, shape.seed
    ));
    progress(&format!(
        "generating {} x {} migrations and a history of {} under {}",
        shape.services,
        shape.migrations,
        options.lint_migrations,
        options.dir.display()
    ));
    let monorepo = regenerate(&monorepo_dir, shape)?;
    let long_history = regenerate(
        &long_dir,
        Shape {
            services: 1,
            migrations: options.lint_migrations,
            ..shape
        },
    )?;
    let psql = pg_tools::find_binary("psql").ok_or_else(|| {
        Error::Bench("`psql` was not found: the baselines need it (Debian: `apt-get install postgresql-client`)".into())
    })?;

    let mut contenders = vec![
        Contender::PsqlPerMigration,
        Contender::PsqlPerService,
        Contender::PsqlTransactionPerMigration,
    ];
    let jobs: Vec<usize> = if options.jobs > 1 {
        vec![1, options.jobs]
    } else {
        vec![1]
    };
    contenders.extend(jobs.iter().map(|&jobs| Contender::Migrate { jobs }));
    contenders.extend(jobs.iter().map(|&jobs| Contender::Verify {
        backend: "local",
        jobs,
    }));
    contenders.extend(options.data_rows.iter().map(|&rows| Contender::VerifyData {
        rows,
        jobs: options.jobs.max(1),
    }));
    let mut skipped = Vec::new();
    if options.docker {
        if !pg_tools::engine_available() {
            skipped.push("verify --backend docker: no Docker engine is reachable".to_string());
        } else if !pg_tools::image_present(&options.image) {
            skipped.push(format!(
                "verify --backend docker: the image `{}` is not present (pass --image)",
                options.image
            ));
        } else {
            contenders.extend(jobs.iter().map(|&jobs| Contender::Verify {
                backend: "docker",
                jobs,
            }));
        }
    } else {
        skipped.push("verify --backend docker: --no-docker".to_string());
    }
    contenders.extend([
        Contender::LintMonorepo,
        Contender::LintLongHistory,
        Contender::LintLongHistoryWarm,
    ]);
    // Absolute: squawk runs in the generated history's directory, not the caller's.
    let squawk = options
        .squawk
        .as_deref()
        .map(std::path::absolute)
        .transpose()
        .map_err(|e| Error::Config(format!("--squawk: {e}")))?
        .or_else(|| which::which("squawk").ok());
    match &squawk {
        Some(path) if path.is_file() => contenders.push(Contender::Squawk),
        Some(path) => skipped.push(format!("squawk: {} is not a file", path.display())),
        None => skipped.push(
            "squawk: not installed (`pip install squawk-cli==2.68.0`, then --squawk DIR/bin/squawk)"
                .to_string(),
        ),
    }

    progress("starting a local PostgreSQL server for migrate and the baselines");
    let template = Template::prepare()?;
    let server = template.start()?;
    let scratch = Scratch {
        stdout: options.dir.join("last-run.stdout"),
        stderr: options.dir.join("last-run.stderr"),
        peak: options.dir.join("last-run.peak-rss"),
    };
    let cx = Cx {
        options,
        server: &server,
        psql: &psql,
        scratch: &scratch,
        monorepo: &monorepo_dir,
        services: Workspace::new(&monorepo_dir).services()?,
        long_history: &long_dir,
        squawk: squawk.as_deref(),
    };

    let mut samples: Vec<Vec<Sample>> = vec![Vec::new(); contenders.len()];
    let mut ready: Vec<(&'static str, Vec<f64>)> = Vec::new();
    for run in 0..options.runs {
        // Rotate the order each run.
        for k in 0..contenders.len() {
            let i = (k + run) % contenders.len();
            let contender = contenders[i];
            let (sample, readiness) = cx.measure(contender, &format!("r{run}c{i}"))?;
            if let (Contender::Verify { backend, .. }, Some(r)) = (contender, readiness) {
                match ready.iter_mut().find(|(b, _)| *b == backend) {
                    Some((_, v)) => v.extend(r),
                    None => ready.push((backend, r)),
                }
            }
            progress(&format!(
                "run {}/{}: {:<40} {:>8.0} ms",
                run + 1,
                options.runs,
                contender.name(options),
                sample.millis
            ));
            samples[i].push(sample);
        }
    }
    progress("measuring connections, plain and TLS");
    let connect = connect_times(&server, CONNECTS)?;
    progress(&format!(
        "drift: a Prisma project of {} models and {} migrations",
        options.schema.models, options.schema.migrations
    ));
    let drift = schema::measure_drift(
        &options.exe,
        &options.dir,
        options.schema,
        options.runs,
        &server,
        &scratch,
        progress,
    )?;
    drop(server);
    drop(template);

    let stats: Vec<Stats> = samples
        .iter()
        .map(|s| Stats::of(s).expect("at least one run"))
        .collect();
    let median_of = |contender: Contender| {
        contenders
            .iter()
            .position(|c| *c == contender)
            .map(|i| stats[i].median_ms)
    };
    let b = median_of(Contender::PsqlPerService);
    let c_floor = median_of(Contender::PsqlTransactionPerMigration);
    let squawk_floor = median_of(Contender::Squawk);
    let figures = contenders
        .iter()
        .zip(stats.iter().copied())
        .zip(samples)
        .map(|((c, stats), samples)| Figure {
            name: c.name(options),
            contender: serde_json::to_value(c).unwrap_or_default(),
            ours: c.is_ours(),
            stats,
            ratio_to_b: b
                .filter(|_| c.applies_migrations())
                .map(|f| stats.median_ms / f),
            ratio_to_floor: match c {
                Contender::LintMonorepo => None,
                c if c.lints() => squawk_floor.map(|f| stats.median_ms / f),
                _ => c_floor.map(|f| stats.median_ms / f),
            },
            samples_ms: samples.iter().map(|s| s.millis).collect(),
        })
        .collect();
    let ready = ready
        .into_iter()
        .map(|(backend, v)| Ready::of(backend, v))
        .collect();
    Ok(BenchResults {
        machine: machine(),
        build: options.build.clone(),
        runs: options.runs,
        services: shape.services,
        migrations_per_service: shape.migrations,
        rows: shape.rows,
        seed: shape.seed,
        monorepo,
        long_history,
        figures,
        ready,
        connect,
        drift,
        skipped,
    })
}

/// Connections per kind in [`connect_times`].
const CONNECTS: usize = 20;

/// Median, min and max of `n` connections (session opened, `SELECT 1`, closed) without TLS and
/// with TLS (`verify-full` against a throwaway CA), alternating, on `server` with TLS turned on.
fn connect_times(server: &LocalCluster, n: usize) -> Result<Vec<Ready>, Error> {
    let dir = tempfile::tempdir().map_err(|e| Error::Bench(format!("tempdir: {e}")))?;
    let pki = pg_tools::Pki::generate(dir.path(), &["localhost"], "postgres")?;
    let hba = "local all all trust\nhost all all 127.0.0.1/32 trust\nhost all all ::1/128 trust\n";
    server.enable_tls(&pki, hba)?;
    let url = |query: &str| {
        DatabaseUrl::parse(&format!(
            "postgresql://postgres@localhost:{}/postgres?{query}",
            server.port()
        ))
        .map_err(Error::Bench)
    };
    let kinds = [
        ("plain", url("sslmode=disable")?),
        (
            "TLS verify-full",
            url(&format!(
                "sslmode=verify-full&sslrootcert={}",
                pki.ca.display()
            ))?,
        ),
    ];
    let mut samples = vec![Vec::new(); kinds.len()];
    for _ in 0..n {
        for (i, (_, u)) in kinds.iter().enumerate() {
            let start = std::time::Instant::now();
            let mut c = db::connect(u)?;
            c.batch_execute("SELECT 1")
                .map_err(|e| Error::database("measuring a connection", &e))?;
            drop(c);
            samples[i].push(start.elapsed().as_secs_f64() * 1000.0);
        }
    }
    Ok(kinds
        .iter()
        .zip(samples)
        .map(|((name, _), v)| Ready::of(name, v))
        .collect())
}

fn regenerate(dir: &Path, shape: Shape) -> Result<Generated, Error> {
    if dir.exists() {
        std::fs::remove_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    generate::monorepo(dir, shape)
}

fn machine() -> Machine {
    let read = |p: &str| std::fs::read_to_string(p).unwrap_or_default();
    let field = |text: &str, key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(key))
            .map(|v| {
                v.trim_start_matches([' ', '\t', ':', '='])
                    .trim_matches('"')
                    .trim()
                    .to_string()
            })
            .unwrap_or_default()
    };
    let mem_kib: f64 = field(&read("/proc/meminfo"), "MemTotal")
        .trim_end_matches("kB")
        .trim()
        .parse()
        .unwrap_or(0.0);
    let postgres = pg_tools::find_binary("postgres")
        .and_then(|p| Command::new(p).arg("--version").output().ok())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    Machine {
        cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
        cpu: field(&read("/proc/cpuinfo"), "model name"),
        memory_gib: (mem_kib / 1024.0 / 1024.0 * 10.0).round() / 10.0,
        os: field(&read("/etc/os-release"), "PRETTY_NAME"),
        postgres,
    }
}
