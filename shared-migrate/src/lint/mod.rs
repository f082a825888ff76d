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

mod cache;
mod config;
mod history;
pub(crate) mod render;
pub(crate) mod rules;
pub(crate) mod suppression;
pub use config::RuleLevel;
pub(crate) use config::{Allow, LintConfig};

pub(crate) use config::{DEFAULT_POSTGRES_VERSION, HISTORY_RULES};
pub(crate) use history::load as load_baseline;
pub(crate) use rules::REVERT_TODO;
pub use rules::{RULES, Rule};

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
    /// A squash's: the migrations it replaced (its SQL is pg_dump's, proved when written, and
    /// changes no database that applied them: no rule reports on it).
    pub replaces: Vec<String>,
}

impl MigrationFile {
    pub fn new(name: String, shown: String, sql: String) -> MigrationFile {
        let analysis = crate::sql::analyse(&sql);
        MigrationFile::analysed(name, shown, sql, analysis)
    }

    fn analysed(name: String, shown: String, sql: String, analysis: Analysis) -> MigrationFile {
        let suppressions = suppression::parse(&sql, &analysis);
        MigrationFile {
            name,
            shown,
            sql,
            analysis,
            suppressions,
            in_scope: true,
            replaces: Vec::new(),
        }
    }

    /// The statement holding byte `offset`.
    fn statement_at(&self, offset: usize) -> Option<usize> {
        let statements = &self.analysis.statements;
        let i = statements.partition_point(|s| s.range.start <= offset);
        i.checked_sub(1)
    }
}

/// How `lint` runs.
pub struct LintOptions {
    /// Only report on migrations added or changed since this git revision, and check history
    /// rules against it.
    pub since: Option<String>,
    /// The current UTC time (a parameter so that tests are stable).
    pub now: NaiveDateTime,
    /// Where analyses are cached between runs ([`Workspace::lint_cache`]); None: no cache.
    pub cache: Option<std::path::PathBuf>,
}

impl LintOptions {
    /// Options at the current time, without a cache.
    pub fn now(since: Option<String>) -> LintOptions {
        LintOptions {
            since,
            now: chrono::Utc::now().naive_utc(),
            cache: None,
        }
    }

