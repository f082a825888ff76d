//! A service's Node package, as npm, pnpm, yarn and bun see it: `package.json` (its `test`
//! script, Prisma 6's `prisma.seed`, `workspaces`), the package manager the repository uses
//! (its lockfile, else `packageManager`), and whether the dependencies are installed. Read only;
//! running anything is [`crate::seed`]'s.

use std::path::{Path, PathBuf};

use crate::error::{Error, Location, snippet, utf8_text};

/// npm's placeholder `test` script: a package without tests.
const NO_TEST: &str = "no test specified";

/// A package manager, named by the lockfile the repository keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum PackageManager {
    Npm,
    Pnpm,
    Yarn,
    Bun,
}

impl PackageManager {
    pub(crate) fn program(self) -> &'static str {
        match self {
            PackageManager::Npm => "npm",
            PackageManager::Pnpm => "pnpm",
            PackageManager::Yarn => "yarn",
            PackageManager::Bun => "bun",
        }
    }

    /// The lockfiles that name this manager, most recent format first.
    fn lockfiles(self) -> &'static [&'static str] {
        match self {
            PackageManager::Npm => &["package-lock.json", "npm-shrinkwrap.json"],
            PackageManager::Pnpm => &["pnpm-lock.yaml"],
            PackageManager::Yarn => &["yarn.lock"],
            PackageManager::Bun => &["bun.lock", "bun.lockb"],
        }
    }

    /// The command that runs the package's `test` script.
    pub(crate) fn test_command(self) -> Vec<String> {
        let words: &[&str] = match self {
            PackageManager::Bun => &["bun", "run", "test"],
            other => &[other.program(), "test"],
        };
        words.iter().map(|w| w.to_string()).collect()
    }

    /// The install that follows the lockfile exactly and never changes it.
    pub(crate) fn install_command(self) -> Vec<String> {
        let words: &[&str] = match self {
            PackageManager::Npm => &["npm", "ci"],
            PackageManager::Pnpm => &["pnpm", "install", "--frozen-lockfile"],
            PackageManager::Yarn => &["yarn", "install", "--immutable"],
            PackageManager::Bun => &["bun", "install", "--frozen-lockfile"],
        };
        words.iter().map(|w| w.to_string()).collect()
    }

    fn from_field(value: &str) -> Option<PackageManager> {
        let name = value.split('@').next()?;
        [
            PackageManager::Npm,
            PackageManager::Pnpm,
            PackageManager::Yarn,
            PackageManager::Bun,
        ]
        .into_iter()
        .find(|m| m.program() == name)
    }
}

/// A string field of `package.json` and where it is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PackageField {
    pub value: String,
    pub at: Location,
}

/// What a service's `package.json` says that matters here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Package {
    /// The package's directory.
    pub dir: PathBuf,
    pub path: PathBuf,
    /// `scripts.test`, unless it is npm's placeholder.
    pub test: Option<PackageField>,
    /// Prisma 6's `prisma.seed`.
    pub seed: Option<PackageField>,
    /// `packageManager` (Corepack's field), e.g. `pnpm@9.1.0`.
    package_manager: Option<String>,
    has_dependencies: bool,
}

