//! shared-migrate: Prisma-compatible migrations for a monorepo of PostgreSQL services.
//!
//! # Layers
//!
//! Each module imports only from itself and from the modules listed before it (the tidy test
//! `xtask/tests/it/tidy.rs` keeps it so), so the code reads top-down, from the command to the
//! database:
//!
//! | layer | what |
//! |---|---|
//! | leaves | [`text`] (plural, shell quoting, durations), [`remedy`] (the commands we suggest), [`error`], [`cleanup`] (undo on Ctrl-C), [`process`] (configured commands), [`parallel`] (the thread pool, progress) |
//! | [`psl`] | the Prisma schema language: schema files into a syntax tree, the datasource block |
//! | [`workspace`] | services, where their Prisma files are (`prisma.config.ts`), migration folders, the naming convention |
//! | [`sql`] | a file's statements and how it runs ([`sql::Plan`]), what each does, the replayed schema; no database |
//! | [`db`] | URL and its sources, sessions, the migration lock, the ledger, running a file |
//! | [`diff`] | the schema Prisma would create for schema.prisma, the schema a database has, and Prisma's difference between them |
//! | [`pg_tools`] | local throwaway clusters, containers, PostgreSQL's client programs |
//! | [`lint`] | the linter: rules over a replayed history, with settings given to it |
//! | [`config`] | `xtask.toml`: fills in lint's settings and verify's, every default once |
//! | [`ci`] | CI work over many services: affected by a change (`--since`), shards, `ci-plan`; no database |
//! | [`migrate`] | the deploy path, its failure messages, `--backup`, prechecks on the target's rows |
//! | [`seed`] | a service's seed and configured commands |
//! | [`commands`] | status, resolve, baseline, reset, new (and `--revert`), lint |
//! | [`verify`] | throwaway databases per service, the verify steps, rows for `--data`, the measured locks of `--report` |
//! | [`schema_diff`] | the `diff` command, `status --drift`, `dev`'s check, `push` and `new --from-schema`: schema.prisma, the migrations and the live database compared |
//! | [`bench`] | `cargo xtask bench` |
//! | [`render`] | what people read: tables, JUnit, the lock report, bench figures |
//!
//! # Follow a migration
//!
//! `cargo xtask migrate` → [`migrate_all`] groups the services by database and runs them in
//! parallel → [`migrate::migrate_service`] reads the folders ([`workspace::Service::migrations`]),
//! connects ([`db::connect_or_create`]), takes the lock ([`db::take_lock`]), compares folders
//! and ledger ([`db::compare`]), plans each pending file ([`sql::Plan`]) → [`migrate::apply`]
//! runs one with its `_prisma_migrations` row ([`db::run_file`], [`db::ledger`]).
//!
//! The command line (`xtask/`) uses only the names re-exported here.

// Every `pub` item is reachable from this root: what is not part of the library's face is
// `pub(crate)` (checked by the compiler here, and by the tidy test for this line).
#![warn(unreachable_pub)]
// The public face is documented: every item a caller can reach says what it is.
#![warn(missing_docs)]

pub(crate) mod text;

pub(crate) mod remedy;

pub(crate) mod error;

pub(crate) mod cleanup;

pub(crate) mod process;

pub(crate) mod parallel;

pub(crate) mod psl;

pub(crate) mod workspace;

pub(crate) mod sql;

pub(crate) mod db;

pub(crate) mod diff;

pub(crate) mod pg_tools;

pub(crate) mod lint;

pub(crate) mod config;

pub(crate) mod ci;

pub(crate) mod migrate;

pub(crate) mod seed;

pub(crate) mod commands;

pub(crate) mod verify;

pub(crate) mod schema_diff;

pub(crate) mod bench;

pub(crate) mod render;

#[cfg(test)]
mod tests;

// --- the facade: what the command line needs ----------------------------------------------

pub use bench::generate::Shape;
pub use bench::measure::report_own_peak;
pub use bench::scale::{ScaleOptions, ScaleResults, run_scale};
pub use bench::schema_history::SchemaShape;
pub use bench::{BenchOptions, BenchResults, run_bench};
pub use ci::{
    Affected, Matrix, SHARD_SECONDS, Scope, Shard, Timings, affected, matrix, scope, weigh,
};
pub use cleanup::{install_signal_handler, interrupted};
pub use commands::{
    Accepted, Rebased, Reset, Resolution, Seeded, ServiceStatus, accept_history, baseline,
    baseline_preview, check_local, check_reset_allowed, lint_services, new_migration, new_revert,
    rebase, reset, resolve, run_seed, status_service,
};
pub use config::{Isolation, default_image, dev_generate, migrate_waits, migration_lock};
pub use db::{
    DEFAULT_LOCK_TIMEOUT, DatabaseUrl, LockMode, MigrationLock, UrlOrigin, UrlSources, Waits,
};
pub use error::{Error, ExitCode};
pub use lint::render::{github as lint_github, human as lint_human, summary as lint_summary};
pub use lint::{LintOptions, LintReport, RULES, Rule, RuleLevel};
pub use migrate::{MigrateOptions, MigrateReport, MigrateTarget, migrate_all};
pub use parallel::Progress;
pub use process::command as process_command;
pub use render::{
    bench_figures, diff_github, diff_scripts, diff_summary, dry_run_summary, junit, lock_report,
    migrate_summary, scale_figures, status_summary, verify_summary,
};
pub use schema_diff::generate::{GenerateOptions, GeneratedMigration, IN_SYNC, from_schema};
pub use schema_diff::{
    ChecksumAccepted, DataStatement, DataStatements, DevCheck, DiffReport, Places, Pushed,
    RolledBack, Source, SquashOptions, Squashed, Undo, accept_checksum, database_against_history,
    dev_check, diff_replayed, diff_service, push, rollback, squash,
};
pub use seed::datasource_variables;
pub use text::{duration_text, parse_duration, plural};
pub use verify::{
    Backend, BackendKind, SWEEP_AFTER, VerifyOptions, VerifyReport, choose_backend, verify_all,
};
pub use workspace::{DeclaredValue, Service, Workspace};

// --- what the test-support crate and the integration tests build on -------------------------

pub use bench::generate::monorepo as generate_monorepo;
pub use bench::schema_history::write as write_schema_history;
pub use commands::{FailedMigration, State, create_revert};
pub use db::{connect, connect_existing, run_sql_file};
pub use diff::Difference;
pub use migrate::backup::{Backup, dump as dump_backup, restore as restore_backup};
pub use migrate::migrate_service;
pub use pg_tools::{LocalCluster, Pki, Template, find_binary};
pub use verify::UrlBackend;
pub use workspace::checksum;
pub use workspace::naming::{check as check_migration_name, default_vague_words};
