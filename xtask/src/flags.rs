//! Every command's flags (clap). Nothing here runs anything; each command's `run` is in its own
//! module.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use shared_migrate::{DEFAULT_LOCK_TIMEOUT, SHARD_SECONDS, Shard, duration_text, parse_duration};

#[derive(Parser)]
#[command(
    name = "cargo xtask",
    bin_name = "cargo xtask",
    about = "Prisma-compatible migrations for every service of the monorepo",
    after_help = "Exit codes: 0 success (status: up to date), 1 failure (status: problem), 2 usage or input error, 3 status: pending, 4 database unreachable, 5 lock timeout."
)]
pub struct Xtask {
    /// The monorepo root. Default: the nearest ancestor of the current directory holding an
    /// xtask.toml, else one declaring workspaces (package.json, pnpm-workspace.yaml), else one
    /// holding services/, else a Prisma project.
    #[arg(long, global = true, env = "XTASK_ROOT", value_name = "DIR")]
    pub root: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Apply pending migrations of every selected service (services in parallel).
    Migrate(Migrate),
    /// Show applied, pending, failed, edited and missing migrations per service.
    Status(Status),
    /// Mark a failed migration as rolled back, or a migration as applied without running it.
    Resolve(Resolve),
    /// Create a migration for a service: the SQL for schema.prisma's changes, as Prisma writes
    /// it, else an empty file (or, with --revert, one that undoes another).
    New(New),
    /// Development only: drop the service's schema, apply every migration, run the seed.
    Reset(Reset),
    /// Run the service's seed against its database (as `prisma db seed`): the seed its team
    /// configured (prisma.config.ts, package.json, [verify] seed, prisma/seed.sql).
    Seed(Seed),
    /// Development only: make the service's database match schema.prisma without a migration
    /// (as `prisma db push`), in one transaction.
    Push(Push),
    /// Development: Prisma's `migrate dev`. Check the database against its migrations (reset
    /// on drift, after confirmation), apply what is pending, write and apply the migration
    /// schema.prisma needs, then run the client generation.
    Dev(Dev),
    /// Adopt an existing database: record migrations as applied without running them.
    Baseline(Baseline),
    /// Give this branch's migrations that sort before the newest one on REV timestamps after
    /// it (folders renamed, files unchanged), then verify the service.
    Rebase(Rebase),
    /// Undo the last applied migrations on the service's database with their reversals
    /// (down.sql, else `new --revert`'s), proved first on a throwaway database; the ledger rows
    /// are marked rolled back, so the next migrate applies them again.
    Rollback(Rollback),
    /// Replace the migrations up to NAME (default: all) with one that builds the same schema,
    /// proved on throwaway databases first; databases that applied them all record it without
    /// running it.
    Squash(Squash),
    /// Apply every migration from scratch on a throwaway PostgreSQL per service, then run the
    /// service's seed and tests against it.
    Verify(Verify),
    /// Check migration names, history, size and SQL safety, without a database.
    Lint(Lint),
    /// Compare any two of a service's migrations, schema.prisma and its database (as
    /// `prisma migrate diff`); exit 0 no difference, 2 differences, 1 error.
    Diff(Diff),
    /// List the services a change affects (since a git revision), and why.
    Affected(Affected),
    /// Print a GitHub Actions matrix of verify shards for the affected services.
    CiPlan(CiPlan),
    /// Measure lint, migrate and verify against plain psql on a generated monorepo, and print
    /// the figures (medians, ranges, ratios to one psql session per service).
    Bench(Bench),
}

/// `--since`, `--shard`, `--timings`: which services of a large monorepo a run covers.
#[derive(Args)]
pub struct Plan {
    /// Only the services affected since this git revision (e.g. origin/main): a file of
    /// theirs changed (counted from the merge base with HEAD, uncommitted files included),
    /// a service they name in `depends_on` is affected, or the tool or xtask.toml changed.
    #[arg(long, value_name = "REV")]
    pub since: Option<String>,
    /// Only part K of N of the selected services: shards are disjoint, cover every service,
    /// and are balanced by migration count, or by --timings.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<Shard>,
    /// Earlier `verify --format json` output or `verify --junit` XML (repeatable): balance
    /// shards by each service's time in it.
    #[arg(long, value_name = "FILE")]
    pub timings: Vec<PathBuf>,
}

