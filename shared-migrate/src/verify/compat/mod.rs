//! `verify --compat REV`: while a deploy rolls out, the code already running (REV's) must keep
//! working against the migrated schema. For a service with migrations added since REV, REV's
//! own seed and tests run (from a checkout of REV, its dependencies installed from its lockfile
//! and kept for the next run) against a throwaway database built from REV's migrations, then
//! again with the new migrations applied: a test that passed on REV's schema and fails on the
//! new one breaks the deploy. The migration that broke it is found by applying the new ones one
//! at a time; each new migration is then expand-safe (the old code passes) or contract (it
//! fails), the guide's zero-downtime steps as evidence. Tests that fail on REV's own schema are
//! reported apart, not blamed. Which test failed is read from the runner's output ([`results`]).

mod results;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::{Backend, Database};
use crate::config::{self, VerifyConfig};
use crate::db::DatabaseUrl;
use crate::error::Error;
use crate::migrate::{self, MigrateOptions};
use crate::seed;
use crate::workspace::{Service, Workspace, git};

/// What a new migration is to the code already running.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CompatVerdict {
    /// REV's tests pass with it applied: deploy it before the code that needs it.
    ExpandSafe,
    /// It breaks REV's tests: deploy it after the code that no longer needs what it changes.
    Contract,
    /// REV's tests fail on REV's own schema as a whole: nothing can be told.
    Unknown,
}