    /// The same, with analyses cached in `dir`.
    pub fn cached(self, dir: Option<std::path::PathBuf>) -> LintOptions {
        LintOptions { cache: dir, ..self }
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
/// What `lint` found over the services it read.
pub struct LintReport {
    /// Services read.
    pub services: usize,
    /// Migrations checked (in scope).
    pub migrations: usize,
    /// The findings, in service, file and line order.
    pub findings: Vec<Finding>,
}

impl LintReport {
    /// Findings at `level`.
    pub fn count(&self, level: RuleLevel) -> usize {
        self.findings.iter().filter(|f| f.level == level).count()
    }
}

/// Lints `services` of the workspace, each with its settings (`configs[i]` for `services[i]`).
///
/// With a cache ([`LintOptions::cache`]), a service whose files, configuration and rules are
/// those of an earlier run gets that run's findings back, and every file analysed before gets
/// its analysis back ([`cache`]); without `--since` only, which compares with git.
pub(crate) fn lint(
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
    let mut counts = vec![0; services.len()];
    for (i, service) in services.iter().enumerate() {
        for (name, dir) in service.migration_dirs()? {
            folders.push((i, name, dir));
            counts[i] += 1;
        }
    }
    let cache = options.cache.as_deref();
    // The findings of a history whose files nobody touched since a run that kept them: by the
    // files' metadata, without reading one (a tenth of the time of reading and checksumming
    // 10,000 of them).
    let findings_cache = cache.filter(|_| baselines.is_none());
    let quick: Vec<Option<String>> = match findings_cache {
        None => vec![None; services.len()],
        Some(_) => {
            let stamps: Vec<(&str, String)> = folders
                .par_iter()
                .map(|(_, name, dir)| {
                    let stamps = format!(
                        "{}\0{}",
                        cache::stamp(&dir.join("migration.sql")),
                        cache::stamp(&dir.join(crate::workspace::SQUASH_FILE))
                    );
                    (name.as_str(), stamps)
                })
                .collect();
            // The folders are in service order: each service's are the next `counts[i]`.
            let mut rest = stamps.as_slice();
            services
                .iter()
                .zip(configs)
                .zip(&counts)
                .map(|((service, config), &count)| {
                    let (own, next) = rest.split_at(count);
                    rest = next;
                    let files = own.iter().map(|(name, s)| (*name, s.as_str()));
                    Some(cache::Findings::quick_key(
                        &service.migrations_dir(),
                        config,
                        files,
                    ))
                })
                .collect()
        }
    };
    let quick_known: Vec<Option<Vec<Finding>>> = services
        .iter()
        .zip(&quick)
        .map(|(service, quick)| {
            let found = cache::Findings::by_quick_key(
                findings_cache?,
                &service.migrations_dir(),
                quick.as_deref()?,
            )?;
            found.get()
        })
        .collect();
    // Reading and checksumming every file of the other services, on every core.
    let loaded = folders
        .into_par_iter()
        .filter(|(i, ..)| quick_known[*i].is_none())
        .map(|(i, name, dir)| Ok((i, Migration::load(name, &dir)?)))
        .collect::<Result<Vec<_>, Error>>()?;
    let mut per_service: Vec<Vec<Migration>> = services.iter().map(|_| Vec::new()).collect();
    for (i, m) in loaded {
        per_service[i].push(m);
    }
    let remembered: Vec<Option<cache::Findings>> = services
        .iter()
        .zip(configs)
        .zip(&per_service)
        .zip(&quick_known)
        .map(|(((service, config), migrations), quick_known)| {
            if quick_known.is_some() {
                return None;
            }
            let files = migrations
                .iter()
                .map(|m| (m.name.as_str(), m.checksum.as_str()));
            Some(cache::Findings::new(
                findings_cache?,
                &service.migrations_dir(),
                config,
                files,
            ))
        })
        .collect();
    let known: Vec<Option<Vec<Finding>>> = remembered
        .iter()
        .zip(quick_known)
        .map(|(r, quick_known)| quick_known.or_else(|| r.as_ref().and_then(cache::Findings::get)))
        .collect();
    // Findings read under the checksums' key: the quick key leads to them next time.
    for (((service, r), known), quick) in services.iter().zip(&remembered).zip(&known).zip(&quick) {
        if let (Some(r), Some(_), Some(dir), Some(quick)) = (r, known, findings_cache, quick) {
            r.index(dir, &service.migrations_dir(), quick);
        }
    }
    let Analysed {
        mut files,
        checksums,
        packs,
    } = analyse(ws, services, per_service, &known, cache);
    for (service, files) in services.iter().zip(&mut files) {
        let baseline = baselines.as_ref().and_then(|b| b.get(&service.name));
        for file in files {
            file.in_scope = file.replaces.is_empty()
                && match baseline {
                    Some(b) => b.edited(&file.name, file.sql.as_bytes()) != Some(false),
                    None => true,
                };
        }
    }
    // The packs are written while the rules run: a history's rules take one core.
    let results: Vec<(Vec<Finding>, usize)> = std::thread::scope(|scope| {
        let files = &files;
        scope.spawn(|| Analysed::save_packs(packs, files, &checksums));
        services
            .par_iter()
            .zip(files.par_iter())
            .zip(configs.par_iter())
            .zip(known)
            .zip(remembered)
            .zip(counts)
            .zip(quick.par_iter())
            .map(
                |((((((service, migrations), config), known), remembered), count), quick)| {
                    if let Some(found) = known {
                        return (found, count);
                    }
                    let cx = ServiceCx {
                        service: &service.name,
                        migrations,
                        config,
                        baseline: baselines.as_ref().and_then(|b| b.get(&service.name)),
                        now: options.now,
                    };
                    let found = lint_service(&cx, &shown_path(&ws.root, &service.migrations_dir()));
                    // A date in the future is told with the current time: not a finding to keep.
                    if let Some(r) = remembered
                        && !found.iter().any(|f| f.rule == rules::MIGRATION_TIMESTAMP)
                    {
                        r.save(&found);
                        if let (Some(dir), Some(quick)) = (findings_cache, quick.as_deref()) {
                            r.index(dir, &service.migrations_dir(), quick);
                        }
                    }
                    (found, migrations.iter().filter(|m| m.in_scope).count())
                },
            )
            .collect()
    });
    let migrations = results.iter().map(|(_, n)| n).sum();
    let mut findings: Vec<Finding> = results.into_iter().flat_map(|(f, _)| f).collect();
    findings.sort_by(|a, b| (&a.path, a.line, a.column).cmp(&(&b.path, b.line, b.column)));
    Ok(LintReport {
        services: services.len(),
        migrations,
        findings,
    })
}

/// The files of the services whose findings are not `known`, analysed: from the cache's packs
/// where it has them, else parsed, on every core (the packs are then brought up to date).
/// Services whose findings are known get no files.
fn analyse(
    ws: &Workspace,
    services: &[Service],
    per_service: Vec<Vec<Migration>>,
    known: &[Option<Vec<Finding>>],
    cache: Option<&Path>,
) -> Analysed {
    let mut packs: Vec<Option<cache::Pack>> = services
        .iter()
        .zip(known)
        .map(|(s, k)| match (cache, k) {
            (Some(dir), None) => Some(cache::Pack::open(dir, &s.migrations_dir())),
            _ => None,
        })
        .collect();
    let mut work = Vec::new();
    for (i, migrations) in per_service.into_iter().enumerate() {
        if known[i].is_some() {
            continue;
        }
        for m in migrations {
            let cached = packs[i].as_mut().and_then(|p| p.take(&m.checksum));
            work.push((i, m, cached));
        }
    }
    // Parsing is most of the work: spread it over the cores.
    let analysed: Vec<(usize, String, MigrationFile)> = work
        .into_par_iter()
        .map(|(i, m, cached)| {
            let analysis = cached.unwrap_or_else(|| crate::sql::analyse(&m.sql));
            let shown = shown_path(&ws.root, &m.path);
            let mut file = MigrationFile::analysed(m.name, shown, m.sql, analysis);
            file.replaces = m.replaces.into_iter().map(|r| r.name).collect();
            (i, m.checksum, file)
        })
        .collect();
    let mut files: Vec<Vec<MigrationFile>> = services.iter().map(|_| Vec::new()).collect();
    let mut checksums: Vec<Vec<String>> = services.iter().map(|_| Vec::new()).collect();
    for (i, checksum, file) in analysed {
        files[i].push(file);
        checksums[i].push(checksum);
    }
    Analysed {
        files,
        checksums,
        packs,
    }
}

/// What [`analyse`] gives back: each service's files, their checksums, and the packs to bring
/// up to date with them.
struct Analysed {
    files: Vec<Vec<MigrationFile>>,
    checksums: Vec<Vec<String>>,
    packs: Vec<Option<cache::Pack>>,
}

impl Analysed {
    /// Writes the packs (their analyses as JSON: a tenth of a cold lint of a long history).
    fn save_packs(
        packs: Vec<Option<cache::Pack>>,
        files: &[Vec<MigrationFile>],
        checksums: &[Vec<String>],
    ) {
        for ((pack, files), checksums) in packs.into_iter().zip(files).zip(checksums) {
            if let Some(pack) = pack {
                pack.save(
                    checksums
                        .iter()
                        .map(String::as_str)
                        .zip(files.iter().map(|f| &f.analysis)),
                );
            }
        }
    }
}

/// Runs every active rule over one service's history.
pub(crate) fn lint_service(cx: &ServiceCx, migrations_dir: &str) -> Vec<Finding> {
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
    let accepted = |m: &MigrationFile| {
        cx.config
            .accepted_through
            .as_ref()
            .is_some_and(|through| m.name.as_str() <= through.as_str())
    };
    for f in raw {
        if let Place::Migration(i) = f.place {
            let m = &cx.migrations[i];
            if !m.in_scope {
                continue;
            }
            // Accepted history: only the history rules still judge it.
            if accepted(m) && !HISTORY_RULES.contains(&f.rule.name()) {
                continue;
            }
            if cx
                .config
                .allows
                .iter()
                .any(|a| a.migration == m.name && a.rule == f.rule.name())
            {
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
            if m.in_scope && !accepted(m) {
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
