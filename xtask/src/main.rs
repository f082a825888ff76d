//! `cargo xtask`: the command line. Parses arguments, finds the workspace, calls
//! `shared_migrate`, prints, and exits with the documented code. No logic of its own.

use std::path::PathBuf;
use std::process::ExitCode as ProcessExit;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Parser, Subcommand, ValueEnum};
use shared_migrate::database_url::UrlSources;
use shared_migrate::source::{Service, Workspace};
use shared_migrate::{ExitCode, migrator, report, resolve, status};

#[derive(Parser)]
#[command(
    name = "cargo xtask",
    bin_name = "cargo xtask",
    about = "Prisma-compatible migrations for every service of the monorepo",
    after_help = "Exit codes: 0 success (status: up to date), 1 failure (status: problem), 2 usage or input error, 3 status: pending, 4 database unreachable, 5 lock timeout."
)]
struct Cli {
    /// The monorepo root (the directory holding services/). Default: the nearest ancestor of
    /// the current directory that holds services/.
    #[arg(long, global = true, env = "XTASK_ROOT", value_name = "DIR")]
    root: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Apply pending migrations of every selected service (services in parallel).
    Migrate(MigrateArgs),
    /// Show applied, pending, failed, edited and missing migrations per service.
    Status(StatusArgs),
    /// Mark a failed migration as rolled back, or a migration as applied without running it.
    Resolve(ResolveArgs),
    /// Create a new, empty migration for a service (or, with --revert, one that undoes another).
    New(NewArgs),
    /// Development only: drop the service's schema, apply every migration, run the seed.
    Reset(ResetArgs),
    /// Adopt an existing database: record migrations as applied without running them.
    Baseline(BaselineArgs),
    /// Apply every migration from scratch on a throwaway PostgreSQL per service, then run the
    /// service's seed and tests against it.
    Verify(VerifyArgs),
    /// Check migration names, history, size and SQL safety, without a database.
    Lint(LintArgs),
    /// Measure lint, migrate and verify against plain psql on a generated monorepo, and print
    /// the figures (medians, ranges, ratios to one psql session per service).
    Bench(BenchArgs),
}

#[derive(Args)]
struct BenchArgs {
    /// Services of the generated monorepo.
    #[arg(long, value_name = "N", default_value_t = 8)]
    services: usize,
    /// Migrations per service.
    #[arg(long, value_name = "N", default_value_t = 60)]
    migrations: usize,
    /// Rows inserted into each new table, for later changes to work on.
    #[arg(long, value_name = "N", default_value_t = 1000)]
    rows: usize,
    /// Seed of the generator: the same seed writes the same monorepo.
    #[arg(long, value_name = "N", default_value_t = 1)]
    seed: u64,
    /// Length of the one-service history lint is also measured on.
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    lint_migrations: usize,
    /// Repetitions of every contender (medians and ranges are over these).
    #[arg(long, value_name = "N", default_value_t = 5)]
    runs: usize,
    /// --jobs of the parallel runs (default: the machine's cores).
    #[arg(long, short = 'j', value_name = "N", default_value_t = default_jobs())]
    jobs: usize,
    /// The docker backend's image (default: as verify chooses it).
    #[arg(long, value_name = "IMAGE")]
    image: Option<String>,
    /// Leave out verify on the docker backend.
    #[arg(long)]
    no_docker: bool,
    /// Where to generate the monorepos (default: target/bench).
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
    /// Also write the figures as JSON, to compare runs.
    #[arg(long, value_name = "PATH")]
    json: Option<PathBuf>,
}

