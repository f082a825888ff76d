//! Schema drift as commands: `cargo xtask diff` compares any two of a service's migrations
//! (replayed on a throwaway database), its schema.prisma and its live database (read-only);
//! `status --drift` compares the live database with the migrations; `new --from-schema`
//! writes the migration Prisma would write for schema.prisma ([`generate`]).

mod checksum;
pub(crate) mod generate;
mod replay_cache;
mod rollback;
mod squash;

pub use checksum::{ChecksumAccepted, accept_checksum};
pub use rollback::{RolledBack, Undo, rollback};
pub use squash::{DataStatement, DataStatements, SquashOptions, Squashed, squash};

use serde::Serialize;

use crate::config;
use crate::db::{self, DatabaseUrl};
use crate::diff::{self, Creators, Difference, Naming, SqlSchema};
use crate::error::{Error, ExitCode};
use crate::migrate::{self, MigrateOptions};
use crate::verify::{Backend, Database};
use crate::workspace::{Service, Workspace};

/// Something that has a schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// Every migration, applied from scratch to a throwaway database.
    Migrations,
    /// schema.prisma.
    Schema,
    /// The service's database, read only.
    Database,
}

impl Source {
    /// How the side is named in output.
    pub fn label(self) -> &'static str {
        match self {
            Source::Migrations => "the migrations",
            Source::Schema => "schema.prisma",
            Source::Database => "the database",
        }
    }
}

/// The outcome for one service.
#[derive(Debug, Serialize)]
pub struct DiffReport {
    /// The service.
    pub service: String,
    /// The side compared from.
    pub from: Source,
    /// The side compared to.
    pub to: Source,
    /// Prisma's summary (`No difference detected.` when none).
    pub summary: String,
    /// The SQL that takes `from` to `to`, as Prisma writes it.
    pub script: String,
    /// Prisma's data-loss warnings for the script.
    pub warnings: Vec<String>,
    /// Each difference, located in schema.prisma or a migration where it can be.
    pub differences: Vec<Difference>,
    /// Objects of the database side that Prisma does not manage (not differences).
    pub unmanaged: Vec<String>,
    #[serde(serialize_with = "crate::error::serialize_outcome")]
    /// Success, or why the comparison could not be made.
    pub result: Result<(), Error>,
}

impl DiffReport {
    /// Prisma's `--exit-code`: 0 no difference, 2 differences, 1 error.
    pub fn exit_code(&self) -> ExitCode {
        match (&self.result, self.differences.is_empty()) {
            (Err(_), _) => ExitCode::Failure,
            (Ok(()), true) => ExitCode::Success,
            (Ok(()), false) => ExitCode::Usage,
        }
    }
}

/// One side read: its schema, the schemas it spans, what it holds that Prisma does not manage.
struct Side {
    schema: SqlSchema,
    namespaces: Vec<String>,
    unmanaged: Vec<String>,
    multi_schema: bool,
    /// The throwaway database the migrations were replayed on.
    replayed: Option<DatabaseUrl>,
    /// Keeps a throwaway database alive while it is read.
    _db: Option<Box<dyn Database>>,
}

/// Where the comparison gets its databases.
pub struct Places<'a> {
    /// The workspace.
    pub ws: &'a Workspace,
    /// The service's database (for `database`, and its `?schema=`).
    pub url: Option<DatabaseUrl>,
    /// Throwaway databases for replaying the migrations.
    pub backend: &'a dyn Backend,
}

/// Compares `from` with `to` for `service`: the steps that would turn `from` into `to`.
pub fn diff_service(service: &Service, from: Source, to: Source, places: &Places) -> DiffReport {
    diff_with(service, from, to, places, None)
}

/// The migrations against schema.prisma, the migrations read from `replayed`, a database they
/// were already applied to: what `new --from-schema` computes after its replay (the benchmark
/// times it so).
pub fn diff_replayed(service: &Service, places: &Places, replayed: &DatabaseUrl) -> DiffReport {
    diff_with(
        service,
        Source::Migrations,
        Source::Schema,
        places,
        Some(replayed),
    )
}

