//! Configuration: `xtask.toml` at the repository root, overridden per service by
//! `services/<svc>/xtask.toml`. Both optional. Unknown keys are errors naming file and line.
//!
//! This layer sits above the linter (as squawk's configuration sits above its linter): it knows
//! lint's rules and settings and fills them in; lint knows nothing of files. Every default not
//! owned by a lower layer is defined here, once.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::db::Waits;
use crate::error::{Error, Location, utf8_text};
use crate::lint::{self, LintConfig, RuleLevel};
use crate::text::parse_duration;
use crate::workspace::Service;

pub(crate) const FILE_NAME: &str = "xtask.toml";

/// Time limit of each verify step (migrate, seed, test) when `[verify] timeout` is not set.
pub(crate) const DEFAULT_STEP_TIMEOUT: Duration = Duration::from_secs(600);

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct File {
    /// Root file only: more places services live, as globs (`packages/*`, `apps/**`), beyond
    /// `services/*` and the workspaces package.json or pnpm-workspace.yaml declare. Read by
    /// `workspace/members.rs` before any service is known; parsed here so that the file is
    /// checked as one (unknown keys are errors).
    #[allow(dead_code)]
    pub services: Option<Vec<String>>,
    /// Services whose changes also affect this one (`--since`): e.g. a service whose tests
    /// read another's schema. Names of other services.
    #[serde(default)]
    pub depends_on: Vec<toml::Spanned<String>>,
    #[serde(default)]
    pub verify: VerifySection,
    #[serde(default)]
    pub lint: LintSection,
    #[serde(default)]
    pub migrate: MigrateSection,
    #[serde(default)]
    pub dev: DevSection,
}

/// `[dev]`: what `cargo xtask dev` runs after it changed the database.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DevSection {
    /// The client generation, an argument list run in the service's directory (e.g.
    /// `["npx", "prisma", "generate"]`). Default: none (dev says how to configure it).
    pub generate: Option<Vec<String>>,
}

/// `[dev] generate` of the service's file, else the repository's.
pub fn dev_generate(root: &Path, service: &Service) -> Result<Option<Vec<String>>, Error> {
    let Files {
        repo: (repo, _),
        own: (own, own_path),
    } = Files::read(root, service)?;
    let generate = own.dev.generate.or(repo.dev.generate);
    if generate.as_ref().is_some_and(Vec::is_empty) {
        return Err(Error::Config(format!(
            "{}: [dev] generate is an empty list: give the program and its arguments, e.g. [\"npx\", \"prisma\", \"generate\"]",
            own_path.display()
        )));
    }
    Ok(generate)
}

/// `[migrate]`: how `cargo xtask migrate` waits on a live database. A service's file overrides
/// the repository's key by key; the command's flags override both.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct MigrateSection {
    /// PostgreSQL's `lock_timeout` for the migrations' statements, e.g. "5s". Default: none.
    pub ddl_lock_timeout: Option<String>,
    /// PostgreSQL's `statement_timeout` for the migrations' statements. Default: none.
    pub statement_timeout: Option<String>,
    /// Further attempts of a migration that timed out on a lock or deadlocked. Default 0.
    pub retries: Option<u32>,
    /// How long the deploy session may sit idle before the server ends it, freeing the
    /// migration lock of a deployer that vanished. Default 60s; "0s": the server's setting.
    pub idle_timeout: Option<String>,
    /// Which advisory lock serialises deploys: "prisma" (Prisma's key, the default) or
    /// "schema" (a key of the database and schema: services sharing a database migrate in
    /// parallel; a concurrent Prisma CLI is not excluded). Every command that takes the lock
    /// honours it.
    pub lock: Option<crate::db::LockMode>,
}