#[derive(Args)]
struct LintArgs {
    /// A service to lint (repeatable). Default: every service.
    #[arg(long = "service", short = 's', value_name = "NAME")]
    services: Vec<String>,
    /// Only report on migrations added or changed since this git revision (e.g. origin/main),
    /// and check that those on it were not edited, renamed or deleted, and that new ones sort
    /// after them.
    #[arg(long, value_name = "REV")]
    since: Option<String>,
    /// Output format. Default: github when GITHUB_ACTIONS=true, else human.
    #[arg(long, value_enum)]
    format: Option<LintFormat>,
    /// List the rules, their default levels and what they catch, and exit.
    #[arg(long)]
    list_rules: bool,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum LintFormat {
    Human,
    Json,
    /// GitHub Actions workflow annotations.
    Github,
}

#[derive(Args)]
struct VerifyArgs {
    /// A service to verify (repeatable). Default: every service.
    #[arg(long = "service", short = 's', value_name = "NAME")]
    services: Vec<String>,
    /// Where throwaway databases come from: auto (docker if an engine and the image are there,
    /// else local), docker, local (initdb/postgres on PATH), url (scratch databases on
    /// --database-url).
    #[arg(long, value_enum, default_value_t = BackendArg::Auto)]
    backend: BackendArg,
    /// With --backend url: a server where scratch databases may be created and dropped.
    #[arg(long, value_name = "URL")]
    database_url: Option<String>,
    /// Services verified at once.
    #[arg(long, short = 'j', value_name = "N", default_value_t = default_jobs())]
    jobs: usize,
    /// The docker backend's image for every service (default: each service's configured image,
    /// `postgres:<postgres_version>`).
    #[arg(long, value_name = "IMAGE")]
    image: Option<String>,
    /// Leave a failed service's database running, and print where it is and how to remove it.
    #[arg(long)]
    keep: bool,
    /// Skip the lint step (`cargo xtask lint` on each service before its database steps).
    #[arg(long)]
    no_lint: bool,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// Also write a JUnit XML report (one test case per service).
    #[arg(long, value_name = "PATH")]
    junit: Option<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum BackendArg {
    Auto,
    Docker,
    Local,
    Url,
}

#[derive(Args)]
struct Selection {
    /// A service to work on (repeatable). Default: every service.
    #[arg(long = "service", short = 's', value_name = "NAME")]
    services: Vec<String>,
    /// The database URL, when exactly one service is selected. Otherwise each service's URL
    /// comes from <SERVICE>_DATABASE_URL, or DATABASE_URL in services/<svc>/.env or
    /// services/<svc>/prisma/.env.
    #[arg(long, value_name = "URL")]
    database_url: Option<String>,
}

#[derive(Args)]
struct MigrateArgs {
    #[command(flatten)]
    selection: Selection,
    /// Services migrated at once (services sharing a database run one after another).
    #[arg(long, short = 'j', value_name = "N", default_value_t = default_jobs())]
    jobs: usize,
    /// How long to wait for another deployer's migration lock, e.g. 10s, 2m, 500ms.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_duration)]
    lock_timeout: Duration,
    /// Refuse to migrate when an applied migration was edited, is missing locally, or when a
    /// pending one is older than the newest applied one.
    #[arg(long)]
    strict: bool,
    /// Show, per service, the migrations that would be applied and their statements; change
    /// nothing (no database, schema, ledger row or lock is created).
    #[arg(long, conflicts_with = "backup")]
    dry_run: bool,
    /// Before applying anything to a service, pg_dump its schema to
    /// DIR/<service>-<UTC timestamp>.dump and check it is readable; if that fails, nothing is
    /// applied.
    #[arg(long, value_name = "DIR")]
    backup: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
}

#[derive(Args)]
struct ResetArgs {
    /// The service whose schema to drop and rebuild.
    #[arg(long, short = 's', value_name = "NAME")]
    service: String,
    #[arg(long, value_name = "URL")]
    database_url: Option<String>,
    /// Reset even though the database is not on this machine.
    #[arg(long)]
    force: bool,
    /// Do not ask for confirmation.
    #[arg(long, short = 'y')]
    yes: bool,
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_duration)]
    lock_timeout: Duration,
}