fn diff_with(
    service: &Service,
    from: Source,
    to: Source,
    places: &Places,
    replayed: Option<&DatabaseUrl>,
) -> DiffReport {
    let mut report = DiffReport {
        service: service.name.clone(),
        from,
        to,
        summary: String::new(),
        script: String::new(),
        warnings: Vec::new(),
        differences: Vec::new(),
        unmanaged: Vec::new(),
        result: Ok(()),
    };
    report.result = (|| {
        let default_schema = places
            .url
            .as_ref()
            .map_or("public".to_string(), |u| u.schema.clone());
        // The schemas schema.prisma spans decide what is read from databases.
        let expected = diff::expected(service, &default_schema)?;
        let namespaces = expected
            .as_ref()
            .map_or_else(|| vec![default_schema.clone()], |e| e.namespaces.clone());
        let multi_schema = expected.as_ref().is_some_and(|e| e.multi_schema);
        let partial_indexes = expected.as_ref().is_some_and(|e| e.partial_indexes);
        let read = |source: Source| -> Result<Side, Error> {
            match source {
                Source::Schema => {
                    let e = expected.as_ref().ok_or_else(|| {
                        Error::Config(format!(
                            "service `{}` has no schema.prisma (looked for {})",
                            service.name,
                            service.prisma_dir().join("schema.prisma").display()
                        ))
                    })?;
                    Ok(Side {
                        schema: e.schema.clone(),
                        namespaces: e.namespaces.clone(),
                        unmanaged: Vec::new(),
                        multi_schema,
                        replayed: None,
                        _db: None,
                    })
                }
                Source::Migrations => {
                    // Unchanged since an earlier call: what that replay read. Not with
                    // partial indexes, whose conditions are settled on the replayed database.
                    let key = match (replayed, partial_indexes) {
                        (None, false) => cache_key(places, service, &namespaces)?,
                        _ => None,
                    };
                    if let Some(found) = key
                        .as_ref()
                        .and_then(|k| replay_cache::load(places.ws, &service.name, k))
                    {
                        return Ok(Side {
                            schema: found.schema,
                            namespaces: namespaces.clone(),
                            unmanaged: found.unmanaged,
                            multi_schema,
                            replayed: None,
                            _db: None,
                        });
                    }
                    let (db, url) = match replayed {
                        Some(url) => (None, url.clone()),
                        None => {
                            let db = replay(places, service, &default_schema)?;
                            let url = db.url().clone();
                            (Some(db), url)
                        }
                    };
                    let mut client = db::connect(&url)?;
                    let found = diff::introspect(&mut client, &namespaces, partial_indexes)?;
                    if let Some(k) = &key {
                        replay_cache::store(places.ws, &service.name, k, &found);
                    }
                    Ok(Side {
                        schema: found.schema,
                        namespaces: namespaces.clone(),
                        unmanaged: found.unmanaged,
                        multi_schema,
                        replayed: Some(url),
                        _db: db,
                    })
                }
                Source::Database => {
                    let url = places.url.as_ref().ok_or_else(|| Error::NoDatabaseUrl {
                        service: service.name.clone(),
                        places: format!("{} (or pass --database-url)", service.url_env_var()),
                    })?;
                    let found = read_live(url, &namespaces, partial_indexes)?;
                    Ok(Side {
                        schema: found.schema,
                        namespaces: namespaces.clone(),
                        unmanaged: found.unmanaged,
                        multi_schema,
                        replayed: None,
                        _db: None,
                    })
                }
            }
        };
        let (mut a, mut b) = (read(from)?, read(to)?);
        // The datasource declares extensions: Prisma compares them, on every side.
        if let Some(e) = expected.as_ref().filter(|e| e.schema.manages_extensions) {
            for side in [&mut a, &mut b] {
                side.schema.manages_extensions = true;
                e.remove_declared_extensions(&mut side.unmanaged);
            }
        }
        // Partial indexes' conditions as PostgreSQL prints them, where the replay can tell.
        match (from, to) {
            (Source::Schema, Source::Migrations) => settle_predicates(&mut a, &b)?,
            (Source::Migrations, Source::Schema) => settle_predicates(&mut b, &a)?,
            _ => {}
        }
        // Objects prisma.config.ts says another tool manages: on neither side.
        let (tables, enums) = external(service)?;
        for side in [&mut a, &mut b] {
            side.schema
                .tables
                .retain(|t| !is_listed(&tables, t.schema.as_deref(), &t.name, &default_schema));
            side.schema
                .enums
                .retain(|e| !is_listed(&enums, e.schema.as_deref(), &e.name, &default_schema));
        }
        let m = diff::compare(&a.schema, &b.schema, &a.namespaces, &b.namespaces);
        let naming = Naming {
            default_schema: default_schema.clone(),
            multi_schema: a.multi_schema || b.multi_schema,
        };
        report.summary = diff::summary(&m);
        report.script = diff::script(&m, &naming);
        report.warnings = diff::warnings(&m);
        let migrations = if service.migrations_dir().is_dir() {
            service.migrations()?
        } else {
            Vec::new()
        };
        // Locating differences analyses every migration's SQL: only when there are some.
        if !m.is_empty() {
            let creators = Creators::of(&migrations);
            report.differences = diff::differences(
                &m,
                &creators,
                &diff::Sides {
                    from: from.label(),
                    to: to.label(),
                },
            );
        }
        // Both sides may be databases holding the same unmanaged objects: each listed once.
        for object in a.unmanaged.into_iter().chain(b.unmanaged) {
            if !report.unmanaged.contains(&object) {
                report.unmanaged.push(object);
            }
        }
        Ok(())
    })();
    report
}