/// `[lint]`: conventions `cargo xtask lint` enforces. A service's file overrides the
/// repository's key by key (and rule by rule in `[lint.rules]`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct LintSection {
    /// PostgreSQL major version the migrations run on (some rewrites depend on it). Default:
    /// the major of `[verify] postgres_version`, else lint's default.
    pub postgres_version: Option<u32>,
    /// Words that do not describe a change; a name made only of these is refused (by `lint`
    /// and by `new`). Replaces the built-in list.
    pub vague_words: Option<Vec<String>>,
    /// Added to the built-in (or configured) vague words.
    pub extra_vague_words: Option<Vec<String>>,
    /// How far in the future a migration timestamp may be (clock skew), e.g. "10m".
    pub max_clock_skew: Option<String>,
    /// Size limits of one migration ("one logical change per migration").
    pub max_statements: Option<usize>,
    pub max_bytes: Option<usize>,
    pub max_tables: Option<usize>,
    /// Whether a service's first migration (usually `init`) is exempt from the size limits.
    pub exempt_first_migration: Option<bool>,
    /// Rule levels: `"error"`, `"warning"` or `"off"`, by rule name.
    #[serde(default)]
    pub rules: BTreeMap<toml::Spanned<String>, RuleLevel>,
    /// `[[lint.allow]]`: a rule's findings in one migration, allowed with a reason, without
    /// editing the file (whose checksum an applied migration must keep).
    #[serde(default)]
    pub allow: Vec<AllowEntry>,
}

/// One `[[lint.allow]]` entry.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AllowEntry {
    pub migration: String,
    pub rule: String,
    #[serde(default)]
    pub reason: String,
}

/// The file `lint --accept-history` writes beside `xtask.toml`: per service, the last migration
/// of the history accepted as it is.
pub(crate) const HISTORY_FILE: &str = "xtask-history.toml";

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct HistoryFile {
    /// Service name -> the last accepted migration.
    #[serde(default)]
    accepted: BTreeMap<String, String>,
}

fn read_history(root: &Path) -> Result<HistoryFile, Error> {
    let path = root.join(HISTORY_FILE);
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(HistoryFile::default()),
        Err(e) => return Err(Error::io(&path, e)),
    };
    let text = utf8_text(&path, bytes)?;
    toml::from_str(&text).map_err(|e| {
        let at = Location::of_offset(&path, text.as_bytes(), e.span().map_or(0, |s| s.start));
        Error::Config(format!("{at}: {}", e.message()))
    })
}

/// The last accepted migration of `service`, if its history was accepted.
pub(crate) fn accepted_through(root: &Path, service: &str) -> Result<Option<String>, Error> {
    Ok(read_history(root)?.accepted.remove(service))
}

/// Records that each `(service, last migration)` is accepted history, keeping the other
/// services' entries; written aside and renamed, so the file is whole or unchanged.
pub(crate) fn accept_history(
    root: &Path,
    accepted: &[(String, String)],
) -> Result<std::path::PathBuf, Error> {
    let path = root.join(HISTORY_FILE);
    let mut file = read_history(root)?;
    for (service, last) in accepted {
        file.accepted.insert(service.clone(), last.clone());
    }
    let body = toml::to_string(&file).map_err(|e| Error::Config(e.to_string()))?;
    let text = format!(
        "# Written by `cargo xtask lint --accept-history`: each service's migrations up to and\n\
         # including the one named here are deployed history, accepted as they are. Lint's SQL\n\
         # and naming rules judge only later migrations; the history rules (edited, removed,\n\
         # out-of-order, duplicate timestamps) still cover every migration. Review it like code.\n\n{body}"
    );
    let tmp = root.join(format!(".{HISTORY_FILE}.{}.tmp", std::process::id()));
    std::fs::write(&tmp, text).map_err(|e| Error::io(&tmp, e))?;
    std::fs::rename(&tmp, &path).map_err(|e| Error::io(&path, e))?;
    Ok(path)
}