#[derive(Args)]
pub struct Affected {
    /// The git revision to compare with (e.g. origin/main).
    #[arg(long, value_name = "REV")]
    pub since: String,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

#[derive(Args)]
pub struct CiPlan {
    /// Plan only the services affected since this git revision (default: every service).
    #[arg(long, value_name = "REV")]
    pub since: Option<String>,
    /// At most this many shards (runners).
    #[arg(long, value_name = "N", default_value_t = 8)]
    pub max_shards: usize,
    /// Estimated work that makes a shard worth a runner, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = SHARD_SECONDS)]
    pub shard_seconds: f64,
    /// Earlier `verify --format json` output or `verify --junit` XML (repeatable): estimate
    /// each service's work from its time in it.
    #[arg(long, value_name = "FILE")]
    pub timings: Vec<PathBuf>,
}

/// A duration flag (`10s`, `2m`, `500ms`), shown in `--help` as it is written.
#[derive(Clone, Copy)]
pub struct Wait(pub Duration);

impl std::str::FromStr for Wait {
    type Err = String;
    fn from_str(s: &str) -> Result<Wait, String> {
        parse_duration(s).map(Wait)
    }
}

impl std::fmt::Display for Wait {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&duration_text(self.0))
    }
}

/// `--lock-timeout`, the same on every command that takes the migration lock.
#[derive(Args)]
pub struct LockTimeout {
    /// How long to wait for another deployer's migration lock, e.g. 10s, 2m, 500ms.
    #[arg(long = "lock-timeout", value_name = "DURATION", default_value_t = Wait(DEFAULT_LOCK_TIMEOUT))]
    pub wait: Wait,
}

#[derive(Args)]
pub struct Bench {
    /// Services of the generated monorepo.
    #[arg(long, value_name = "N", default_value_t = 8)]
    pub services: usize,
    /// Migrations per service.
    #[arg(long, value_name = "N", default_value_t = 60)]
    pub migrations: usize,
    /// Rows inserted into each new table, for later changes to work on.
    #[arg(long, value_name = "N", default_value_t = 1000)]
    pub rows: usize,
    /// Seed of the generator: the same seed writes the same monorepo (`--seed`, its old
    /// spelling, still works: `seed` now means a service's seed, as in `cargo xtask seed`).
    #[arg(
        long = "data-seed",
        alias = "seed",
        value_name = "N",
        default_value_t = 1
    )]
    pub seed: u64,
    /// Length of the one-service history lint is also measured on.
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    pub lint_migrations: usize,
    /// Rows per table of the `verify --data` contenders, one contender each.
    #[arg(long, value_name = "N,...", value_delimiter = ',', default_values_t = [100, 10_000])]
    pub data_rows: Vec<usize>,
    /// Models of the generated Prisma project the drift figures are measured on.
    #[arg(long, value_name = "N", default_value_t = 100)]
    pub schema_models: usize,
    /// Migrations of that project (one change each, the models first).
    #[arg(long, value_name = "N", default_value_t = 160)]
    pub schema_migrations: usize,
    /// Repetitions of every contender (medians and ranges are over these).
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub runs: usize,
    /// --jobs of the parallel runs (default: the machine's cores).
    #[arg(long, short = 'j', value_name = "N", default_value_t = default_jobs())]
    pub jobs: usize,
    /// The docker backend's image (default: as verify chooses it).
    #[arg(long, value_name = "IMAGE")]
    pub image: Option<String>,
    /// Leave out verify on the docker backend.
    #[arg(long)]
    pub no_docker: bool,
    /// The squawk CLI lint is compared with (default: `squawk` on PATH; left out when absent).
    /// It installs with `pip install squawk-cli==2.68.0`.
    #[arg(long, value_name = "PATH")]
    pub squawk: Option<PathBuf>,
    /// Where to generate the monorepos (default: target/bench).
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Also write the figures as JSON, to compare runs.
    #[arg(long, value_name = "PATH")]
    pub json: Option<PathBuf>,
    /// Instead: the scale scenario. A monorepo of --scale-services x --scale-migrations
    /// verified with database isolation, with cluster isolation, and in --shards shards run
    /// one after another (--runs times, interleaved).
    #[arg(long)]
    pub scale: bool,
    #[arg(long, value_name = "N", default_value_t = 500, requires = "scale")]
    pub scale_services: usize,
    #[arg(long, value_name = "N", default_value_t = 20, requires = "scale")]
    pub scale_migrations: usize,
    #[arg(long, value_name = "N", default_value_t = 4, requires = "scale")]
    pub shards: usize,
}