/// The replay cache's key for `service`'s history read in `namespaces`; None when the
/// throwaway server cannot say what it is (nothing is kept then).
fn cache_key(
    places: &Places,
    service: &Service,
    namespaces: &[String],
) -> Result<Option<String>, Error> {
    let config = config::verify_config(&places.ws.root, service)?;
    let Some(server) = places.backend.identity(&config) else {
        return Ok(None);
    };
    let migrations = match service.migrations_dir().is_dir() {
        true => service.migrations()?,
        false => Vec::new(),
    };
    Ok(replay_cache::key(&replay_cache::Inputs {
        migrations: &migrations,
        namespaces,
        partial_indexes: false,
        server: &server,
    }))
}

/// schema.prisma's partial-index conditions, settled on the replayed side's database.
fn settle_predicates(schema: &mut Side, replayed: &Side) -> Result<(), Error> {
    // Most schemas have no partial index: no connection for them on every diff, new and dev.
    let partial = schema
        .schema
        .tables
        .iter()
        .any(|t| t.indexes.iter().any(|i| i.predicate.is_some()));
    if let Some(url) = replayed.replayed.as_ref().filter(|_| partial) {
        let mut client = db::connect(url)?;
        diff::settle_predicates(&mut client, &mut schema.schema, &replayed.schema);
    }
    Ok(())
}

/// `tables.external` and `enums.external` of the service's prisma.config.ts.
fn external(service: &Service) -> Result<(Vec<String>, Vec<String>), Error> {
    let Some(path) = &service.layout.config else {
        return Ok((Vec::new(), Vec::new()));
    };
    let config = crate::workspace::prisma_config::PrismaConfig::read(path)?;
    Ok((config.external_tables, config.external_enums))
}

/// Whether `name` in `schema` (None: the default one) is in `list` (`name` or `schema.name`).
fn is_listed(list: &[String], schema: Option<&str>, name: &str, default_schema: &str) -> bool {
    let schema = schema.unwrap_or(default_schema);
    list.iter().any(|entry| match entry.rsplit_once('.') {
        Some((s, n)) => n == name && s == schema,
        None => entry == name,
    })
}

