//! Where migrations come from: the services of the monorepo (`services/<svc>/`, each with its
//! [`Layout`]) and, per service, its migration folders in byte order of name.

use std::path::{Path, PathBuf};

use super::Migration;
use super::layout::{Datasource, Layout};
use super::prisma_config::PrismaConfig;
use crate::error::{Error, Location, utf8_text};

/// The monorepo: a directory holding `services/`.
#[derive(Debug, Clone)]
pub struct Workspace {
    pub root: PathBuf,
}

/// A service: a directory `services/<name>` that holds a `prisma/` folder or a Prisma
/// configuration file (`prisma.config.ts`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    pub name: String,
    pub dir: PathBuf,
    /// Where its schema and migrations are.
    pub layout: Layout,
}

impl Workspace {
    pub fn new(root: impl Into<PathBuf>) -> Workspace {
        Workspace { root: root.into() }
    }

    /// The nearest ancestor of `start` (itself included) that holds a `services/` directory.
    pub fn find(start: &Path) -> Option<Workspace> {
        start
            .ancestors()
            .find(|dir| dir.join("services").is_dir())
            .map(Workspace::new)
    }

    pub fn services_dir(&self) -> PathBuf {
        self.root.join("services")
    }

    /// Cargo's target directory (CARGO_TARGET_DIR, else `target/`), where the tool keeps what
    /// it caches between runs.
    pub fn target_dir(&self) -> PathBuf {
        match std::env::var_os("CARGO_TARGET_DIR") {
            Some(dir) if !dir.is_empty() => self.root.join(dir),
            _ => self.root.join("target"),
        }
    }

    /// Where the local backend keeps its initdb template between runs.
    pub fn template_cache(&self) -> PathBuf {
        self.target_dir().join("xtask").join("pg-template")
    }

    /// Where lint keeps the analyses of migration files between runs.
    pub fn lint_cache(&self) -> PathBuf {
        self.target_dir().join("xtask").join("lint-cache")
    }

    /// Every service, sorted by name. Directories under `services/` with neither a `prisma/`
    /// folder nor a Prisma configuration file are not Prisma services and are passed over (a
    /// monorepo holds other things too).
    pub fn services(&self) -> Result<Vec<Service>, Error> {
        let dir = self.services_dir();
        if !dir.is_dir() {
            return Err(Error::NoServicesDir {
                path: self.root.clone(),
            });
        }
        let found = subdirectories(&dir, Links::Follow, is_prisma_project)?;
        let mut by_variable: std::collections::BTreeMap<String, &(String, PathBuf)> =
            Default::default();
        for entry in &found {
            let (name, path) = entry;
            if let Some(why) = bad_service_name(name) {
                return Err(Error::BadServiceName {
                    path: path.clone(),
                    why,
                });
            }
            let var = url_env_var(name);
            if let Some((other, other_dir)) = by_variable.insert(var.clone(), entry) {
                return Err(Error::SharedUrlVariable {
                    a: other.clone(),
                    a_dir: other_dir.clone(),
                    b: name.clone(),
                    b_dir: path.clone(),
                    var,
                });
            }
        }
        found
            .into_iter()
            .map(|(name, dir)| Service::new(name, dir))
            .collect()
    }

    /// The services named in `names` (all of them when `names` is empty), in name order.
    pub fn select(&self, names: &[String]) -> Result<Vec<Service>, Error> {
        let all = self.services()?;
        if names.is_empty() {
            return Ok(all);
        }
        for name in names {
            if !all.iter().any(|s| &s.name == name) {
                let known = if all.is_empty() {
                    format!(
                        "none (no directory under {} has a prisma/ folder)",
                        self.services_dir().display()
                    )
                } else {
                    all.iter()
                        .map(|s| s.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                return Err(Error::UnknownService {
                    name: name.clone(),
                    known,
                });
            }
        }
        Ok(all
            .into_iter()
            .filter(|s| names.contains(&s.name))
            .collect())
    }
}

impl Service {
    /// The service in `dir`, with its layout read from its files.
    pub fn new(name: impl Into<String>, dir: impl Into<PathBuf>) -> Result<Service, Error> {
        let dir = dir.into();
        Ok(Service {
            name: name.into(),
            layout: Layout::find(&dir)?,
            dir,
        })
    }

    /// `prisma/`: the seed and `.env` files Prisma reads are here.
    pub fn prisma_dir(&self) -> PathBuf {
        self.dir.join("prisma")
    }

    pub fn migrations_dir(&self) -> PathBuf {
        self.layout.migrations_dir.clone()
    }

    /// What the service's schema and configuration say of its database.
    pub fn datasource(&self) -> Result<Option<Datasource>, Error> {
        self.layout.datasource()
    }

    /// The environment variable that holds this service's database URL: `<SERVICE>_DATABASE_URL`.
    pub fn url_env_var(&self) -> String {
        url_env_var(&self.name)
    }

    /// The migration folder names, in byte order, without reading any file.
    pub fn migration_dirs(&self) -> Result<Vec<(String, PathBuf)>, Error> {
        let dir = self.migrations_dir();
        if !dir.is_dir() {
            return Err(Error::NoMigrationsDir {
                service: self.name.clone(),
                path: dir,
            });
        }
        // The folder list first: an unreadable directory is named as such.
        let dirs = subdirectories(&dir, Links::Inside, |_| true)?;
        self.check_lockfile()?;
        Ok(dirs)
    }

    /// Every migration of the service, read and checksummed, in order.
    pub fn migrations(&self) -> Result<Vec<Migration>, Error> {
        self.migration_dirs()?
            .into_iter()
            .map(|(name, dir)| Migration::load(name, &dir))
            .collect()
    }

    /// `migration_lock.toml` is optional; when present its provider must be `postgresql`.
    /// Read the way Prisma reads it: the first line starting with `provider`.
    fn check_lockfile(&self) -> Result<(), Error> {
        let path = self.migrations_dir().join("migration_lock.toml");
        let text = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(Error::io(&path, e)),
        };
        let text = utf8_text(&path, text)?;
        for (i, line) in text.lines().enumerate() {
            if line.trim_start().starts_with("provider") {
                let found = line
                    .trim()
                    .trim_start_matches("provider")
                    .trim_start()
                    .trim_start_matches('=')
                    .trim()
                    .trim_matches('"');
                if found != "postgresql" {
                    return Err(Error::LockfileProvider {
                        at: Location {
                            path,
                            line: i + 1,
                            column: 1,
                        },
                        found: found.to_string(),
                    });
                }
                return Ok(());
            }
        }
        Ok(())
    }
}

/// How [`subdirectories`] treats symbolic links.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Links {
    /// Followed anywhere (services may live elsewhere and be linked in).
    Follow,
    /// Followed only when they resolve inside the listed directory: a migration folder linked
    /// to a directory elsewhere would deploy files nobody reviews as this service's history.
    Inside,
}

