//! `cargo xtask lint`: naming, history, size and SQL-safety conventions, checked without a
//! database.
//!
//! Every migration file is read and parsed once, in parallel ([`crate::sql::analyse`]). Then
//! each service's history is replayed in order into a [`Catalog`], and the [`rules`] look at
//! each migration and each action with the schema as it stood before it. Findings in files that
//! are out of scope (unchanged since `--since`) are dropped; the others go through the inline
//! [`suppression`]s and come out as [`Finding`]s, which [`render`] prints.
//!
//! The linter takes its settings ([`LintConfig`]) from the caller: reading `xtask.toml` is the
//! job of [`crate::config`], a layer above.

mod config;
mod history;
pub mod render;
pub mod rules;
mod suppression;

pub use config::{
    DEFAULT_MAX_BYTES, DEFAULT_MAX_CLOCK_SKEW, DEFAULT_MAX_STATEMENTS, DEFAULT_MAX_TABLES,
    DEFAULT_POSTGRES_VERSION, LintConfig, RuleLevel,
};
pub use history::{Baseline, same_text};
pub use rules::{REVERT_TODO, RULES, Rule};

use std::ops::Range;
use std::path::Path;

use chrono::NaiveDateTime;
use rayon::prelude::*;
use serde::Serialize;

use crate::error::{Error, Location};
use crate::sql::{Analysis, Catalog};
use crate::workspace::{Migration, Service, Workspace};

use rules::{ActionCx, MigrationCx, Place, RawFinding, ServiceCx, Sink};
use suppression::Suppression;

/// One migration file as the rules see it.
#[derive(Debug)]
pub struct MigrationFile {
    /// The folder name.
    pub name: String,
    /// The file's path relative to the repository root, with `/`.
    pub shown: String,
    pub sql: String,
    pub analysis: Analysis,
    pub suppressions: Vec<Suppression>,
    /// New or changed since `--since` (always, without it): findings are reported.
    pub in_scope: bool,
}

impl MigrationFile {
    pub fn new(name: String, shown: String, sql: String) -> MigrationFile {
        let analysis = crate::sql::analyse(&sql);
        let suppressions = suppression::parse(&sql, &analysis);
        MigrationFile {
            name,
            shown,
            sql,
            analysis,
            suppressions,
            in_scope: true,
        }
    }

    /// The statement holding byte `offset`.
    fn statement_at(&self, offset: usize) -> Option<usize> {
        let statements = &self.analysis.statements;
        let i = statements.partition_point(|s| s.range.start <= offset);
        i.checked_sub(1)
    }
}

pub struct LintOptions {
    /// Only report on migrations added or changed since this git revision, and check history
    /// rules against it.
    pub since: Option<String>,
    /// The current UTC time (a parameter so that tests are stable).
    pub now: NaiveDateTime,
}

impl LintOptions {
    /// Options at the current time.
    pub fn now(since: Option<String>) -> LintOptions {
        LintOptions {
            since,
            now: chrono::Utc::now().naive_utc(),
        }
    }
}

/// A finding, located and leveled.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub rule: &'static str,
    pub level: RuleLevel,
    pub service: String,
    /// Relative to the repository root.
    pub path: String,
    /// 1-based; absent for findings about the whole file.
    pub line: Option<usize>,
    pub column: Option<usize>,
    /// The last character of the range (inclusive).
    pub end_line: Option<usize>,
    pub end_column: Option<usize>,
    pub message: String,
    pub help: String,
    /// Source lines for the human output: (first line number, text, span within text).
    #[serde(skip)]
    pub snippet: Option<(usize, String, Range<usize>)>,
}

#[derive(Debug, Default, Serialize)]
pub struct LintReport {
    pub services: usize,
    /// Migrations checked (in scope).
    pub migrations: usize,
    pub findings: Vec<Finding>,
}

impl LintReport {
    pub fn count(&self, level: RuleLevel) -> usize {
        self.findings.iter().filter(|f| f.level == level).count()
    }
}