impl CompatVerdict {
    pub fn label(self) -> &'static str {
        match self {
            CompatVerdict::ExpandSafe => "expand-safe",
            CompatVerdict::Contract => "CONTRACT",
            CompatVerdict::Unknown => "unknown",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct MigrationVerdict {
    pub name: String,
    pub verdict: CompatVerdict,
    /// REV's tests (or seed) that pass before it and fail once it is applied.
    pub broke: Vec<String>,
    /// Lint's rules that fire on it: what kind of change it is.
    pub rules: Vec<String>,
}

/// `verify --compat REV` for one service.
#[derive(Debug, Clone, Serialize)]
pub struct CompatReport {
    /// As given (`origin/main`).
    pub rev: String,
    /// Its commit, abbreviated.
    pub commit: String,
    /// The migrations added since REV, in the order a deploy applies them.
    pub migrations: Vec<MigrationVerdict>,
    /// REV's tests that fail on REV's own schema: not blamed.
    pub already_failing: Vec<String>,
    /// How tests were told apart: `tap`, `spec` (named from the runner's output) or `suite`
    /// (its exit status only).
    pub read_as: &'static str,
    /// What REV's seed and tests are.
    pub seed: Option<String>,
    pub tests: String,
    /// Databases built and tested.
    pub runs: usize,
    /// Installing REV's dependencies (None: installed by an earlier run, kept).
    pub install: Option<String>,
    pub millis: u128,
}

impl CompatReport {
    pub fn broken(&self) -> bool {
        self.migrations
            .iter()
            .any(|m| m.verdict == CompatVerdict::Contract)
    }
}

/// The service's migrations added since REV, or why the check does not apply.
pub(crate) enum Applies {
    Skip(String),
    Check {
        rev: String,
        commit: String,
        added: Vec<String>,
    },
}

/// Whether the service has migrations REV does not (and exists on REV).
pub(crate) fn applies(ws: &Workspace, service: &Service, rev: &str) -> Result<Applies, Error> {
    let commit = git::commit(&ws.root, "--compat", rev, "verify without --compat")?;
    let rel = service
        .dir
        .strip_prefix(&ws.root)
        .unwrap_or(&service.dir)
        .to_string_lossy()
        .replace('\\', "/");
    let listed = git::output(
        &ws.root,
        &["ls-tree", "-d", "--name-only", &commit, "--", &rel],
    )?;
    if String::from_utf8_lossy(&listed).trim().is_empty() {
        return Ok(Applies::Skip(format!(
            "the service is new since {rev}: no code of it is running yet"
        )));
    }
    let on_rev = crate::lint::load_baseline(&ws.root, rev, std::slice::from_ref(service))?;
    let known = on_rev.get(&service.name).map(|b| &b.migrations);
    let added: Vec<String> = service
        .migrations()?
        .into_iter()
        .map(|m| m.name)
        .filter(|n| known.is_none_or(|k| !k.contains_key(n)))
        .collect();
    if added.is_empty() {
        return Ok(Applies::Skip(format!("no migrations added since {rev}")));
    }
    Ok(Applies::Check {
        rev: rev.to_string(),
        commit,
        added,
    })
}

/// One database built and tested: REV's migrations, the first `applied` new ones, REV's seed
/// and tests.
struct Outcome {
    /// REV's seed failed: why.
    seed_failed: Option<String>,
    tests: BTreeMap<String, bool>,
    suite_passed: bool,
    output: String,
}

impl Outcome {
    /// What failed: the seed, the named tests, or the suite as a whole.
    fn failing(&self, tests: &str) -> BTreeSet<String> {
        if self.seed_failed.is_some() {
            return BTreeSet::from(["REV's seed".to_string()]);
        }
        if !self.tests.is_empty() {
            return self
                .tests
                .iter()
                .filter(|(_, passed)| !**passed)
                .map(|(name, _)| name.clone())
                .collect();
        }
        match self.suite_passed {
            true => BTreeSet::new(),
            false => BTreeSet::from([format!("the suite ({tests})")]),
        }
    }
}

/// Everything a run needs.
struct Check<'a> {
    service: &'a Service,
    rev_ws: Workspace,
    rev_service: Service,
    backend: &'a dyn Backend,
    config: &'a VerifyConfig,
    seed: Option<seed::Found>,
    tests: seed::Found,
    forget: &'a [String],
    timeout: Duration,
    added: &'a [String],
}

impl Check<'_> {
    fn run(&self, applied: usize) -> Result<Outcome, String> {
        let db: Box<dyn Database> = self
            .backend
            .provision(&self.service.name, self.config)
            .map_err(|e| e.to_string())?;
        let url: &DatabaseUrl = db.url();
        let quiet = |_: &str, _: &str| {};
        let rev = migrate::migrate_service(
            &self.rev_service,
            Ok(url.clone()),
            &MigrateOptions::default(),
            &quiet,
        );
        rev.result
            .map_err(|e| format!("REV's own migrations do not apply: {e}"))?;
        if applied > 0 {
            let options = MigrateOptions {
                to: Some(self.added[applied - 1].clone()),
                ..MigrateOptions::default()
            };
            let new = migrate::migrate_service(self.service, Ok(url.clone()), &options, &quiet);
            new.result.map_err(|e| e.to_string())?;
        }
        let ws = &self.rev_ws;
        if let Some(seed) = &self.seed
            && let Err((why, output)) =
                seed::run_captured(ws, &self.rev_service, seed, url, self.forget, self.timeout)
        {
            // The line that says what went wrong, rather than the command's exit status.
            let said = output
                .lines()
                .map(str::trim)
                .find(|l| l.to_ascii_lowercase().contains("error"))
                .map_or_else(|| first_line(&why).to_string(), str::to_string);
            return Ok(Outcome {
                seed_failed: Some(said),
                tests: BTreeMap::new(),
                suite_passed: false,
                output: String::new(),
            });
        }
        let (suite_passed, output) = match seed::run_captured(
            ws,
            &self.rev_service,
            &self.tests,
            url,
            self.forget,
            self.timeout,
        ) {
            Ok(output) => (true, output.unwrap_or_default()),
            Err((_, output)) => (false, output),
        };
        Ok(Outcome {
            seed_failed: None,
            tests: results::parse(&output),
            suite_passed,
            output,
        })
    }
}