/// `[verify]`: how `cargo xtask verify` seeds and tests a service.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct VerifySection {
    /// The seed command, an argument list run without a shell in the service's directory.
    /// Default: run `prisma/seed.sql` if it exists.
    pub seed: Option<Vec<String>>,
    /// The test command, an argument list run without a shell in the service's directory,
    /// with DATABASE_URL and PG* pointing at the throwaway database. Default: no tests.
    pub test: Option<Vec<String>>,
    /// Time limit of each step (migrate, seed, test), e.g. "5m". Default
    /// [`DEFAULT_STEP_TIMEOUT`].
    pub timeout: Option<String>,
    /// PostgreSQL major version of the docker backend's default image. Default lint's
    /// [`lint::DEFAULT_POSTGRES_VERSION`].
    pub postgres_version: Option<String>,
    /// Full image reference for the docker backend (overrides postgres_version).
    pub image: Option<String>,
    /// What a service's throwaway database shares with other services'. Default "database".
    pub isolation: Option<Isolation>,
    /// Apply each migration over rows (`verify --data`). Default false.
    pub data: Option<bool>,
    /// Rows per table with `data` (`--rows`). Default [`DEFAULT_DATA_ROWS`].
    pub rows: Option<usize>,
    /// With `data`: the migrations up to and including this one (of the service's own file)
    /// are applied without rows: history deployed when its tables were empty.
    pub data_since: Option<String>,
    /// `["seed", "tests"]` (either or both): a service without one fails instead of passing
    /// with `none`. Default: nothing required.
    pub require: Option<Vec<String>>,
    /// `verify --compat REV` for every run: the revision whose seed and tests must pass against
    /// the new schema (e.g. "origin/main").
    pub compat: Option<String>,
}

/// Rows per table of `verify --data`.
pub(crate) const DEFAULT_DATA_ROWS: usize = 100;

/// How `verify` keeps services apart on its own servers (local and docker backends).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Isolation {
    /// A database of its own on a server the run shares between services (created from
    /// template0): tables, schemas, extensions and the ledger are the service's own; roles,
    /// tablespaces and server settings are the server's.
    Database,
    /// A server (cluster or container) of its own: nothing is shared.
    Cluster,
}

impl Isolation {
    /// The name used in `xtask.toml` and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Isolation::Database => "database",
            Isolation::Cluster => "cluster",
        }
    }
}

/// The verify configuration in force for one service.
#[derive(Debug, Clone)]
pub struct VerifyConfig {
    pub seed: Option<Vec<String>>,
    pub test: Option<Vec<String>>,
    pub timeout: Duration,
    pub image: String,
    pub isolation: Isolation,
    /// `[verify] data`: migrations applied over rows.
    pub data: bool,
    pub rows: usize,
    /// `[verify] data_since`: rows only before the migrations after this one.
    pub data_since: Option<String>,
    /// `[verify] require`: `seed` and/or `tests`: a service without one fails.
    pub require: Vec<String>,
    /// `[verify] compat`: the revision `verify --compat` checks against by default.
    pub compat: Option<String>,
}

impl File {
    /// Reads a configuration file; a missing file is the default configuration.
    pub(crate) fn read(path: &Path) -> Result<File, Error> {
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(File::default()),
            Err(e) => return Err(Error::io(path, e)),
        };
        let text = utf8_text(path, bytes)?;
        let file: File = toml::from_str(&text).map_err(|e| {
            let at = Location::of_offset(path, text.as_bytes(), e.span().map_or(0, |s| s.start));
            Error::Config(format!("{at}: {}", e.message()))
        })?;
        file.check_rule_names(path, &text)?;
        Ok(file)
    }

    /// A rule level for a rule that does not exist is a typo that would silently do nothing.
    fn check_rule_names(&self, path: &Path, text: &str) -> Result<(), Error> {
        for key in self.lint.rules.keys() {
            if lint::rules::find(key.get_ref()).is_none() {
                let at = Location::of_offset(path, text.as_bytes(), key.span().start);
                return Err(Error::Config(format!(
                    "{at}: unknown lint rule `{}` in [lint.rules]; `cargo xtask lint --list-rules` lists them",
                    key.get_ref()
                )));
            }
        }
        Ok(())
    }
}

