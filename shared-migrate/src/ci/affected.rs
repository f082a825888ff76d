//! `--since REV`: which services a change touches, and why. A service is affected when a file
//! it owns changed (its directory, and its schema or migrations wherever prisma.config.ts puts
//! them), when a service it names in `depends_on` is affected, or — every service — when the
//! tool or the repository's configuration changed. Changes are counted from the merge base of
//! REV and HEAD to the working tree (untracked files included), as a pull request shows them:
//! what landed on REV after the branch was cut is not this change.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::config;
use crate::error::Error;
use crate::workspace::git;
use crate::workspace::{Service, Workspace};

/// Paths (relative to the root) whose change affects every service: the tool and its build.
const TOOL_PATHS: &[&str] = &[
    "xtask/",
    "shared-migrate/",
    "Cargo.lock",
    "Cargo.toml",
    ".cargo/",
    "rust-toolchain.toml",
    "rust-toolchain",
];

/// Why a service is affected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Reason {
    /// Files of its own changed (relative to the root; the first few).
    Changed { files: Vec<String>, count: usize },
    /// A lockfile at the root changed: every Node package's dependencies may have.
    Lockfile { file: String },
    /// The repository's xtask.toml changed.
    Config { file: String },
    /// The tool itself changed (its sources, Cargo.lock, ...).
    Tool { files: Vec<String>, count: usize },
    /// A service it declares in `depends_on` is affected.
    DependsOn { service: String },
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let list = |files: &[String], count: usize| {
            let more = count - files.len();
            if more == 0 {
                files.join(", ")
            } else {
                format!("{} and {more} more", files.join(", "))
            }
        };
        match self {
            Reason::Changed { files, count } => write!(f, "changed: {}", list(files, *count)),
            Reason::Config { file } => write!(f, "{file} changed (every service's configuration)"),
            Reason::Lockfile { file } => {
                write!(f, "{file} changed (the dependencies of every Node package)")
            }
            Reason::Tool { files, count } => {
                write!(f, "the tool changed: {}", list(files, *count))
            }
            Reason::DependsOn { service } => {
                write!(f, "depends on `{service}`, which is affected")
            }
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct AffectedService {
    pub service: String,
    pub reasons: Vec<Reason>,
}

#[derive(Debug, Clone, Serialize)]
/// The services a change since a revision affects, each with why.
pub struct Affected {
    /// The revision as given.
    pub since: String,
    /// The commit changes are counted from (merge base of REV and HEAD).
    pub base: String,
    /// In service order.
    pub affected: Vec<AffectedService>,
    /// The other services, in service order.
    pub unaffected: Vec<String>,
}

impl Affected {
    /// The affected services' names, in service order.
    pub fn names(&self) -> Vec<&str> {
        self.affected.iter().map(|a| a.service.as_str()).collect()
    }

    /// `services`, keeping the affected ones.
    pub fn filter(&self, services: Vec<Service>) -> Vec<Service> {
        let names = self.names();
        services
            .into_iter()
            .filter(|s| names.contains(&s.name.as_str()))
            .collect()
    }
}

/// How many file names a reason lists.
const LISTED: usize = 3;

/// Lockfiles of the whole workspace (npm, pnpm, yarn, bun), at the root.
const ROOT_LOCKFILES: &[&str] = &[
    "package-lock.json",
    "npm-shrinkwrap.json",
    "pnpm-lock.yaml",
    "yarn.lock",
    "bun.lock",
    "bun.lockb",
];

/// The services of `ws` affected since `rev`.
pub fn affected(ws: &Workspace, rev: &str) -> Result<Affected, Error> {
    let services = ws.services()?;
    let commit = git::commit(&ws.root, "--since", rev, "leave out --since")?;
    let head = git::output(&ws.root, &["rev-parse", "--verify", "--quiet", "HEAD"]).ok();
    let base = match head {
        Some(_) => git::output(&ws.root, &["merge-base", &commit, "HEAD"])
            .map(|b| String::from_utf8_lossy(&b).trim().to_string())
            .unwrap_or_else(|_| commit.clone()),
        None => commit.clone(),
    };
    let changed = changed_files(&ws.root, &base)?;

    let known: Vec<&str> = services.iter().map(|s| s.name.as_str()).collect();
    let mut reasons: BTreeMap<String, Vec<Reason>> = BTreeMap::new();
    let tool: Vec<&String> = changed
        .iter()
        .filter(|f| TOOL_PATHS.iter().any(|p| is_under(f, p)))
        .collect();
    let repo_config = changed.iter().any(|f| f == config::FILE_NAME);
    let lockfile = changed
        .iter()
        .find(|f| ROOT_LOCKFILES.contains(&f.as_str()));
    for service in &services {
        let owned = owned_prefixes(&ws.root, service);
        let own: Vec<&String> = changed
            .iter()
            .filter(|f| owned.iter().any(|p| is_under(f, p)))
            .collect();
        let mut why = Vec::new();
        if !own.is_empty() {
            why.push(Reason::Changed {
                files: own.iter().take(LISTED).map(|f| f.to_string()).collect(),
                count: own.len(),
            });
        }
        if repo_config {
            why.push(Reason::Config {
                file: config::FILE_NAME.into(),
            });
        }
        if let Some(file) = lockfile
            && service.dir.join("package.json").is_file()
        {
            why.push(Reason::Lockfile { file: file.clone() });
        }
        if !tool.is_empty() {
            why.push(Reason::Tool {
                files: tool.iter().take(LISTED).map(|f| f.to_string()).collect(),
                count: tool.len(),
            });
        }
        if !why.is_empty() {
            reasons.insert(service.name.clone(), why);
        }
    }
    // depends_on, to a fixed point: a dependency of a dependency counts too.
    let mut deps = BTreeMap::new();
    for service in &services {
        deps.insert(service.name.clone(), config::depends_on(service, &known)?);
    }
    loop {
        let mut added = false;
        for (name, on) in &deps {
            if reasons.contains_key(name) {
                continue;
            }
            if let Some(dep) = on.iter().find(|d| reasons.contains_key(*d)) {
                reasons.insert(
                    name.clone(),
                    vec![Reason::DependsOn {
                        service: dep.clone(),
                    }],
                );
                added = true;
            }
        }
        if !added {
            break;
        }
    }
    let (mut affected, mut unaffected) = (Vec::new(), Vec::new());
    for service in services {
        match reasons.remove(&service.name) {
            Some(reasons) => affected.push(AffectedService {
                service: service.name,
                reasons,
            }),
            None => unaffected.push(service.name),
        }
    }
    Ok(Affected {
        since: rev.to_string(),
        base,
        affected,
        unaffected,
    })
}

/// Whether `file` is `prefix` or lies under it (a prefix ending in `/` is a directory).
fn is_under(file: &str, prefix: &str) -> bool {
    match prefix.strip_suffix('/') {
        Some(dir) => file == dir || file.starts_with(prefix),
        None => file == prefix || file.starts_with(&format!("{prefix}/")),
    }
}

/// What a service owns, relative to the root: its directory, and its schema, migrations and
/// prisma.config.ts when they live elsewhere.
fn owned_prefixes(root: &Path, service: &Service) -> Vec<String> {
    let mut paths: Vec<PathBuf> = vec![service.dir.clone()];
    paths.push(service.layout.migrations_dir.clone());
    if let Some(schema) = &service.layout.schema {
        paths.push(schema.path().to_path_buf());
    }
    if let Some(config) = &service.layout.config {
        paths.push(config.clone());
    }
    let mut prefixes: Vec<String> = paths.iter().filter_map(|p| relative(root, p)).collect();
    prefixes.sort();
    prefixes.dedup();
    prefixes
}

/// `path` relative to `root`, with `/` separators; None when outside it.
fn relative(root: &Path, path: &Path) -> Option<String> {
    let canonical = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let rel = canonical(path)
        .strip_prefix(canonical(root))
        .ok()?
        .to_str()?
        .replace('\\', "/");
    (!rel.is_empty()).then_some(rel)
}

/// Files changed between `base` and the working tree, tracked or not (ignored files aside),
/// relative to `root`. A rename counts as both its old and its new path.
fn changed_files(root: &Path, base: &str) -> Result<Vec<String>, Error> {
    let mut files = Vec::new();
    for args in [
        &[
            "diff",
            "--name-only",
            "--no-renames",
            "--relative",
            "-z",
            base,
            "--",
        ][..],
        &["ls-files", "--others", "--exclude-standard", "-z"][..],
    ] {
        let out = git::output(root, args)?;
        files.extend(
            out.split(|&b| b == 0)
                .filter(|p| !p.is_empty())
                .map(|p| String::from_utf8_lossy(p).into_owned()),
        );
    }
    files.sort();
    files.dedup();
    Ok(files)
}

#[cfg(test)]
mod tests {
    #[test]
    fn prefixes_are_directories_or_files() {
        use super::is_under;
        assert!(is_under("xtask/src/main.rs", "xtask/"));
        assert!(!is_under("xtask-extra/a", "xtask/"));
        assert!(is_under("Cargo.lock", "Cargo.lock"));
        assert!(!is_under("Cargo.lock.bak", "Cargo.lock"));
        assert!(is_under("services/a/x", "services/a"));
        assert!(!is_under("services/ab/x", "services/a"));
    }
}