/// `baseline`'s check: the live database against the migrations up to `up_to` (all without it)
/// replayed on a throwaway database. Recording them as applied is right only when they built
/// what the database holds.
pub fn database_against_history(
    service: &Service,
    up_to: Option<&str>,
    places: &Places,
) -> DiffReport {
    // Up to the newest migration is the whole history: no copy to make.
    let newest = service
        .migration_dirs()
        .ok()
        .and_then(|d| d.last().map(|(n, _)| n.clone()));
    let up_to = match up_to {
        Some(name) if Some(name) != newest.as_deref() => name,
        _ => return diff_service(service, Source::Migrations, Source::Database, places),
    };
    // The history up to `up_to` alone: a copy of those folders, the same schema.
    let partial = (|| -> Result<(tempfile::TempDir, Service), Error> {
        let dir = tempfile::tempdir().map_err(|e| Error::io(&std::env::temp_dir(), e))?;
        let migrations = dir.path().join("migrations");
        std::fs::create_dir_all(&migrations).map_err(|e| Error::io(&migrations, e))?;
        for (name, from) in service.migration_dirs()? {
            if name.as_str() > up_to {
                continue;
            }
            let to = migrations.join(&name);
            std::fs::create_dir_all(&to).map_err(|e| Error::io(&to, e))?;
            let file = from.join("migration.sql");
            std::fs::copy(&file, to.join("migration.sql")).map_err(|e| Error::io(&file, e))?;
        }
        let mut copy = service.clone();
        copy.layout.migrations_dir = migrations;
        Ok((dir, copy))
    })();
    match partial {
        Ok((_dir, copy)) => diff_service(&copy, Source::Migrations, Source::Database, places),
        Err(e) => DiffReport {
            service: service.name.clone(),
            from: Source::Migrations,
            to: Source::Database,
            summary: String::new(),
            script: String::new(),
            warnings: Vec::new(),
            differences: Vec::new(),
            unmanaged: Vec::new(),
            result: Err(e),
        },
    }
}

/// What `dev` found on the development database before changing anything.
#[derive(Debug, Default)]
pub struct DevCheck {
    /// Why the database cannot simply be brought forward: drift from the applied migrations,
    /// edited, missing or failed migrations. Each needs a reset.
    pub problems: Vec<String>,
    /// Local migrations the database has not applied.
    pub pending: Vec<String>,
}

/// `dev`'s look at the database (Prisma's `migrate dev` first step): the ledger against the
/// folders, then the database against the migrations it applied, replayed on a throwaway
/// database. Read-only.
pub fn dev_check(service: &Service, places: &Places) -> Result<DevCheck, Error> {
    let url = places.url.as_ref().ok_or_else(|| Error::NoDatabaseUrl {
        service: service.name.clone(),
        places: format!("{} (or pass --database-url)", service.url_env_var()),
    })?;
    let mut check = DevCheck::default();
    if db::connect_existing(url)?.is_none() {
        check.pending = service
            .migration_dirs()?
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        return Ok(check);
    }
    let status = crate::commands::status_service(service, Ok(url.clone()));
    if let Some(e) = &status.error {
        // A schema with tables and no ledger (P3005) is drift too: everything must go.
        if status.needs_baseline {
            check.problems.push(e.clone());
            return Ok(check);
        }
        return Err(Error::Database {
            context: format!("reading the ledger of `{}`", service.name),
            message: e.clone(),
        });
    }
    for name in &status.edited {
        check.problems.push(format!(
            "migration `{name}` was edited after it was applied"
        ));
    }
    for name in &status.missing_locally {
        check.problems.push(format!(
            "migration `{name}` is applied in the database but has no local folder"
        ));
    }
    for f in &status.failed {
        check
            .problems
            .push(format!("migration `{}` failed in this database", f.name));
    }
    check.pending = status.pending.clone();
    if check.problems.is_empty() {
        // Nothing applied yet: compared with no migration at all (an empty schema).
        let last = status.applied.iter().max().cloned().unwrap_or_default();
        let report = database_against_history(service, Some(&last), places);
        report.result?;
        for d in report.differences {
            check.problems.push(format!(
                "the database differs from the migrations it applied: {}",
                d.message
            ));
        }
    }
    Ok(check)
}

/// What `push` did.
#[derive(Debug)]
pub enum Pushed {
    /// The database already matched schema.prisma: nothing ran.
    InSync,
    /// The SQL that made it match, run in one transaction.
    Applied {
        /// The SQL run.
        script: String,
        /// Prisma's warnings for it.
        warnings: Vec<String>,
    },
    /// Changes that lose data (Prisma's warnings), refused: nothing ran.
    DataLoss {
        /// Prisma's warnings, each a change that loses data.
        warnings: Vec<String>,
    },
}