/// The repository's file and the service's, with their paths.
struct Files {
    repo: (File, std::path::PathBuf),
    own: (File, std::path::PathBuf),
}

impl Files {
    fn read(root: &Path, service: &Service) -> Result<Files, Error> {
        let repo_path = root.join(FILE_NAME);
        let own_path = service.dir.join(FILE_NAME);
        Ok(Files {
            repo: (File::read(&repo_path)?, repo_path),
            own: (File::read(&own_path)?, own_path),
        })
    }
}

/// The image of the docker backend: `image`, else `postgres:<postgres_version>`, else
/// `postgres:<lint's default version>`.
fn image(section: &VerifySection) -> String {
    section.image.clone().unwrap_or_else(|| {
        let version = section
            .postgres_version
            .clone()
            .unwrap_or_else(|| lint::DEFAULT_POSTGRES_VERSION.to_string());
        format!("postgres:{version}")
    })
}

/// The docker backend's image for a whole run: `flag` (`--image`), else the repository's
/// configured default.
pub fn default_image(root: &Path, flag: Option<String>) -> Result<String, Error> {
    let repo = File::read(&root.join(FILE_NAME))?.verify;
    Ok(flag.unwrap_or_else(|| image(&repo)))
}

/// The verify configuration of `service`: the repository file, overridden by the service's.
pub(crate) fn verify_config(root: &Path, service: &Service) -> Result<VerifyConfig, Error> {
    let Files {
        repo: (repo, _),
        own: (own, own_path),
    } = Files::read(root, service)?;
    let (repo, own) = (repo.verify, own.verify);
    let timeout = match own.timeout.as_ref().or(repo.timeout.as_ref()) {
        Some(t) => parse_duration(t)
            .map_err(|e| Error::Config(format!("{}: [verify] timeout: {e}", own_path.display())))?,
        None => DEFAULT_STEP_TIMEOUT,
    };
    let merged = VerifySection {
        postgres_version: own.postgres_version.or(repo.postgres_version),
        image: own.image.or(repo.image),
        ..VerifySection::default()
    };
    if repo.data_since.is_some() {
        return Err(Error::Config(format!(
            "{}: [verify] data_since names a migration of one service: set it in services/<service>/{FILE_NAME}",
            root.join(FILE_NAME).display()
        )));
    }
    if let Some(since) = &own.data_since {
        let migrations = service.migrations()?;
        if !migrations.iter().any(|m| &m.name == since) {
            return Err(Error::Config(format!(
                "{}: [verify] data_since: service `{}` has no migration `{since}`{}",
                own_path.display(),
                service.name,
                crate::text::suggest(since, migrations.iter().map(|m| m.name.as_str()))
            )));
        }
    }
    for (what, cmd) in [("seed", &own.seed), ("test", &own.test)] {
        if cmd.as_ref().is_some_and(|c| c.is_empty()) {
            return Err(Error::Config(format!(
                "{}: [verify] {what} is an empty list: give the program and its arguments, e.g. [\"npm\", \"test\"]",
                own_path.display()
            )));
        }
    }
    let require = own.require.or(repo.require).unwrap_or_default();
    if let Some(bad) = require
        .iter()
        .find(|r| !["seed", "tests"].contains(&r.as_str()))
    {
        return Err(Error::Config(format!(
            "{}: [verify] require: `{bad}` is not something verify can require: use \"seed\" and/or \"tests\"",
            own_path.display()
        )));
    }
    Ok(VerifyConfig {
        require,
        seed: own.seed.or(repo.seed),
        test: own.test.or(repo.test),
        timeout,
        image: image(&merged),
        isolation: own
            .isolation
            .or(repo.isolation)
            .unwrap_or(Isolation::Database),
        data: own.data.or(repo.data).unwrap_or(false),
        rows: own.rows.or(repo.rows).unwrap_or(DEFAULT_DATA_ROWS),
        data_since: own.data_since,
        compat: own.compat.or(repo.compat),
    })
}