/// Runs REV's seed and tests on REV's schema and on the new one; blames each test that broke on
/// the new migration that broke it.
pub(crate) fn check(
    ws: &Workspace,
    service: &Service,
    backend: &dyn Backend,
    config: &VerifyConfig,
    forget: &[String],
    (rev, commit, added): (&str, &str, &[String]),
    progress: &dyn Fn(&str),
) -> Result<CompatReport, String> {
    let started = Instant::now();
    let dir = checkout(ws, commit).map_err(|e| e.to_string())?;
    let rev_ws = Workspace::new(&dir);
    let rev_service = rev_ws
        .select(std::slice::from_ref(&service.name))
        .map_err(|e| format!("the service on {rev}: {e}"))?
        .remove(0);
    let rev_config =
        config::verify_config(&rev_ws.root, &rev_service).map_err(|e| e.to_string())?;
    let seed_found = seed::find_seed(&rev_service, &rev_config).map_err(|e| e.to_string())?;
    let Some(tests) =
        seed::find_tests(&rev_ws, &rev_service, &rev_config).map_err(|e| e.to_string())?
    else {
        return Err(format!(
            "the service has no tests on {rev} to run against the new schema: {}",
            seed::no_tests(&rev_service)
        ));
    };
    progress(&format!("compat: installing the dependencies of {rev}"));
    let install = seed::install_dependencies(&rev_ws, &rev_service, rev_config.timeout, progress)?;
    let check = Check {
        service,
        rev_ws,
        rev_service,
        backend,
        config,
        seed: seed_found.clone(),
        tests: tests.clone(),
        forget,
        timeout: rev_config.timeout,
        added,
    };
    let what = tests.describe();
    progress(&format!("compat: {rev}'s tests on {rev}'s schema"));
    let before = check.run(0)?;
    let already = before.failing(&what);
    let n = added.len();
    progress(&format!(
        "compat: {rev}'s tests with the {} applied",
        crate::text::plural(n, "new migration")
    ));
    let mut runs = 2;
    let after = check.run(n)?;
    let suite_only = before.tests.is_empty() && after.tests.is_empty();
    let mut verdicts: Vec<MigrationVerdict> = added
        .iter()
        .map(|name| MigrationVerdict {
            name: name.clone(),
            verdict: CompatVerdict::ExpandSafe,
            broke: Vec::new(),
            rules: Vec::new(),
        })
        .collect();
    if suite_only && before.seed_failed.is_none() && !before.suite_passed {
        for v in &mut verdicts {
            v.verdict = CompatVerdict::Unknown;
        }
    } else {
        let newly = |o: &Outcome| -> BTreeSet<String> {
            o.failing(&what).difference(&already).cloned().collect()
        };
        let last = newly(&after);
        if !last.is_empty() {
            // Which one broke them: the new migrations applied one at a time.
            let mut blamed: BTreeSet<String> = BTreeSet::new();
            for (k, v) in verdicts.iter_mut().enumerate() {
                let now = if k + 1 == n {
                    last.clone()
                } else {
                    progress(&format!("compat: {rev}'s tests up to {}", v.name));
                    runs += 1;
                    newly(&check.run(k + 1)?)
                };
                v.broke = now.difference(&blamed).cloned().collect();
                if !v.broke.is_empty() {
                    v.verdict = CompatVerdict::Contract;
                }
                blamed.extend(now);
            }
        }
        if let Some(why) = &after.seed_failed
            && let Some(v) = verdicts
                .iter_mut()
                .find(|v| v.broke.iter().any(|b| b == "REV's seed"))
        {
            v.broke = v
                .broke
                .iter()
                .map(|b| match b.as_str() {
                    "REV's seed" => format!(
                        "{rev}'s seed {} ({why}; its tests were not run)",
                        seed_found.as_ref().map_or(String::new(), |s| s.describe())
                    ),
                    _ => b.clone(),
                })
                .collect();
        }
    }
    // The kind of change, as lint names it.
    let found = crate::commands::lint_services(
        ws,
        std::slice::from_ref(service),
        &crate::lint::LintOptions::now(Some(rev.to_string())),
    );
    if let Ok(found) = found {
        for v in &mut verdicts {
            let here = format!("/{}/", v.name);
            let mut rules: Vec<String> = found
                .findings
                .iter()
                .filter(|f| f.path.contains(&here))
                .map(|f| f.rule.to_string())
                .collect();
            rules.sort();
            rules.dedup();
            v.rules = rules;
        }
    }
    Ok(CompatReport {
        rev: rev.to_string(),
        commit: commit[..12.min(commit.len())].to_string(),
        migrations: verdicts,
        already_failing: already.into_iter().collect(),
        read_as: if suite_only {
            "suite"
        } else if before.output.contains("TAP version") || after.output.contains("TAP version") {
            "tap"
        } else {
            "spec"
        },
        seed: seed_found.map(|s| s.describe()),
        tests: what,
        runs,
        install,
        millis: started.elapsed().as_millis(),
    })
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or(s)
}