#[derive(Args)]
struct BaselineArgs {
    /// The service whose existing database to adopt.
    #[arg(long, short = 's', value_name = "NAME")]
    service: String,
    /// The last migration the database already contains (default: every local migration).
    #[arg(long, value_name = "NAME")]
    up_to: Option<String>,
    #[arg(long, value_name = "URL")]
    database_url: Option<String>,
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_duration)]
    lock_timeout: Duration,
}

#[derive(Args)]
struct StatusArgs {
    #[command(flatten)]
    selection: Selection,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
}

#[derive(Args)]
#[command(group(clap::ArgGroup::new("how").required(true).args(["applied", "rolled_back"])))]
struct ResolveArgs {
    /// The service whose database to change.
    #[arg(long, short = 's', value_name = "NAME")]
    service: String,
    /// Record NAME as applied without running it (it was applied by hand, or baselining).
    #[arg(long, value_name = "NAME")]
    applied: Option<String>,
    /// Mark the failed migration NAME as rolled back: the next migrate applies it again.
    #[arg(long, value_name = "NAME")]
    rolled_back: Option<String>,
    #[arg(long, value_name = "URL")]
    database_url: Option<String>,
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_duration)]
    lock_timeout: Duration,
}

#[derive(Args)]
struct NewArgs {
    /// The service to add the migration to.
    #[arg(long, short = 's', value_name = "NAME")]
    service: String,
    /// What the migration does, in lower snake case (e.g. add_student_grade).
    #[arg(required_unless_present = "revert", conflicts_with = "revert")]
    name: Option<String>,
    /// Write a migration that reverses the migration NAME (the guide's rollback strategy 1):
    /// mechanical reversals last statement first, and a TODO(revert) marker, which lint
    /// reports, for each statement that cannot be reversed without losing data.
    #[arg(long, value_name = "NAME")]
    revert: Option<String>,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum Format {
    Human,
    Json,
}

fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    shared_migrate::config::parse_duration(s)
}

fn main() -> ProcessExit {
    let cli = Cli::parse();
    let result = run(cli);
    shared_migrate::bench::measure::report_own_peak();
    if shared_migrate::cleanup::interrupted() {
        // The signal handler is cleaning up and exits with 130.
        loop {
            std::thread::park();
        }
    }
    match result {
        Ok(code) => ProcessExit::from(code.code() as u8),
        Err(e) => {
            let code = e
                .downcast_ref::<shared_migrate::Error>()
                .map_or(ExitCode::Usage, |e| e.exit_code());
            eprintln!("error: {e:#}");
            ProcessExit::from(code.code() as u8)
        }
    }
}

fn workspace(root: Option<PathBuf>) -> anyhow::Result<Workspace> {
    if let Some(root) = root {
        return Ok(Workspace::new(root));
    }
    let cwd = std::env::current_dir().context("reading the current directory")?;
    Ok(Workspace::find(&cwd)
        .unwrap_or_else(|| Workspace::new(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".."))))
}

fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

fn targets(services: Vec<Service>, flag: Option<&str>) -> Vec<migrator::Target> {
    let sources = UrlSources {
        flag,
        selected: services.len(),
        env: &env_var,
    };
    services
        .into_iter()
        .map(|service| {
            let url = sources.resolve(&service).map(|(url, _)| url);
            migrator::Target { service, url }
        })
        .collect()
}

/// The database URL of a command that works on one service.
fn one_url(
    service: &Service,
    flag: Option<&str>,
) -> anyhow::Result<shared_migrate::database_url::DatabaseUrl> {
    let sources = UrlSources {
        flag,
        selected: 1,
        env: &env_var,
    };
    Ok(sources.resolve(service)?.0)
}

/// Asks on the terminal; without one, refuses (a script must say --yes).
fn confirm(question: &str) -> anyhow::Result<bool> {
    use std::io::{BufRead, IsTerminal, Write};
    if !std::io::stdin().is_terminal() {
        anyhow::bail!(
            "{question}\nThis needs a confirmation, and there is no terminal to ask on: pass --yes"
        );
    }
    eprint!("{question}\nType `yes` to go on: ");
    std::io::stderr().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(answer.trim() == "yes")
}