/// The subdirectories of `dir` that `wanted` accepts (links followed as `links` says, loops
/// detected) with their names, in byte order of name (on Unix, OsStr compares bytes). A wanted
/// directory whose name is not UTF-8 is an error.
fn subdirectories(
    dir: &Path,
    links: Links,
    wanted: impl Fn(&Path) -> bool,
) -> Result<Vec<(String, PathBuf)>, Error> {
    // One listing of `dir` (walkdir would also open every subdirectory it returns: 10,000
    // migrations, 10,000 needless listings).
    let mut entries = std::fs::read_dir(dir)
        .and_then(|list| list.collect::<Result<Vec<_>, _>>())
        .map_err(|e| Error::io(dir, e))?;
    entries.sort_by_key(|e| e.file_name());
    let mut found = Vec::new();
    for entry in entries {
        let path = entry.path();
        let mut kind = entry.file_type().map_err(|e| Error::io(&path, e))?;
        if kind.is_symlink() {
            // Links are followed; a link back to `dir` itself would be walked forever.
            kind = std::fs::metadata(&path)
                .map_err(|e| Error::io(&path, e))?
                .file_type();
            if kind.is_dir() && same_dir(&path, dir) {
                return Err(Error::io(
                    &path,
                    std::io::Error::other("symbolic link loop: remove or fix the link"),
                ));
            }
            if links == Links::Inside && kind.is_dir() {
                super::migration::refuse_link_outside(&path, dir)?;
            }
        }
        if !kind.is_dir() || !wanted(&path) {
            continue;
        }
        let name = entry
            .file_name()
            .to_str()
            .ok_or_else(|| Error::NonUtf8Name { path: path.clone() })?
            .to_string();
        found.push((name, path));
    }
    Ok(found)
}

/// Whether `dir` is a Prisma project, as the Prisma CLI would find one run there: a `prisma/`
/// folder, a Prisma configuration file, a `schema.prisma` at its root (Prisma's second
/// default), or a `package.json` naming its schema (`prisma.schema`).
pub fn is_prisma_project(dir: &Path) -> bool {
    dir.join("prisma").is_dir()
        || PrismaConfig::find(dir).is_some()
        || dir.join("schema.prisma").is_file()
        || std::fs::read_to_string(dir.join("package.json"))
            .ok()
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
            .is_some_and(|j| j.pointer("/prisma/schema").is_some())
}

/// `<SERVICE>_DATABASE_URL`: the name upper-cased, every other character `_`.
fn url_env_var(name: &str) -> String {
    let mut var: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    var.push_str("_DATABASE_URL");
    var
}

/// Why a directory name cannot name a service: the name is written into JUnit (XML 1.0 has no
/// noncharacters), `-s a,b` lists and `ci-plan`'s matrix (comma-separated), progress lines and
/// annotations (one line each).
fn bad_service_name(name: &str) -> Option<String> {
    let bad = name.chars().find(|&c| {
        c == ','
            || c.is_control()
            || matches!(c as u32, 0xFDD0..=0xFDEF)
            || (c as u32) & 0xFFFE == 0xFFFE
    })?;
    Some(match bad {
        ',' => "a service name cannot hold a comma (`-s a,b` and ci-plan's lists separate names with commas)".to_string(),
        c => format!(
            "a service name cannot hold the character U+{:04X} (a control character or a Unicode noncharacter: JUnit reports and progress lines cannot carry it)",
            c as u32
        ),
    })
}

fn same_dir(a: &Path, b: &Path) -> bool {
    matches!(
        (std::fs::canonicalize(a), std::fs::canonicalize(b)),
        (Ok(a), Ok(b)) if a == b
    )
}