/// REV's files, from `git archive`, in the user's cache (`$XDG_CACHE_HOME/xtask/compat`, else
/// `~/.cache/xtask/compat`, a folder per repository and per commit): made once, then kept with
/// the dependencies installed in it (cached per REV, and so per lockfile). Outside the
/// repository, so that no test runner of the repository finds REV's tests as its own. Checkouts
/// unused for two weeks are removed.
fn checkout(ws: &Workspace, commit: &str) -> Result<PathBuf, Error> {
    static MAKING: Mutex<()> = Mutex::new(());
    let _one_at_a_time = MAKING.lock().unwrap_or_else(|p| p.into_inner());
    let repo = {
        use sha2::Digest;
        let root = std::fs::canonicalize(&ws.root).unwrap_or_else(|_| ws.root.clone());
        hex::encode(sha2::Sha256::digest(root.to_string_lossy().as_bytes()))[..12].to_string()
    };
    let parent = cache_dir().join("compat").join(repo);
    sweep(&parent);
    let dir = parent.join(&commit[..12.min(commit.len())]);
    let done = dir.join(".xtask-complete");
    if done.is_file() {
        let _ = std::fs::write(&done, commit);
        return Ok(dir);
    }
    let partial = dir.with_extension(format!("partial-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&partial);
    std::fs::create_dir_all(&partial).map_err(|e| Error::io(&partial, e))?;
    extract(&ws.root, commit, &partial)?;
    std::fs::write(partial.join(".xtask-complete"), commit).map_err(|e| Error::io(&partial, e))?;
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::rename(&partial, &dir).map_err(|e| Error::io(&dir, e))?;
    Ok(dir)
}

/// `$XDG_CACHE_HOME/xtask`, else `~/.cache/xtask`, else the temporary directory's.
fn cache_dir() -> PathBuf {
    let from = |var: &str| {
        std::env::var_os(var)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    from("XDG_CACHE_HOME")
        .or_else(|| from("HOME").map(|h| h.join(".cache")))
        .unwrap_or_else(std::env::temp_dir)
        .join("xtask")
}

/// Removes the checkouts of `parent` not used for two weeks.
fn sweep(parent: &Path) {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    let stale = Duration::from_secs(14 * 24 * 3600);
    for e in entries.filter_map(|e| e.ok()) {
        let used = std::fs::metadata(e.path().join(".xtask-complete")).and_then(|m| m.modified());
        if used.is_ok_and(|t| t.elapsed().is_ok_and(|age| age > stale)) {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

/// `git archive COMMIT | tar -x -C into`.
fn extract(root: &Path, commit: &str, into: &Path) -> Result<(), Error> {
    let fail = |what: String| Error::Config(format!("--compat: checking out {commit}: {what}"));
    let mut archive = git::git(root)
        .args(["archive", "--format=tar", commit])
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| fail(format!("cannot run git: {e}")))?;
    let stdout = archive.stdout.take().expect("piped");
    let tar = crate::process::command("tar")
        .arg("-x")
        .arg("-C")
        .arg(into)
        .stdin(stdout)
        .output()
        .map_err(|e| fail(format!("cannot run tar: {e}")))?;
    let status = archive
        .wait()
        .map_err(|e| fail(format!("git archive: {e}")))?;
    if !status.success() || !tar.status.success() {
        return Err(fail(format!(
            "git archive exited with {status}, tar with {}: {}",
            tar.status,
            String::from_utf8_lossy(&tar.stderr).trim()
        )));
    }
    Ok(())
}