/// What `diff` compares.
#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum DiffSource {
    /// Every migration, applied from scratch to a throwaway database.
    Migrations,
    /// schema.prisma.
    Schema,
    /// The service's database, read only (no DDL, no ledger, no lock).
    Database,
}

#[derive(Args)]
pub struct Diff {
    #[command(flatten)]
    pub selection: Selection,
    /// What to compare from.
    #[arg(long, value_enum, default_value_t = DiffSource::Migrations)]
    pub from: DiffSource,
    /// What to compare to. The default, migrations to schema.prisma, is the CI check that
    /// no model change lacks its migration.
    #[arg(long, value_enum, default_value_t = DiffSource::Schema)]
    pub to: DiffSource,
    /// Print the SQL that takes FROM to TO, as `prisma migrate diff --script` does.
    #[arg(long)]
    pub script: bool,
    /// Output format. Default: github when GITHUB_ACTIONS=true, else human.
    #[arg(long, value_enum)]
    pub format: Option<LintFormat>,
    /// Where throwaway databases for the migrations come from (as for verify).
    #[arg(long, value_enum, default_value_t = Backend::Auto)]
    pub backend: Backend,
    /// The docker backend's image.
    #[arg(long, value_name = "IMAGE")]
    pub image: Option<String>,
}

#[derive(Args)]
pub struct Lint {
    #[command(flatten)]
    pub which: Services,
    /// Only report on migrations added or changed since this git revision (e.g. origin/main),
    /// and check that those on it were not edited, renamed or deleted, and that new ones sort
    /// after them.
    #[arg(long, value_name = "REV")]
    pub since: Option<String>,
    /// Output format. Default: github when GITHUB_ACTIONS=true, else human.
    #[arg(long, value_enum)]
    pub format: Option<LintFormat>,
    /// List the rules, their default levels and what they catch, and exit.
    #[arg(long)]
    pub list_rules: bool,
    /// Neither read nor write the cache under target/xtask/lint-cache (each file's parse,
    /// keyed by its SHA-256, and each history's findings, keyed by every input): lint all anew.
    #[arg(long)]
    pub no_cache: bool,
    /// Record each selected service's existing migrations as accepted history (in
    /// xtask-history.toml, to commit): from then on the SQL and naming rules judge only later
    /// migrations; the history rules (edited, removed, out-of-order, duplicate timestamps)
    /// still cover all of them.
    #[arg(long, conflicts_with_all = ["since", "list_rules"])]
    pub accept_history: bool,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum LintFormat {
    Human,
    Json,
    /// GitHub Actions workflow annotations.
    Github,
}

#[derive(Args)]
pub struct Verify {
    #[command(flatten)]
    pub which: Services,
    #[command(flatten)]
    pub plan: Plan,
    /// Where throwaway databases come from: auto (docker if an engine and the image are there,
    /// else local), docker, local (initdb/postgres on PATH), url (scratch databases on
    /// --database-url).
    #[arg(long, value_enum, default_value_t = Backend::Auto)]
    pub backend: Backend,
    /// With --backend url: a server where scratch databases may be created and dropped.
    #[arg(long, value_name = "URL")]
    pub database_url: Option<String>,
    /// With --backend url: drop this tool's scratch databases that earlier runs left on the
    /// server (a run killed before it could clean up) once they are this old and nobody is
    /// connected to them (e.g. 30m, 2h; 0s: all of them).
    #[arg(long, value_name = "DURATION", default_value = "1h", value_parser = shared_migrate::parse_duration)]
    pub sweep_after: std::time::Duration,
    /// Services verified at once.
    #[arg(long, short = 'j', value_name = "N", default_value_t = default_jobs())]
    pub jobs: usize,
    /// The docker backend's image for every service (default: each service's configured image,
    /// `postgres:<postgres_version>`).
    #[arg(long, value_name = "IMAGE")]
    pub image: Option<String>,
    /// Leave a failed service's database running, and print where it is and how to remove it.
    #[arg(long)]
    pub keep: bool,
    /// What a service's throwaway database shares with other services': database (one
    /// server per run, a database each; the default) or cluster (a server each). Overrides
    /// `[verify] isolation`. The url backend always isolates by database.
    #[arg(long, value_enum, value_name = "WHAT")]
    pub isolation: Option<IsolationFlag>,
    /// Apply each migration over rows: before every migration after the first, each table is
    /// topped up to --rows generated rows that fit the schema at that point, so a migration
    /// that only fails on a non-empty table fails here. Default: [verify] data.
    #[arg(long)]
    pub data: bool,
    /// Rows per table with --data (default: [verify] rows, else 100).
    #[arg(long, value_name = "N")]
    pub rows: Option<usize>,
    /// The seed of --data's generated rows (the same seed, the same rows; `--seed`, its old
    /// spelling, still works).
    #[arg(
        long = "data-seed",
        alias = "seed",
        value_name = "N",
        default_value_t = 1
    )]
    pub seed: u64,
    /// Skip the lint step (`cargo xtask lint` on each service before its database steps).
    #[arg(long)]
    pub no_lint: bool,
    /// Skip the schema step (the migrated database compared with schema.prisma, as
    /// `prisma migrate diff --exit-code` compares them).
    #[arg(long)]
    pub no_schema_check: bool,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Also write a JUnit XML report (one test case per service).
    #[arg(long, value_name = "PATH")]
    pub junit: Option<PathBuf>,
    /// Also replay each service's migrations once more, statement by statement, measuring the
    /// locks each statement takes, the tables and indexes it rewrites, rows and time; write
    /// them to PATH as Markdown (also in --format json, and warnings in --junit).
    #[arg(long, value_name = "PATH")]
    pub report: Option<PathBuf>,
    /// For each service with migrations added since REV (e.g. origin/main): REV's seed and
    /// tests, from a checkout of REV, run against REV's migrations plus the new ones; a test
    /// that passed on REV's schema and fails on the new one fails the service, naming the
    /// migration that broke it. Default: `[verify] compat`.
    #[arg(long, value_name = "REV")]
    pub compat: Option<String>,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum IsolationFlag {
    Database,
    Cluster,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Backend {
    Auto,
    Docker,
    Local,
    Url,
}

/// The services a command works on: `-s` (repeatable) or `--all`; every command that takes
/// several services flattens this one group.
#[derive(Args)]
pub struct Services {
    /// A service to work on (repeatable, or comma-separated). Default: the service whose
    /// directory the command runs in (as `npx prisma` there), else every service.
    #[arg(
        long = "service",
        short = 's',
        value_name = "NAME",
        value_delimiter = ','
    )]
    pub services: Vec<String>,
    /// Every service, even when run inside one service's directory.
    #[arg(long, conflicts_with = "services")]
    pub all: bool,
}

