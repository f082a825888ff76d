//! The settings lint checks a service with, and their defaults. The configuration file
//! (`xtask.toml`, read by [`crate::config`], which sits above the linter) overrides them.

use std::collections::HashMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::rules::Rule;
use crate::workspace::naming;

/// How a lint rule's findings count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleLevel {
    /// Printed, and the exit code is 1.
    Error,
    /// Printed; the exit code stays 0.
    Warning,
    /// Not checked.
    Off,
}

/// Defaults, documented in docs/commands.md (`cargo xtask lint`).
pub(crate) const DEFAULT_POSTGRES_VERSION: u32 = 15;
pub(crate) const DEFAULT_MAX_STATEMENTS: usize = 50;
pub(crate) const DEFAULT_MAX_BYTES: usize = 64 * 1024;
pub(crate) const DEFAULT_MAX_TABLES: usize = 5;
pub(crate) const DEFAULT_MAX_CLOCK_SKEW: Duration = Duration::from_secs(10 * 60);

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
    /// `lint --accept-history`: migrations up to and including this one (byte order of
    /// names) are history: only the history rules judge them.
    pub accepted_through: Option<String>,
    /// `[[lint.allow]]`: findings of a rule in a migration, allowed without touching its file.
    pub allows: Vec<Allow>,
}

/// A finding allowed from configuration: `rule` in `migration`, for `reason`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Allow {
    pub migration: String,
    pub rule: String,
    pub reason: String,
}

/// The rules about history itself (edited, removed, out-of-order, duplicate timestamps):
/// they judge accepted migrations too.
pub(crate) const HISTORY_RULES: &[&str] = &[
    "edited-migration",
    "removed-migration",
    "out-of-order",
    "duplicate-timestamp",
];

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
            accepted_through: None,
            allows: Vec::new(),
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
}