impl Package {
    /// The package in `dir`, if it has a `package.json`.
    pub(crate) fn read(dir: &Path) -> Result<Option<Package>, Error> {
        let path = dir.join("package.json");
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::io(&path, e)),
        };
        let text = utf8_text(&path, bytes)?;
        let json = parse_json(&path, &text)?;
        let field = |pointer: &str, key: &str| {
            json.pointer(pointer)
                .and_then(|v| v.as_str())
                .map(|v| PackageField {
                    value: v.to_string(),
                    at: locate_key(&path, &text, key),
                })
        };
        let test = field("/scripts/test", "\"test\"").filter(|t| !t.value.contains(NO_TEST));
        let has_dependencies = ["dependencies", "devDependencies"].iter().any(|k| {
            json.get(k)
                .and_then(|d| d.as_object())
                .is_some_and(|d| !d.is_empty())
        });
        Ok(Some(Package {
            dir: dir.to_path_buf(),
            test,
            seed: field("/prisma/seed", "\"seed\""),
            package_manager: json
                .get("packageManager")
                .and_then(|v| v.as_str())
                .map(str::to_string),
            has_dependencies,
            path,
        }))
    }

    /// The package manager: the nearest lockfile from the package up to `root`, else the
    /// `packageManager` field (the package's, then the root's), else npm.
    pub(crate) fn manager(&self, root: &Path) -> PackageManager {
        if let Some((m, _)) = lockfile(&self.dir, root) {
            return m;
        }
        let root_field = Package::read(root)
            .ok()
            .flatten()
            .and_then(|p| p.package_manager);
        self.package_manager
            .iter()
            .chain(root_field.iter())
            .find_map(|f| PackageManager::from_field(f))
            .unwrap_or(PackageManager::Npm)
    }

    /// Whether the dependencies need installing: the package has some and no `node_modules`
    /// folder is there, from the package up to `root` (workspaces install at the root).
    pub(crate) fn needs_install(&self, root: &Path) -> bool {
        self.has_dependencies && !up_to(&self.dir, root).any(|d| d.join("node_modules").is_dir())
    }

    /// The `node_modules/.bin` folders a script of the package sees, nearest first.
    pub(crate) fn bin_dirs(&self, root: &Path) -> Vec<PathBuf> {
        up_to(&self.dir, root)
            .map(|d| d.join("node_modules").join(".bin"))
            .filter(|d| d.is_dir())
            .collect()
    }
}

/// The major version of Prisma a package uses, which decides whether `.env` files are read
/// (Prisma 6 reads them, 7 does not): the one installed (`node_modules/prisma`, from `dir`
/// upwards), else the range `package.json` declares for `prisma` (or `@prisma/client`), else 6.
pub(crate) fn prisma_major(dir: &Path) -> u32 {
    let major = |v: &str| -> Option<u32> {
        let digits: String = v
            .trim_start_matches(|c: char| !c.is_ascii_digit())
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        digits.parse().ok()
    };
    let installed = dir.ancestors().find_map(|d| {
        let text = std::fs::read_to_string(d.join("node_modules/prisma/package.json")).ok()?;
        let json: serde_json::Value = serde_json::from_str(&text).ok()?;
        major(json.get("version")?.as_str()?)
    });
    if let Some(m) = installed {
        return m;
    }
    let declared = std::fs::read_to_string(dir.join("package.json"))
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .and_then(|json| {
            ["dependencies", "devDependencies"].iter().find_map(|k| {
                let deps = json.get(k)?;
                ["prisma", "@prisma/client"]
                    .iter()
                    .find_map(|name| major(deps.get(name)?.as_str()?))
            })
        });
    declared.unwrap_or(6)
}

/// What shows that the project in `dir` is on Prisma 8, whose migrations are contract-hash
/// packages (`migration.ts`) applied in graph order without `_prisma_migrations`: not Prisma
/// Migrate folders. Empty when none shows.
pub(crate) fn prisma8_markers(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    for rel in [
        "contract.prisma",
        "prisma/contract.prisma",
        "src/prisma/contract.prisma",
    ] {
        if dir.join(rel).is_file() {
            found.push(format!(
                "{rel} (Prisma 8's contract, which replaced schema.prisma)"
            ));
        }
    }
    if dir.join("prisma-next.config.ts").is_file() {
        found.push("prisma-next.config.ts".into());
    }
    for name in super::prisma_config::FILE_NAMES {
        if std::fs::read_to_string(dir.join(name)).is_ok_and(|t| t.contains("definePrismaConfig")) {
            found.push(format!(
                "{name} uses definePrismaConfig (Prisma 8's configuration)"
            ));
        }
    }
    if let Some(json) = std::fs::read_to_string(dir.join("package.json"))
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
    {
        for k in ["dependencies", "devDependencies"] {
            for orm in [
                "@prisma/orm-postgres",
                "@prisma/orm-sqlite",
                "@prisma/orm-mongo",
            ] {
                if json.get(k).and_then(|d| d.get(orm)).is_some() {
                    found.push(format!("package.json depends on {orm} (Prisma 8)"));
                }
            }
        }
    }
    if prisma_major(dir) >= 8 {
        found.push("the Prisma installed or declared is version 8 or later".into());
    }
    found
}