/// `push` (Prisma's `db push`): makes the database match schema.prisma without a migration
/// file or a ledger row: the SQL `diff --from database --to schema --script` prints, in one
/// transaction. A change Prisma warns about (a dropped column or table, a narrowing cast, a new
/// unique constraint, a required column) is refused unless `accept_data_loss`. `force_reset`
/// drops and recreates the service's schemas first. Local databases are the caller's check.
pub fn push(
    service: &Service,
    places: &Places,
    accept_data_loss: bool,
    force_reset: bool,
) -> Result<Pushed, Error> {
    let url = places.url.as_ref().ok_or_else(|| Error::NoDatabaseUrl {
        service: service.name.clone(),
        places: format!("{} (or pass --database-url)", service.url_env_var()),
    })?;
    let (mut client, _) = db::connect_or_create(url)?;
    if force_reset {
        let mut schemas = vec![url.schema.clone()];
        if let Some(ds) = service.datasource()? {
            schemas.extend(ds.schemas.into_iter().filter(|s| *s != url.schema));
        }
        let sql: String = schemas
            .iter()
            .map(|s| {
                let q = db::quote_ident(s);
                format!("DROP SCHEMA IF EXISTS {q} CASCADE; CREATE SCHEMA {q};")
            })
            .collect();
        client
            .batch_execute(&sql)
            .map_err(|e| Error::database("dropping and recreating the schema", &e))?;
    }
    let report = diff_service(service, Source::Database, Source::Schema, places);
    report.result?;
    if report.differences.is_empty() {
        return Ok(Pushed::InSync);
    }
    if !report.warnings.is_empty() && !accept_data_loss {
        return Ok(Pushed::DataLoss {
            warnings: report.warnings,
        });
    }
    db::use_schema(&mut client, &url.schema, true)?;
    let mut tx = client
        .transaction()
        .map_err(|e| Error::database("starting a transaction", &e))?;
    tx.batch_execute(&report.script).map_err(|e| {
        Error::MigrationFailed(format!(
            "pushing schema.prisma to {url} failed, and nothing of it was applied (one transaction):\n{}",
            crate::error::describe_pg_error(&e)
        ))
    })?;
    tx.commit()
        .map_err(|e| Error::database("committing the push", &e))?;
    Ok(Pushed::Applied {
        script: report.script,
        warnings: report.warnings,
    })
}

/// Reads a live database without changing it: a read-only transaction, no lock, no ledger.
/// A database that does not exist reads as empty.
pub(crate) fn read_live(
    url: &DatabaseUrl,
    namespaces: &[String],
    partial_indexes: bool,
) -> Result<diff::Introspected, Error> {
    let Some(mut client) = db::connect_existing(url)? else {
        return Ok(diff::Introspected::default());
    };
    let mut tx = client
        .build_transaction()
        .read_only(true)
        .start()
        .map_err(|e| Error::database("starting a read-only transaction", &e))?;
    let found = diff::introspect(&mut tx, namespaces, partial_indexes)?;
    let _ = tx.rollback();
    Ok(found)
}

/// Every migration of `service` applied from scratch to a throwaway database, its schema named
/// `schema`; the database lives as long as the returned value.
pub(crate) fn replay(
    places: &Places,
    service: &Service,
    schema: &str,
) -> Result<Box<dyn Database>, Error> {
    let config = config::verify_config(&places.ws.root, service)?;
    let db = places.backend.provision(&service.name, &config)?;
    // No migrations folder yet (a new service's first `new` or `dev`): the history is empty.
    if !service.migrations_dir().is_dir() {
        return Ok(db);
    }
    let mut url = db.url().clone();
    url.schema = schema.to_string();
    let report = migrate::migrate_service(service, Ok(url), &MigrateOptions::default(), &|_, _| {});
    report.result.map_err(|e| {
        Error::MigrationFailed(format!(
            "replaying the migrations of `{}` on a throwaway database failed, so they cannot be compared:\n{e}",
            service.name
        ))
    })?;
    Ok(db)
}