/// The services `service` declares in `depends_on`, each checked to exist (`known`).
pub(crate) fn depends_on(service: &Service, known: &[&str]) -> Result<Vec<String>, Error> {
    let path = service.dir.join(FILE_NAME);
    let file = File::read(&path)?;
    let mut names = Vec::new();
    for name in &file.depends_on {
        if !known.contains(&name.get_ref().as_str()) {
            let text = std::fs::read(&path).unwrap_or_default();
            let at = Location::of_offset(&path, &text, name.span().start);
            return Err(Error::Config(format!(
                "{at}: depends_on names `{}`, which is not a service (services/<name>/ with prisma/ in it)",
                name.get_ref()
            )));
        }
        names.push(name.get_ref().clone());
    }
    Ok(names)
}

/// How `service`'s migrations wait: `flags` (each given one), else the service's `[migrate]`,
/// else the repository's.
pub fn migrate_waits(root: &Path, service: &Service, flags: &Waits) -> Result<Waits, Error> {
    let Files {
        repo: (repo, repo_path),
        own: (own, own_path),
    } = Files::read(root, service)?;
    let duration = |key: &str, own_v: &Option<String>, repo_v: &Option<String>| {
        let (v, path) = match (own_v, repo_v) {
            (Some(v), _) => (v, &own_path),
            (None, Some(v)) => (v, &repo_path),
            (None, None) => return Ok(None),
        };
        parse_duration(v)
            .map(Some)
            .map_err(|e| Error::Config(format!("{}: [migrate] {key}: {e}", path.display())))
    };
    let (own, repo) = (own.migrate, repo.migrate);
    Ok(Waits {
        ddl_lock_timeout: match flags.ddl_lock_timeout {
            Some(d) => Some(d),
            None => duration(
                "ddl_lock_timeout",
                &own.ddl_lock_timeout,
                &repo.ddl_lock_timeout,
            )?,
        },
        statement_timeout: match flags.statement_timeout {
            Some(d) => Some(d),
            None => duration(
                "statement_timeout",
                &own.statement_timeout,
                &repo.statement_timeout,
            )?,
        },
        retries: if flags.retries > 0 {
            flags.retries
        } else {
            own.retries.or(repo.retries).unwrap_or(0)
        },
        idle_timeout: match flags.idle_timeout {
            Some(d) => Some(d),
            None => duration("idle_timeout", &own.idle_timeout, &repo.idle_timeout)?,
        },
        lock: own.lock.or(repo.lock).unwrap_or_default(),
    })
}

/// The lock `service`'s commands take (`[migrate] lock`), waiting `timeout` for it.
pub fn migration_lock(
    root: &Path,
    service: &Service,
    timeout: std::time::Duration,
) -> Result<crate::db::MigrationLock, Error> {
    let Files {
        repo: (repo, _),
        own: (own, _),
    } = Files::read(root, service)?;
    Ok(crate::db::MigrationLock {
        mode: own.migrate.lock.or(repo.migrate.lock).unwrap_or_default(),
        timeout,
    })
}

/// The lint settings of `service`: lint's defaults, then the repository's `[lint]`, then the
/// service's.
pub(crate) fn lint_config(root: &Path, service: &Service) -> Result<LintConfig, Error> {
    let Files {
        repo: (repo, repo_path),
        own: (own, own_path),
    } = Files::read(root, service)?;
    let mut config = LintConfig::default();
    if let Some(major) = own
        .verify
        .postgres_version
        .or(repo.verify.postgres_version)
        .and_then(|v| v.split('.').next()?.parse().ok())
    {
        config.postgres_version = major;
    }
    apply(&mut config, &repo.lint, &repo_path)?;
    apply(&mut config, &own.lint, &own_path)?;
    config.accepted_through = accepted_through(root, &service.name)?;
    for (entries, path) in [(&repo.lint.allow, &repo_path), (&own.lint.allow, &own_path)] {
        for a in entries {
            config.allows.push(check_allow(a, path, service)?);
        }
    }
    Ok(config)
}