fn progress(service: &str, message: &str) {
    eprintln!("[{service}] {message}");
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let ws = workspace(cli.root)?;
    match cli.command {
        Command::Migrate(args) => {
            let services = ws.select(&args.selection.services)?;
            let targets = targets(services, args.selection.database_url.as_deref());
            let options = migrator::Options {
                lock_timeout: args.lock_timeout,
                strict: args.strict,
                jobs: args.jobs,
                dry_run: args.dry_run,
                backup: args.backup,
            };
            let reports = migrator::migrate_all(targets, &options, &progress);
            match args.format {
                Format::Human if args.dry_run => print!("{}", report::dry_run_summary(&reports)),
                Format::Human => print!("{}", report::migrate_summary(&reports)),
                Format::Json => println!("{}", serde_json::to_string_pretty(&reports)?),
            }
            Ok(ExitCode::combine(reports.iter().map(|r| {
                r.result
                    .as_ref()
                    .map_or_else(|e| e.exit_code(), |()| ExitCode::Success)
            })))
        }
        Command::Status(args) => {
            let services = ws.select(&args.selection.services)?;
            let statuses: Vec<_> = targets(services, args.selection.database_url.as_deref())
                .into_iter()
                .map(|t| status::status_service(&t.service, t.url))
                .collect();
            match args.format {
                Format::Human => print!("{}", report::status_summary(&statuses)),
                Format::Json => println!("{}", serde_json::to_string_pretty(&statuses)?),
            }
            Ok(ExitCode::combine(statuses.iter().map(|s| s.exit_code)))
        }
        Command::Resolve(args) => {
            let service = ws.select(std::slice::from_ref(&args.service))?.remove(0);
            let url = one_url(&service, args.database_url.as_deref())?;
            let (name, how) = match (args.applied, args.rolled_back) {
                (Some(n), _) => (n, resolve::Resolution::Applied),
                (_, Some(n)) => (n, resolve::Resolution::RolledBack),
                _ => unreachable!("clap requires one"),
            };
            let done = resolve::resolve(&service, &url, &name, how, args.lock_timeout)?;
            println!("{}: {done}", service.name);
            Ok(ExitCode::Success)
        }
        Command::Verify(args) => verify(&ws, args),
        Command::Reset(args) => {
            let service = ws.select(std::slice::from_ref(&args.service))?.remove(0);
            let url = one_url(&service, args.database_url.as_deref())?;
            shared_migrate::reset::check_local(&service, &url, args.force)?;
            if !args.yes
                && !confirm(&format!(
                    "Reset service `{}`? This deletes every table and row of schema `{}` in {url}, then applies every migration and the seed.",
                    service.name, url.schema
                ))?
            {
                eprintln!("reset cancelled: nothing was changed");
                return Ok(ExitCode::Failure);
            }
            let done =
                shared_migrate::reset::reset(&ws, &service, &url, args.lock_timeout, &progress)?;
            println!(
                "{}: reset {}: {} migrations applied; seed: {}",
                done.service, done.url, done.applied, done.seed
            );
            Ok(ExitCode::Success)
        }
        Command::Baseline(args) => {
            use shared_migrate::baseline;
            let service = ws.select(std::slice::from_ref(&args.service))?.remove(0);
            let url = one_url(&service, args.database_url.as_deref())?;
            let todo = baseline::preview(&service, &url, args.up_to.as_deref())?;
            if todo.is_empty() {
                println!(
                    "{}: nothing to baseline: every selected migration is already recorded as applied",
                    service.name
                );
                return Ok(ExitCode::Success);
            }
            println!(
                "{}: recording {} as applied without running them:",
                service.name,
                report::plural(todo.len(), "migration")
            );
            for name in &todo {
                println!("  {name}");
            }
            let done =
                baseline::baseline(&service, &url, args.up_to.as_deref(), args.lock_timeout)?;
            println!(
                "{}: {} recorded; `cargo xtask migrate` now applies only the later ones",
                service.name,
                done.len()
            );
            Ok(ExitCode::Success)
        }
        Command::Lint(args) => lint(&ws, args),
        Command::Bench(args) => bench(&ws, args),
        Command::New(args) => {
            let service = ws.select(std::slice::from_ref(&args.service))?.remove(0);
            let vague = shared_migrate::naming::default_vague_words();
            if let Some(target) = &args.revert {
                let (path, r) = shared_migrate::revert::create(&service, target, &vague)?;
                println!(
                    "created {}: {} reversed, {} marked TODO(revert) for you to finish",
                    path.display(),
                    report::plural(r.reversed, "statement"),
                    r.todos
                );
                println!(
                    "review it, then `cargo xtask lint` (it fails while TODO(revert) markers remain)"
                );
                return Ok(ExitCode::Success);
            }
            let name = args.name.expect("clap requires a name without --revert");
            let path = shared_migrate::new::create(&service, &name, &vague)?;
            println!("created {}", path.display());
            Ok(ExitCode::Success)
        }
    }
}