/// Lints `services` of the workspace, each with its settings (`configs[i]` for `services[i]`).
pub fn lint(
    ws: &Workspace,
    services: &[Service],
    configs: &[LintConfig],
    options: &LintOptions,
) -> Result<LintReport, Error> {
    assert_eq!(
        services.len(),
        configs.len(),
        "one configuration per service"
    );
    let baselines = match &options.since {
        Some(rev) => Some(history::load(&ws.root, rev, services)?),
        None => None,
    };
    let mut folders = Vec::new();
    for (i, service) in services.iter().enumerate() {
        for (name, dir) in service.migration_dirs()? {
            folders.push((i, name, dir));
        }
    }
    // Reading and parsing is most of the work: spread it over the cores.
    let files = folders
        .into_par_iter()
        .map(|(i, name, dir)| {
            let migration = Migration::load(name, &dir)?;
            let shown = shown_path(&ws.root, &migration.path);
            Ok((i, MigrationFile::new(migration.name, shown, migration.sql)))
        })
        .collect::<Result<Vec<_>, Error>>()?;
    let mut per_service: Vec<Vec<MigrationFile>> = services.iter().map(|_| Vec::new()).collect();
    for (i, mut file) in files {
        let baseline = baselines.as_ref().and_then(|b| b.get(&services[i].name));
        file.in_scope = match baseline {
            Some(b) => b.edited(&file.name, file.sql.as_bytes()) != Some(false),
            None => true,
        };
        per_service[i].push(file);
    }
    let findings: Vec<Vec<Finding>> = services
        .par_iter()
        .zip(per_service.par_iter())
        .zip(configs.par_iter())
        .map(|((service, migrations), config)| {
            let cx = ServiceCx {
                service: &service.name,
                migrations,
                config,
                baseline: baselines.as_ref().and_then(|b| b.get(&service.name)),
                now: options.now,
            };
            lint_service(&cx, &shown_path(&ws.root, &service.migrations_dir()))
        })
        .collect();
    let mut findings: Vec<Finding> = findings.into_iter().flatten().collect();
    findings.sort_by(|a, b| (&a.path, a.line, a.column).cmp(&(&b.path, b.line, b.column)));
    Ok(LintReport {
        services: services.len(),
        migrations: per_service.iter().flatten().filter(|m| m.in_scope).count(),
        findings,
    })
}

/// Runs every active rule over one service's history.
pub fn lint_service(cx: &ServiceCx, migrations_dir: &str) -> Vec<Finding> {
    let active: Vec<&'static dyn Rule> = RULES
        .iter()
        .copied()
        .filter(|r| cx.config.level(*r) != RuleLevel::Off)
        .collect();
    let mut raw = Vec::new();
    let mut catalog = Catalog::default();
    for (index, migration) in cx.migrations.iter().enumerate() {
        let mcx = MigrationCx {
            service: cx,
            index,
            migration,
        };
        if migration.in_scope {
            for &rule in &active {
                rule.check_migration(
                    &mcx,
                    &mut Sink {
                        rule,
                        found: &mut raw,
                    },
                );
            }
        }
        for (statement, s) in migration.analysis.statements.iter().enumerate() {
            for action in &s.actions {
                if migration.in_scope {
                    let acx = ActionCx {
                        migration: &mcx,
                        statement,
                        action,
                        catalog: &catalog,
                    };
                    for &rule in &active {
                        rule.check_action(
                            &acx,
                            &mut Sink {
                                rule,
                                found: &mut raw,
                            },
                        );
                    }
                }
                catalog.apply(&action.kind, index, &action.range);
            }
        }
    }
    for &rule in &active {
        rule.check_service(
            cx,
            &catalog,
            &mut Sink {
                rule,
                found: &mut raw,
            },
        );
    }
    settle(cx, migrations_dir, raw, &active)
}

