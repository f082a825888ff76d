//! Configuration: `xtask.toml` at the repository root, overridden per service by
//! `services/<svc>/xtask.toml`. Both optional. Unknown keys are errors naming file and line.

use std::path::Path;
use std::time::Duration;

use serde::Deserialize;

use crate::error::Error;
use crate::source::Service;

pub const FILE_NAME: &str = "xtask.toml";

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct File {
    #[serde(default)]
    pub verify: VerifySection,
    #[serde(default)]
    pub lint: LintSection,
}

/// `[lint]`: conventions `cargo xtask lint` enforces. A service's file overrides the
/// repository's key by key (and rule by rule in `[lint.rules]`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LintSection {
    /// PostgreSQL major version the migrations run on (some rewrites depend on it). Default:
    /// the major of `[verify] postgres_version`, else 15.
    pub postgres_version: Option<u32>,
    /// Words that do not describe a change; a name made only of these is refused. Replaces the
    /// built-in list.
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
    pub rules: std::collections::BTreeMap<toml::Spanned<String>, RuleLevel>,
}

/// How a lint rule's findings count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleLevel {
    /// Printed, and the exit code is 1.
    Error,
    /// Printed; the exit code stays 0.
    Warning,
    /// Not checked.
    Off,
}

/// `[verify]`: how `cargo xtask verify` seeds and tests a service.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifySection {
    /// The seed command, an argument list run without a shell in the service's directory.
    /// Default: run `prisma/seed.sql` if it exists.
    pub seed: Option<Vec<String>>,
    /// The test command, an argument list run without a shell in the service's directory,
    /// with DATABASE_URL and PG* pointing at the throwaway database. Default: no tests.
    pub test: Option<Vec<String>>,
    /// Time limit of each step (migrate, seed, test), e.g. "5m". Default 10m.
    pub timeout: Option<String>,
    /// PostgreSQL major version of the docker backend's default image. Default 15.
    pub postgres_version: Option<String>,
    /// Full image reference for the docker backend (overrides postgres_version).
    pub image: Option<String>,
}

/// The configuration in force for one service.
#[derive(Debug, Clone)]
pub struct VerifyConfig {
    pub seed: Option<Vec<String>>,
    pub test: Option<Vec<String>>,
    pub timeout: Duration,
    pub image: String,
}

impl File {
    /// Reads a configuration file; a missing file is the default configuration.
    pub fn read(path: &Path) -> Result<File, Error> {
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(File::default()),
            Err(e) => return Err(Error::io(path, e)),
        };
        let text = crate::error::utf8_text(path, bytes)?;
        let file: File = toml::from_str(&text).map_err(|e| {
            let (line, col) = line_col(&text, e.span().map_or(0, |s| s.start));
            Error::Config(format!("{}:{line}:{col}: {}", path.display(), e.message()))
        })?;
        file.check_rule_names(path, &text)?;
        Ok(file)
    }

    /// A rule level for a rule that does not exist is a typo that would silently do nothing.
    fn check_rule_names(&self, path: &Path, text: &str) -> Result<(), Error> {
        for key in self.lint.rules.keys() {
            if crate::lint::rules::find(key.get_ref()).is_none() {
                let (line, col) = line_col(text, key.span().start);
                return Err(Error::Config(format!(
                    "{}:{line}:{col}: unknown lint rule `{}` in [lint.rules]; `cargo xtask lint --list-rules` lists them",
                    path.display(),
                    key.get_ref()
                )));
            }
        }
        Ok(())
    }
}

/// 1-based line and column (in characters) of byte `offset` of `text`.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    (
        before.matches('\n').count() + 1,
        before.rsplit('\n').next().unwrap_or("").chars().count() + 1,
    )
}

/// The verify configuration of `service`: the repository file, overridden by the service's.
pub fn verify_config(root: &Path, service: &Service) -> Result<VerifyConfig, Error> {
    let repo = File::read(&root.join(FILE_NAME))?.verify;
    let own_path = service.dir.join(FILE_NAME);
    let own = File::read(&own_path)?.verify;
    let timeout_text = own.timeout.or(repo.timeout);
    let timeout = match &timeout_text {
        Some(t) => parse_duration(t)
            .map_err(|e| Error::Config(format!("{}: [verify] timeout: {e}", own_path.display())))?,
        None => Duration::from_secs(600),
    };
    let version = own
        .postgres_version
        .or(repo.postgres_version)
        .unwrap_or_else(|| "15".into());
    let image = own
        .image
        .or(repo.image)
        .unwrap_or_else(|| format!("postgres:{version}"));
    for (what, cmd) in [("seed", &own.seed), ("test", &own.test)] {
        if cmd.as_ref().is_some_and(|c| c.is_empty()) {
            return Err(Error::Config(format!(
                "{}: [verify] {what} is an empty list: give the program and its arguments, e.g. [\"npm\", \"test\"]",
                own_path.display()
            )));
        }
    }
    Ok(VerifyConfig {
        seed: own.seed.or(repo.seed),
        test: own.test.or(repo.test),
        timeout,
        image,
    })
}

/// Parses a duration such as `10s`, `2m`, `500ms` or `30` (seconds).
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(s.len());
    let (number, unit) = s.split_at(split);
    let n: f64 = number
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a duration: write e.g. 10s, 2m or 500ms"))?;
    let secs = match unit {
        "" | "s" => n,
        "ms" => n / 1000.0,
        "m" | "min" => n * 60.0,
        "h" => n * 3600.0,
        _ => return Err(format!("unknown unit `{unit}` in `{s}`: use ms, s, m or h")),
    };
    if !(0.0..=7.0 * 86_400.0).contains(&secs) {
        return Err(format!("`{s}` is out of range"));
    }
    Ok(Duration::from_secs_f64(secs))
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

    #[test]
    fn durations() {
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("30"), Ok(Duration::from_secs(30)));
        assert!(parse_duration("ten").is_err() && parse_duration("5y").is_err());
    }
}