fn lint(ws: &Workspace, args: LintArgs) -> anyhow::Result<ExitCode> {
    use shared_migrate::config::RuleLevel;
    use shared_migrate::lint::{self, render, rules};
    if args.list_rules {
        let width = rules::RULES
            .iter()
            .map(|r| r.name().len())
            .max()
            .unwrap_or(0);
        for rule in rules::RULES {
            let level = format!("{:?}", rule.default_level()).to_lowercase();
            println!("{:<width$}  {level:<7}  {}", rule.name(), rule.about());
        }
        return Ok(ExitCode::Success);
    }
    let services = ws.select(&args.services)?;
    let options = lint::Options::now(args.since);
    let report = lint::lint(ws, &services, &options)?;
    let format = args.format.unwrap_or(
        if std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true") {
            LintFormat::Github
        } else {
            LintFormat::Human
        },
    );
    match format {
        LintFormat::Human => {
            use std::io::IsTerminal;
            let color = std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none()
                && std::env::var_os("CI").is_none();
            print!("{}", render::human(&report, color));
        }
        LintFormat::Json => println!("{}", serde_json::to_string_pretty(&report)?),
        LintFormat::Github => {
            print!("{}", render::github(&report));
            eprintln!("{}", render::summary(&report));
        }
    }
    Ok(if report.count(RuleLevel::Error) > 0 {
        ExitCode::Failure
    } else {
        ExitCode::Success
    })
}

/// The image the docker backend uses: --image, else the repository's configured default.
fn default_image(ws: &Workspace, flag: Option<String>) -> anyhow::Result<String> {
    let repo_config =
        shared_migrate::config::File::read(&ws.root.join(shared_migrate::config::FILE_NAME))?
            .verify;
    Ok(flag.or(repo_config.image).unwrap_or_else(|| {
        format!(
            "postgres:{}",
            repo_config.postgres_version.as_deref().unwrap_or("15")
        )
    }))
}

fn bench(ws: &Workspace, args: BenchArgs) -> anyhow::Result<ExitCode> {
    use shared_migrate::bench;
    shared_migrate::cleanup::install_signal_handler();
    let dir = args.dir.unwrap_or_else(|| {
        std::env::var_os("CARGO_TARGET_DIR")
            .map_or_else(|| ws.root.join("target"), PathBuf::from)
            .join("bench")
    });
    let options = bench::Options {
        exe: std::env::current_exe().context("finding the xtask binary")?,
        build: if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        }
        .into(),
        dir,
        shape: bench::generate::Shape {
            services: args.services,
            migrations: args.migrations,
            rows: args.rows,
            seed: args.seed,
        },
        lint_migrations: args.lint_migrations,
        runs: args.runs,
        jobs: args.jobs,
        image: default_image(ws, args.image)?,
        docker: !args.no_docker,
    };
    let results = bench::run(&options, &|line| eprintln!("{line}"))?;
    print!("{}", bench::render(&results));
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_string_pretty(&results)?)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(ExitCode::Success)
}

