//! The lint configuration in force for one service: built-in defaults, then the repository's
//! `[lint]`, then the service's.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use crate::config::{FILE_NAME, File, LintSection, RuleLevel, parse_duration};
use crate::error::Error;
use crate::naming;
use crate::source::Service;

use super::rules::Rule;

/// Defaults, documented in README ("Lint").
pub const DEFAULT_POSTGRES_VERSION: u32 = 15;
pub const DEFAULT_MAX_STATEMENTS: usize = 50;
pub const DEFAULT_MAX_BYTES: usize = 64 * 1024;
pub const DEFAULT_MAX_TABLES: usize = 5;
pub const DEFAULT_MAX_CLOCK_SKEW: Duration = Duration::from_secs(10 * 60);

#[derive(Debug, Clone)]
pub struct LintConfig {
    pub postgres_version: u32,
    pub vague_words: Vec<String>,
    pub max_clock_skew: Duration,
    pub max_statements: usize,
    pub max_bytes: usize,
    pub max_tables: usize,
    pub exempt_first_migration: bool,
    pub levels: HashMap<String, RuleLevel>,
}

impl std::default::Default for LintConfig {
    fn default() -> LintConfig {
        LintConfig {
            postgres_version: DEFAULT_POSTGRES_VERSION,
            vague_words: naming::default_vague_words(),
            max_clock_skew: DEFAULT_MAX_CLOCK_SKEW,
            max_statements: DEFAULT_MAX_STATEMENTS,
            max_bytes: DEFAULT_MAX_BYTES,
            max_tables: DEFAULT_MAX_TABLES,
            exempt_first_migration: true,
            levels: HashMap::new(),
        }
    }
}

impl LintConfig {
    /// The level of `rule`: configured, else the rule's default.
    pub fn level(&self, rule: &dyn Rule) -> RuleLevel {
        self.levels
            .get(rule.name())
            .copied()
            .unwrap_or(rule.default_level())
    }

    /// The configuration of `service`: the repository's file, overridden by the service's.
    pub fn load(root: &Path, service: &Service) -> Result<LintConfig, Error> {
        let repo_path = root.join(FILE_NAME);
        let own_path = service.dir.join(FILE_NAME);
        let repo = File::read(&repo_path)?;
        let own = File::read(&own_path)?;
        let mut config = LintConfig::default();
        if let Some(major) = own
            .verify
            .postgres_version
            .or(repo.verify.postgres_version)
            .and_then(|v| v.split('.').next()?.parse().ok())
        {
            config.postgres_version = major;
        }
        config.apply(&repo.lint, &repo_path)?;
        config.apply(&own.lint, &own_path)?;
        Ok(config)
    }

    fn apply(&mut self, section: &LintSection, path: &Path) -> Result<(), Error> {
        let bad = |key: &str, why: String| {
            Error::Config(format!("{}: [lint] {key}: {why}", path.display()))
        };
        if let Some(v) = section.postgres_version {
            if !(9..=30).contains(&v) {
                return Err(bad(
                    "postgres_version",
                    format!("{v} is not a PostgreSQL major version (e.g. 15)"),
                ));
            }
            self.postgres_version = v;
        }
        if let Some(words) = &section.vague_words {
            self.vague_words = words.iter().map(|w| w.to_lowercase()).collect();
        }
        if let Some(words) = &section.extra_vague_words {
            self.vague_words
                .extend(words.iter().map(|w| w.to_lowercase()));
        }
        if let Some(skew) = &section.max_clock_skew {
            self.max_clock_skew = parse_duration(skew).map_err(|e| bad("max_clock_skew", e))?;
        }
        for (key, value, field) in [
            (
                "max_statements",
                section.max_statements,
                &mut self.max_statements,
            ),
            ("max_bytes", section.max_bytes, &mut self.max_bytes),
            ("max_tables", section.max_tables, &mut self.max_tables),
        ] {
            if let Some(v) = value {
                if v == 0 {
                    return Err(bad(key, "must be at least 1; turn the rule off with [lint.rules] migration-size = \"off\"".into()));
                }
                *field = v;
            }
        }
        if let Some(v) = section.exempt_first_migration {
            self.exempt_first_migration = v;
        }
        for (rule, level) in &section.rules {
            self.levels.insert(rule.get_ref().clone(), *level);
        }
        Ok(())
    }
}