/// Services, and the URL when only one is selected.
#[derive(Args)]
pub struct Selection {
    #[command(flatten)]
    pub which: Services,
    /// The database URL, when exactly one service is selected. Otherwise each service's URL
    /// comes from <SERVICE>_DATABASE_URL, else from its datasource's directUrl or url (the
    /// variable it names, from the environment or the service's .env), else DATABASE_URL.
    #[arg(long, value_name = "URL")]
    pub database_url: Option<String>,
}

#[derive(Args)]
pub struct Migrate {
    #[command(flatten)]
    pub selection: Selection,
    /// Services migrated at once (services sharing a database run one after another).
    #[arg(long, short = 'j', value_name = "N", default_value_t = default_jobs())]
    pub jobs: usize,
    #[command(flatten)]
    pub lock_timeout: LockTimeout,
    /// Refuse to migrate when an applied migration was edited, is missing locally, or when a
    /// pending one is older than the newest applied one.
    #[arg(long)]
    pub strict: bool,
    /// Show, per service, the migrations that would be applied, their statements and what
    /// the rows there will do to them (--precheck, read-only); change nothing (no database,
    /// schema, ledger row or lock is created). Exits 1 when a deploy would fail.
    #[arg(long, conflicts_with = "backup")]
    pub dry_run: bool,
    /// With --dry-run: only the services affected since this git revision (see
    /// `cargo xtask affected`).
    #[arg(long, value_name = "REV", requires = "dry_run")]
    pub since: Option<String>,
    /// Before applying anything to a service, pg_dump its schema to
    /// DIR/<service>-<UTC timestamp>.dump and check it is readable; if that fails, nothing is
    /// applied.
    #[arg(long, value_name = "DIR")]
    pub backup: Option<PathBuf>,
    /// Apply pending migrations up to and including NAME, nothing after it (with several
    /// services, each must have a migration of that name).
    #[arg(long, value_name = "NAME")]
    pub to: Option<String>,
    /// How long a migration's statement may wait for a table lock (PostgreSQL's lock_timeout),
    /// e.g. 5s: a blocked ALTER TABLE then gives up instead of queueing every query behind it.
    /// Default: [migrate] ddl_lock_timeout in xtask.toml, else no limit (as Prisma).
    #[arg(long, value_name = "DURATION")]
    pub ddl_lock_timeout: Option<Wait>,
    /// How long a migration's statement may run (PostgreSQL's statement_timeout). Default:
    /// [migrate] statement_timeout in xtask.toml, else no limit.
    #[arg(long, value_name = "DURATION")]
    pub statement_timeout: Option<Wait>,
    /// Before applying anything to a service, check its pending migrations against the rows
    /// already there, read-only (implied by --dry-run): NULLs before SET NOT NULL, duplicates
    /// before a unique key, orphans before a foreign key, values that do not cast, rows before a
    /// required column; with each statement's lock and table size. A migration that would fail
    /// stops the service's deploy before anything is applied.
    #[arg(long)]
    pub precheck: bool,
    /// How long each precheck query may take (then its verdict is "unknown").
    #[arg(long, value_name = "DURATION", default_value = "10s")]
    pub precheck_timeout: Wait,
    /// Try a migration again this many times when it timed out on a lock or deadlocked
    /// before anything of it committed (it is rolled back whole first, with a growing pause).
    /// Default: [migrate] retries in xtask.toml, else 0.
    #[arg(long, value_name = "N")]
    pub retries: Option<u32>,
    /// How long the deploy session may sit idle before the server ends it, which frees the
    /// migration lock of a deployer whose network or runner vanished (PostgreSQL's
    /// idle_in_transaction_session_timeout and, from 14, idle_session_timeout). Default:
    /// [migrate] idle_timeout in xtask.toml, else 60s; 0s leaves the server's settings.
    #[arg(long, value_name = "DURATION")]
    pub idle_timeout: Option<Wait>,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

#[derive(Args)]
pub struct Reset {
    #[command(flatten)]
    pub target: OneService,
    /// Reset even though the database is not on this machine.
    #[arg(long)]
    pub force: bool,
    /// Do not ask for confirmation.
    #[arg(long, short = 'y')]
    pub yes: bool,
    #[command(flatten)]
    pub lock_timeout: LockTimeout,
}

/// The one service a command works on, and its database.
#[derive(Args)]
pub struct OneService {
    /// The service. Default: the service whose directory the command runs in, else the only service there is.
    #[arg(long, short = 's', value_name = "NAME")]
    pub service: Option<String>,
    /// The database URL (default: the service's, as for migrate).
    #[arg(long, value_name = "URL")]
    pub database_url: Option<String>,
}

#[derive(Args)]
#[command(group(clap::ArgGroup::new("which").required(true).args(["steps", "to"])))]
pub struct Rollback {
    #[command(flatten)]
    pub target: OneService,
    /// Undo the last N applied migrations.
    #[arg(long, value_name = "N")]
    pub steps: Option<usize>,
    /// Undo every applied migration after NAME (NAME stays applied).
    #[arg(long, value_name = "NAME")]
    pub to: Option<String>,
    /// Undo even when a reversal drops a table or column holding rows.
    #[arg(long)]
    pub accept_data_loss: bool,
    /// Back up the service's schema here (pg_dump, as `migrate --backup`) before undoing.
    #[arg(long, value_name = "DIR")]
    pub backup: Option<std::path::PathBuf>,
    /// Do not ask for confirmation.
    #[arg(long, short = 'y')]
    pub yes: bool,
    #[command(flatten)]
    pub lock_timeout: LockTimeout,
}

#[derive(Args)]
#[command(group(clap::ArgGroup::new("data").args(["keep_data_statements", "drop_data_statements"])))]
pub struct Squash {
    #[command(flatten)]
    pub target: OneService,
    /// The last migration to replace (default: the newest).
    #[arg(long, value_name = "NAME")]
    pub up_to: Option<String>,
    /// The new folder's description, after the timestamp of the last migration replaced.
    #[arg(long, value_name = "NAME", default_value = "squashed_migrations")]
    pub name: String,
    /// Keep what the migrations' INSERT/UPDATE/DELETE statements leave: the rows they leave on
    /// an empty database go in the squash as INSERTs.
    #[arg(long)]
    pub keep_data_statements: bool,
    /// Leave the migrations' data statements out: the squash holds the schema only.
    #[arg(long)]
    pub drop_data_statements: bool,
}

#[derive(Args)]
pub struct Rebase {
    /// The service. Default: the service whose directory the command runs in, else the only service there is.
    #[arg(long, short = 's', value_name = "NAME")]
    pub service: Option<String>,
    /// The base branch's revision, as git names it (e.g. origin/main).
    #[arg(long, value_name = "REV")]
    pub onto: String,
    /// Rename even when migrations on REV newer than this branch's change the same tables.
    #[arg(long)]
    pub force: bool,
    /// Rename only: do not verify the service afterwards.
    #[arg(long)]
    pub no_verify: bool,
}

#[derive(Args)]
pub struct Seed {
    #[command(flatten)]
    pub target: OneService,
    /// Seed even though the database is not on this machine.
    #[arg(long)]
    pub force: bool,
}

#[derive(Args)]
pub struct Dev {
    #[command(flatten)]
    pub target: OneService,
    /// The name of the migration schema.prisma's changes need (asked on a terminal when
    /// needed and not given).
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// Write the migration, do not apply it (`prisma migrate dev --create-only`).
    #[arg(long)]
    pub create_only: bool,
    /// Write the guide's safe form (as `new --safe`).
    #[arg(long)]
    pub safe: bool,
    /// Reset without asking when the database has drifted (scripts).
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Work on a database that is not on this machine.
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub lock_timeout: LockTimeout,
}

#[derive(Args)]
pub struct Push {
    #[command(flatten)]
    pub target: OneService,
    /// Apply changes that lose data (dropped columns or tables, narrowing casts, new unique
    /// constraints): refused without it, each named.
    #[arg(long)]
    pub accept_data_loss: bool,
    /// Drop and recreate the service's schema first (every table and row).
    #[arg(long)]
    pub force_reset: bool,
    /// Push even though the database is not on this machine.
    #[arg(long)]
    pub force: bool,
}

#[derive(Args)]
pub struct Baseline {
    #[command(flatten)]
    pub target: OneService,
    /// The last migration the database already contains (default: every local migration).
    #[arg(long, value_name = "NAME")]
    pub up_to: Option<String>,
    /// Record them even though the database differs from what they build (checked first:
    /// the migrations replayed on a throwaway database, compared with the database).
    #[arg(long)]
    pub force: bool,
    /// Do not ask for confirmation.
    #[arg(long, short = 'y')]
    pub yes: bool,
    #[command(flatten)]
    pub lock_timeout: LockTimeout,
}

#[derive(Args)]
pub struct Status {
    #[command(flatten)]
    pub selection: Selection,
    /// Also compare the database with the migrations (replayed on a throwaway database), as
    /// `prisma migrate diff --from-migrations --to-url` does: drift is a problem (exit 1).
    #[arg(long)]
    pub drift: bool,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

#[derive(Args)]
#[command(group(clap::ArgGroup::new("how").required(true).args(["applied", "rolled_back", "checksum"])))]
pub struct Resolve {
    #[command(flatten)]
    pub target: OneService,
    /// Record NAME as applied without running it (it was applied by hand, or baselining).
    #[arg(long, value_name = "NAME")]
    pub applied: Option<String>,
    /// Mark the failed migration NAME as rolled back: the next migrate applies it again.
    #[arg(long, value_name = "NAME")]
    pub rolled_back: Option<String>,
    /// Accept the edited file of the applied migration NAME, only when the edit is proved
    /// harmless (the history with it builds the same schema as with the original, on
    /// throwaway databases): its new checksum is recorded in this database's ledger.
    #[arg(long, value_name = "NAME")]
    pub checksum: Option<String>,
    #[command(flatten)]
    pub lock_timeout: LockTimeout,
}

#[derive(Args)]
#[command(
    override_usage = "cargo xtask new [-s SERVICE] NAME [OPTIONS]\n       cargo xtask new [-s SERVICE] --name NAME [OPTIONS]\n       cargo xtask new [-s SERVICE] --revert MIGRATION"
)]
pub struct New {
    /// The service to add the migration to. Default: the service whose directory the command runs in, else the only service there is.
    #[arg(long, short = 's', value_name = "NAME")]
    pub service: Option<String>,
    /// What the migration does, in lower snake case (e.g. add_student_grade).
    #[arg(conflicts_with = "revert")]
    pub name: Option<String>,
    /// The same, as Prisma spells it (`prisma migrate dev --name add_student_grade`).
    #[arg(long = "name", value_name = "NAME", conflicts_with_all = ["revert", "name"])]
    pub name_flag: Option<String>,
    /// Write the SQL Prisma would write for the difference between the migrations and
    /// schema.prisma (the default when they differ; nothing is written when they agree).
    #[arg(long, conflicts_with_all = ["revert", "empty"])]
    pub from_schema: bool,
    /// Write an empty migration even when schema.prisma differs from the migrations.
    #[arg(long, conflicts_with = "revert")]
    pub empty: bool,
    /// Accept a schema that defines no model: the migration then drops every table (refused
    /// without this flag, since it usually means the schema was not found where expected).
    #[arg(long, conflicts_with_all = ["revert", "empty"])]
    pub allow_empty_schema: bool,
    /// Write the guide's safe form instead of Prisma's bytes: each index on an existing table
    /// in a migration of its own, CREATE INDEX CONCURRENTLY; a required column added nullable,
    /// backfilled (a TODO(backfill) lint reports until the value is written), then SET NOT NULL.
    #[arg(long, conflicts_with_all = ["revert", "empty"])]
    pub safe: bool,
    /// Write a migration that reverses the migration NAME (the guide's rollback strategy 1):
    /// mechanical reversals last statement first, and a TODO(revert) marker, which lint
    /// reports, for each statement that cannot be reversed without losing data.
    #[arg(long, value_name = "NAME")]
    pub revert: Option<String>,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Format {
    Human,
    Json,
}

fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}