/// Drops out-of-scope and suppressed findings, reports unused suppressions, and locates the
/// rest.
fn settle(
    cx: &ServiceCx,
    migrations_dir: &str,
    raw: Vec<RawFinding>,
    active: &[&'static dyn Rule],
) -> Vec<Finding> {
    let mut used: Vec<Vec<bool>> = cx
        .migrations
        .iter()
        .map(|m| vec![false; m.suppressions.len()])
        .collect();
    let mut kept = Vec::new();
    for f in raw {
        if let Place::Migration(i) = f.place {
            let m = &cx.migrations[i];
            if !m.in_scope {
                continue;
            }
            if f.rule.suppressible()
                && let Some(k) = suppressing(m, &f)
            {
                used[i][k] = true;
                continue;
            }
        }
        kept.push(f);
    }
    if active.iter().any(|r| r.name() == rules::UNUSED_SUPPRESSION) {
        for (i, m) in cx.migrations.iter().enumerate() {
            if m.in_scope {
                rules::report_unused(cx, i, &used[i], &mut kept);
            }
        }
    }
    kept.into_iter()
        .map(|f| {
            let (path, file) = match &f.place {
                Place::Migration(i) => {
                    let m = &cx.migrations[*i];
                    (m.shown.clone(), Some(m))
                }
                Place::Removed { name } => (format!("{migrations_dir}/{name}/migration.sql"), None),
            };
            locate(cx, f, path, file)
        })
        .collect()
}

/// The suppression (index) that silences `f`, if any.
fn suppressing(m: &MigrationFile, f: &RawFinding) -> Option<usize> {
    let statement = f.range.as_ref().and_then(|r| m.statement_at(r.start));
    m.suppressions.iter().position(|s| {
        let applies = match &f.range {
            Some(_) => s.statement.is_some() && s.statement == statement,
            None => s.file_level,
        };
        applies && s.rules.iter().any(|r| r == f.rule.name())
    })
}

fn locate(cx: &ServiceCx, f: RawFinding, path: String, file: Option<&MigrationFile>) -> Finding {
    let mut finding = Finding {
        rule: f.rule.name(),
        level: cx.config.level(f.rule),
        service: cx.service.to_string(),
        path,
        line: None,
        column: None,
        end_line: None,
        end_column: None,
        message: f.message,
        help: f.help,
        snippet: None,
    };
    if let (Some(range), Some(file)) = (f.range, file) {
        let sql = file.sql.as_bytes();
        let start = Location::of_offset(Path::new(""), sql, range.start);
        // The last character, inclusive (as GitHub's endColumn).
        let end = Location::of_offset(Path::new(""), sql, range.end.max(range.start + 1) - 1);
        finding.line = Some(start.line);
        finding.column = Some(start.column);
        finding.end_line = Some(end.line);
        finding.end_column = Some(end.column);
        finding.snippet = Some(snippet(&file.sql, range, start.line));
    }
    finding
}

/// At most this many source lines are shown under a finding.
const SNIPPET_LINES: usize = 4;

/// The source lines a range covers (at most [`SNIPPET_LINES`]), and the range within them.
fn snippet(sql: &str, range: Range<usize>, line: usize) -> (usize, String, Range<usize>) {
    let start = sql[..range.start].rfind('\n').map_or(0, |i| i + 1);
    let end = range.end.max(range.start);
    // Up to the end of the range's last line, but no more than SNIPPET_LINES lines.
    let range_end = sql[end..].find('\n').map_or(sql.len(), |i| end + i);
    let cap = sql[start..]
        .match_indices('\n')
        .nth(SNIPPET_LINES - 1)
        .map_or(sql.len(), |(i, _)| start + i);
    let cut = range_end.min(cap);
    let text = sql[start..cut].trim_end_matches('\r').to_string();
    let span_start = range.start - start;
    let span_end = (end.min(cut) - start).min(text.len()).max(span_start);
    (line, text, span_start..span_end)
}

fn shown_path(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/")
}