/// An allow entry, checked: a known rule, a migration of the service, a reason.
fn check_allow(a: &AllowEntry, path: &Path, service: &Service) -> Result<lint::Allow, Error> {
    let bad = |why: String| {
        Error::Config(format!(
            "{}: [[lint.allow]] {} in {}: {why}",
            path.display(),
            a.rule,
            a.migration
        ))
    };
    if !lint::RULES.iter().any(|r| r.name() == a.rule) {
        return Err(bad(format!(
            "no such rule{}",
            crate::text::suggest(&a.rule, lint::RULES.iter().map(|r| r.name()))
        )));
    }
    let names: Vec<String> = service
        .migration_dirs()?
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    if !names.contains(&a.migration) {
        return Err(bad(format!(
            "service `{}` has no such migration{}",
            service.name,
            crate::text::suggest(&a.migration, names.iter().map(String::as_str))
        )));
    }
    if a.reason.trim().is_empty() {
        return Err(bad(
            "give the reason it is safe (reason = \"...\"): the next reader needs it".into(),
        ));
    }
    Ok(lint::Allow {
        migration: a.migration.clone(),
        rule: a.rule.clone(),
        reason: a.reason.clone(),
    })
}

/// The lint settings of each service, in order.
pub(crate) fn lint_configs(root: &Path, services: &[Service]) -> Result<Vec<LintConfig>, Error> {
    services.iter().map(|s| lint_config(root, s)).collect()
}

fn apply(config: &mut LintConfig, section: &LintSection, path: &Path) -> Result<(), Error> {
    let bad =
        |key: &str, why: String| Error::Config(format!("{}: [lint] {key}: {why}", path.display()));
    if let Some(v) = section.postgres_version {
        if !(9..=30).contains(&v) {
            return Err(bad(
                "postgres_version",
                format!("{v} is not a PostgreSQL major version (e.g. 15)"),
            ));
        }
        config.postgres_version = v;
    }
    if let Some(words) = &section.vague_words {
        config.vague_words = words.iter().map(|w| w.to_lowercase()).collect();
    }
    if let Some(words) = &section.extra_vague_words {
        config
            .vague_words
            .extend(words.iter().map(|w| w.to_lowercase()));
    }
    if let Some(skew) = &section.max_clock_skew {
        config.max_clock_skew = parse_duration(skew).map_err(|e| bad("max_clock_skew", e))?;
    }
    for (key, value, field) in [
        (
            "max_statements",
            section.max_statements,
            &mut config.max_statements,
        ),
        ("max_bytes", section.max_bytes, &mut config.max_bytes),
        ("max_tables", section.max_tables, &mut config.max_tables),
    ] {
        if let Some(v) = value {
            if v == 0 {
                return Err(bad(
                    key,
                    "must be at least 1; turn the rule off with [lint.rules] migration-size = \"off\"".into(),
                ));
            }
            *field = v;
        }
    }
    if let Some(v) = section.exempt_first_migration {
        config.exempt_first_migration = v;
    }
    for (rule, level) in &section.rules {
        config.levels.insert(rule.get_ref().clone(), *level);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_name_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        std::fs::write(
            &path,
            "[verify]\ntest = [\"npm\", \"test\"]\nseeed = [\"x\"]\n",
        )
        .unwrap();
        let e = File::read(&path).unwrap_err().to_string();
        assert!(e.contains("xtask.toml:3:1") && e.contains("seeed"), "{e}");
    }
}