/// The nearest lockfile from `dir` up to `root`: the manager it names and its directory.
pub(crate) fn lockfile(dir: &Path, root: &Path) -> Option<(PackageManager, PathBuf)> {
    up_to(dir, root).find_map(|d| {
        [
            PackageManager::Pnpm,
            PackageManager::Yarn,
            PackageManager::Bun,
            PackageManager::Npm,
        ]
        .into_iter()
        .find(|m| m.lockfiles().iter().any(|f| d.join(f).is_file()))
        .map(|m| (m, d.to_path_buf()))
    })
}

/// `dir` and its ancestors, up to and including `root` (only `dir` when it is not under it).
fn up_to<'a>(dir: &'a Path, root: &'a Path) -> impl Iterator<Item = &'a Path> {
    let inside = dir.starts_with(root);
    dir.ancestors()
        .take_while(move |d| inside && d.starts_with(root) || *d == dir)
}

pub(super) fn parse_json(path: &Path, text: &str) -> Result<serde_json::Value, Error> {
    serde_json::from_str(text).map_err(|e| {
        let at = Location {
            path: path.to_path_buf(),
            line: e.line(),
            column: e.column(),
        };
        Error::Schema {
            snippet: snippet(text, &at),
            at,
            message: format!("not valid JSON: {e}"),
        }
    })
}

/// Where `key` (quoted) is first written in the file, for messages (the file's start if not).
fn locate_key(path: &Path, text: &str, key: &str) -> Location {
    Location::of_offset(path, text.as_bytes(), text.find(key).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_teams_write() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("package.json"),
            r#"{ "name": "a", "scripts": { "test": "echo \"Error: no test specified\" && exit 1" },
                 "prisma": { "seed": "ts-node prisma/seed.ts" }, "dependencies": { "pg": "^8" },
                 "packageManager": "pnpm@9.1.0" }"#,
        )
        .unwrap();
        let p = Package::read(dir.path()).unwrap().unwrap();
        assert_eq!(p.test, None, "npm's placeholder is no test");
        assert_eq!(p.seed.as_ref().unwrap().value, "ts-node prisma/seed.ts");
        assert_eq!(p.seed.as_ref().unwrap().at.line, 2);
        assert_eq!(p.manager(dir.path()), PackageManager::Pnpm);
        assert!(p.needs_install(dir.path()));
        std::fs::write(dir.path().join("yarn.lock"), "").unwrap();
        assert_eq!(
            p.manager(dir.path()),
            PackageManager::Yarn,
            "the lockfile wins"
        );
        std::fs::create_dir(dir.path().join("node_modules")).unwrap();
        assert!(!p.needs_install(dir.path()));
    }

    #[test]
    fn the_prisma_version_installed_else_declared_else_six() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(prisma_major(dir.path()), 6);
        std::fs::write(
            dir.path().join("package.json"),
            r#"{ "devDependencies": { "prisma": "^7.4.0" } }"#,
        )
        .unwrap();
        assert_eq!(prisma_major(dir.path()), 7);
        let installed = dir.path().join("node_modules/prisma");
        std::fs::create_dir_all(&installed).unwrap();
        std::fs::write(installed.join("package.json"), r#"{ "version": "6.19.0" }"#).unwrap();
        assert_eq!(prisma_major(dir.path()), 6, "what is installed wins");
    }
}
