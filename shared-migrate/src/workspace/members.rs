//! Where a monorepo keeps its packages, beyond `services/*`: the workspaces its root declares
//! (`package.json` `workspaces`, `pnpm-workspace.yaml` `packages`) and the globs of the root
//! `xtask.toml`'s `services`. Globs as package managers write them: `packages/*`, `apps/**`,
//! `services/api`, and `!` to leave one out.

use std::path::{Path, PathBuf};

use crate::error::{Error, Location, utf8_text};

/// Where the root xtask.toml's `services` globs come from (the other sources are Node's).
pub(super) const XTASK_TOML: &str = "xtask.toml services";

/// The patterns the root declares, in the order given, each with where it comes from.
pub(super) fn declared(root: &Path) -> Result<Vec<(String, String)>, Error> {
    let mut out = Vec::new();
    let package = root.join("package.json");
    if let Ok(bytes) = std::fs::read(&package) {
        let text = utf8_text(&package, bytes)?;
        let json = super::package::parse_json(&package, &text)?;
        // `"workspaces": [...]` (npm, yarn, bun) or `{ "packages": [...] }` (yarn 1).
        let list = json
            .get("workspaces")
            .and_then(|w| w.as_array().or_else(|| w.get("packages")?.as_array()));
        for p in list.into_iter().flatten().filter_map(|v| v.as_str()) {
            out.push((p.to_string(), "package.json workspaces".to_string()));
        }
    }
    let pnpm = root.join("pnpm-workspace.yaml");
    if let Ok(bytes) = std::fs::read(&pnpm) {
        let text = utf8_text(&pnpm, bytes)?;
        for p in pnpm_packages(&text) {
            out.push((p, "pnpm-workspace.yaml packages".to_string()));
        }
    }
    let xtask = root.join("xtask.toml");
    if let Ok(bytes) = std::fs::read(&xtask) {
        let text = utf8_text(&xtask, bytes)?;
        #[derive(serde::Deserialize)]
        struct Services {
            services: Option<Vec<String>>,
        }
        let parsed: Services = toml::from_str(&text).map_err(|e| {
            let at = Location::of_offset(&xtask, text.as_bytes(), e.span().map_or(0, |s| s.start));
            Error::Config(format!("{at}: {}", e.message()))
        })?;
        for p in parsed.services.into_iter().flatten() {
            out.push((p, XTASK_TOML.to_string()));
        }
    }
    Ok(out)
}

/// Whether the root declares workspaces at all (a Node monorepo's root).
pub(super) fn declares_workspaces(dir: &Path) -> bool {
    dir.join("pnpm-workspace.yaml").is_file()
        || std::fs::read_to_string(dir.join("package.json"))
            .ok()
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
            .is_some_and(|j| j.get("workspaces").is_some())
}

/// The `packages:` list of a pnpm-workspace.yaml (the one part read: a block list of strings).
fn pnpm_packages(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut inside = false;
    for line in text.lines() {
        let trimmed = line.trim_end();
        if trimmed.is_empty() || trimmed.trim_start().starts_with('#') {
            continue;
        }
        if !line.starts_with([' ', '\t', '-']) {
            inside = trimmed.trim() == "packages:";
            continue;
        }
        if inside && let Some(item) = trimmed.trim_start().strip_prefix('-') {
            let item = item.trim();
            let item = item.split(" #").next().unwrap_or(item).trim();
            out.push(item.trim_matches(['"', '\'']).to_string());
        }
    }
    out
}

/// The directories under `root` that `patterns` select (those starting with `!` remove what
/// they match), sorted; `node_modules` and hidden directories are never entered.
pub(super) fn expand(root: &Path, patterns: &[String]) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = Vec::new();
    for p in patterns.iter().filter(|p| !p.starts_with('!')) {
        for dir in matching(root, p) {
            if !found.contains(&dir) {
                found.push(dir);
            }
        }
    }
    for p in patterns.iter().filter_map(|p| p.strip_prefix('!')) {
        let gone = matching(root, p);
        found.retain(|d| !gone.contains(d));
    }
    found.sort();
    found
}

fn matching(root: &Path, pattern: &str) -> Vec<PathBuf> {
    let parts: Vec<&str> = pattern
        .trim_start_matches("./")
        .trim_end_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    let mut out = Vec::new();
    walk(root, &parts, 0, &mut out);
    out
}

/// `**` matches any depth, up to this many directories (a monorepo's packages are shallow).
const MAX_DEPTH: usize = 6;

fn walk(dir: &Path, parts: &[&str], depth: usize, out: &mut Vec<PathBuf>) {
    let Some((first, rest)) = parts.split_first() else {
        if dir.is_dir() {
            out.push(dir.to_path_buf());
        }
        return;
    };
    if *first == "**" {
        walk(dir, rest, depth, out);
        if depth < MAX_DEPTH {
            for child in children(dir) {
                walk(&child, parts, depth + 1, out);
            }
        }
    } else if first.contains(['*', '?']) {
        for child in children(dir) {
            let name = child.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if glob_matches(first, name) {
                walk(&child, rest, depth + 1, out);
            }
        }
    } else {
        walk(&dir.join(first), rest, depth + 1, out);
    }
}

fn children(dir: &Path) -> Vec<PathBuf> {
    let Ok(list) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = list
        .filter_map(|e| e.ok())
        .filter(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            !name.starts_with('.') && name != "node_modules"
        })
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    out.sort();
    out
}

/// `*` and `?` within one path segment.
fn glob_matches(pattern: &str, name: &str) -> bool {
    fn go(p: &[char], n: &[char]) -> bool {
        match (p.first(), n.first()) {
            (None, None) => true,
            (Some('*'), _) => go(&p[1..], n) || (!n.is_empty() && go(p, &n[1..])),
            (Some('?'), Some(_)) => go(&p[1..], &n[1..]),
            (Some(a), Some(b)) if a == b => go(&p[1..], &n[1..]),
            _ => false,
        }
    }
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    go(&p, &n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_as_package_managers_write_them() {
        let dir = tempfile::tempdir().unwrap();
        for d in [
            "packages/a",
            "packages/b",
            "apps/web/api",
            "apps/node_modules/x",
            "services/one",
        ] {
            std::fs::create_dir_all(dir.path().join(d)).unwrap();
        }
        let rel = |v: Vec<PathBuf>| -> Vec<String> {
            v.iter()
                .map(|p| p.strip_prefix(dir.path()).unwrap().display().to_string())
                .collect()
        };
        let patterns = |p: &[&str]| p.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            rel(expand(
                dir.path(),
                &patterns(&["packages/*", "!packages/b"])
            )),
            ["packages/a"]
        );
        assert_eq!(
            rel(expand(dir.path(), &patterns(&["apps/**"]))),
            ["apps", "apps/web", "apps/web/api"]
        );
        assert_eq!(
            rel(expand(dir.path(), &patterns(&["./services/one/"]))),
            ["services/one"]
        );
        assert!(glob_matches("svc-*", "svc-pay") && !glob_matches("svc-*", "api"));
    }

    #[test]
    fn pnpm_workspace_packages() {
        let yaml = "packages:\n  - 'packages/*'\n  - \"apps/**\" # all apps\n  - '!**/test/**'\ncatalog:\n  react: ^18\n";
        assert_eq!(
            pnpm_packages(yaml),
            ["packages/*", "apps/**", "!**/test/**"]
        );
    }
}