fn verify(ws: &Workspace, args: VerifyArgs) -> anyhow::Result<ExitCode> {
    use shared_migrate::backend::{self, Kind};
    use shared_migrate::verify;
    shared_migrate::cleanup::install_signal_handler();
    let services = ws.select(&args.services)?;
    let kind = match args.backend {
        BackendArg::Auto => Kind::Auto,
        BackendArg::Docker => Kind::Docker,
        BackendArg::Local => Kind::Local,
        BackendArg::Url => Kind::Url,
    };
    let image = default_image(ws, args.image.clone())?;
    let backend = backend::choose(
        kind,
        args.database_url.as_deref(),
        &image,
        args.image.clone(),
    )?;
    let options = verify::Options {
        jobs: args.jobs,
        keep: args.keep,
        lock_timeout: Duration::from_secs(10),
        lint: !args.no_lint,
    };
    let view = live::View::new(&services);
    let reports = verify::verify_all(ws, &services, backend.as_ref(), &options, &|svc, step| {
        view.update(svc, step)
    });
    view.finish(&reports);
    if let Some(path) = &args.junit {
        std::fs::write(path, shared_migrate::junit::render(&reports))
            .with_context(|| format!("writing {}", path.display()))?;
    }
    match args.format {
        Format::Human => print!("{}", report::verify_summary(&reports)),
        Format::Json => println!("{}", serde_json::to_string_pretty(&reports)?),
    }
    Ok(ExitCode::combine(reports.iter().map(|r| r.exit_code())))
}

/// Progress of `verify`: a live line per service on a terminal, plain lines elsewhere (CI).
mod live {
    use std::collections::HashMap;
    use std::io::IsTerminal;

    use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
    use shared_migrate::source::Service;
    use shared_migrate::verify::ServiceReport;

    pub struct View {
        bars: Option<(MultiProgress, HashMap<String, ProgressBar>)>,
    }

    impl View {
        pub fn new(services: &[Service]) -> View {
            let live = std::io::stderr().is_terminal() && std::env::var_os("CI").is_none();
            if !live {
                return View { bars: None };
            }
            let multi = MultiProgress::new();
            let width = services.iter().map(|s| s.name.len()).max().unwrap_or(0);
            let style = ProgressStyle::with_template(&format!(
                "{{spinner}} {{prefix:<{width}}}  {{elapsed:>4}}  {{msg}}"
            ))
            .expect("template");
            let bars = services
                .iter()
                .map(|s| {
                    let bar = multi.add(
                        ProgressBar::new_spinner()
                            .with_style(style.clone())
                            .with_prefix(s.name.clone()),
                    );
                    bar.enable_steady_tick(std::time::Duration::from_millis(100));
                    bar.set_message("waiting");
                    (s.name.clone(), bar)
                })
                .collect();
            View {
                bars: Some((multi, bars)),
            }
        }

        pub fn update(&self, service: &str, step: &str) {
            match &self.bars {
                Some((_, bars)) => {
                    if let Some(bar) = bars.get(service) {
                        bar.set_message(step.to_string());
                    }
                }
                None => eprintln!("[{service}] {step}"),
            }
        }

        pub fn finish(&self, reports: &[ServiceReport]) {
            if let Some((_, bars)) = &self.bars {
                for r in reports {
                    if let Some(bar) = bars.get(&r.service) {
                        let result = match r.failure() {
                            None => "passed".to_string(),
                            Some(s) => format!("FAILED at {}", s.name),
                        };
                        bar.finish_with_message(result);
                    }
                }
            }
        }
    }
}
