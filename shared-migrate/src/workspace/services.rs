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
    /// The monorepo's root directory.
    pub root: PathBuf,
}

/// A service: a directory `services/<name>` that holds a `prisma/` folder or a Prisma
/// configuration file (`prisma.config.ts`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    /// The service's name: its directory's name.
    pub name: String,
    /// The service's directory.
    pub dir: PathBuf,
    /// Where its schema and migrations are.
    pub layout: Layout,
}

impl Workspace {
    /// The monorepo at `root`.
    pub fn new(root: impl Into<PathBuf>) -> Workspace {
        Workspace { root: root.into() }
    }

    /// The monorepo `start` is in: the nearest ancestor (itself included) holding an
    /// `xtask.toml` that is not a service's own, else the nearest declaring workspaces
    /// (`package.json` `workspaces`, `pnpm-workspace.yaml`), else the nearest holding
    /// `services/`, else the nearest Prisma project (a repository of one service).
    pub fn find(start: &Path) -> Option<Workspace> {
        let found = |test: &dyn Fn(&Path) -> bool| start.ancestors().find(|d| test(d));
        found(&|d| d.join("xtask.toml").is_file() && !is_prisma_project(d))
            .or_else(|| found(&|d| super::members::declares_workspaces(d)))
            .or_else(|| found(&|d| d.join("services").is_dir()))
            // A single Prisma project, not a monorepo: it is the one service.
            .or_else(|| found(&|d| is_prisma_project(d)))
            .map(Workspace::new)
    }

    /// Where services are found by default: `services/`.
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
        // One cache for several checkouts (a CI runner's jobs, a test run's temporary repos):
        // the entries are keyed by the server's build and safe under concurrent runs.
        match std::env::var_os("XTASK_TEMPLATE_CACHE").filter(|d| !d.is_empty()) {
            Some(dir) => PathBuf::from(dir),
            None => self.target_dir().join("xtask").join("pg-template"),
        }
    }

    /// Where lint keeps the analyses of migration files between runs.
    pub fn lint_cache(&self) -> PathBuf {
        self.target_dir().join("xtask").join("lint-cache")
    }

    /// Every service, sorted by name: the Prisma projects ([`is_prisma_project`]) among
    /// `services/*` and among the packages the root declares ([`super::members`]). A service is
    /// named by its directory; two of one name are an error naming both. Other directories
    /// are passed over (a monorepo holds other things too).
    pub fn services(&self) -> Result<Vec<Service>, Error> {
        let dir = self.services_dir();
        let declared = super::members::declared(&self.root)?;
        // The root itself is a service when it is a Prisma project (a repository of one).
        let root_service = is_prisma_project(&self.root);
        if !dir.is_dir() && declared.is_empty() && !root_service {
            return Err(Error::NoServicesDir {
                path: self.root.clone(),
            });
        }
        let mut found: Vec<(String, PathBuf)> = if dir.is_dir() {
            subdirectories(&dir, Links::Follow, is_prisma_project)?
        } else {
            Vec::new()
        };
        // A workspace member is a package (npm and pnpm count only directories with a
        // package.json): `packages: ['**']` must not make a service of `prisma/` itself. The
        // globs of xtask.toml name services directly.
        let (node, ours): (Vec<_>, Vec<_>) = declared
            .into_iter()
            .partition(|(_, source)| source != super::members::XTASK_TOML);
        let patterns = |list: Vec<(String, String)>| -> Vec<String> {
            list.into_iter().map(|(p, _)| p).collect()
        };
        let ours_negated: Vec<String> = ours
            .iter()
            .filter_map(|(p, _)| p.strip_prefix('!').map(str::to_string))
            .collect();
        let candidates = super::members::expand(&self.root, &patterns(node))
            .into_iter()
            .filter(|d| d.join("package.json").is_file())
            .chain(super::members::expand(&self.root, &patterns(ours)));
        for package in candidates {
            if !is_prisma_project(&package) || found.iter().any(|(_, d)| same_dir(d, &package)) {
                continue;
            }
            let name = package
                .file_name()
                .and_then(|n| n.to_str())
                .ok_or_else(|| Error::NonUtf8Name {
                    path: package.clone(),
                })?
                .to_string();
            if let Some((_, other)) = found.iter().find(|(n, _)| *n == name) {
                return Err(Error::DuplicateService {
                    name,
                    a: other.clone(),
                    b: package,
                });
            }
            found.push((name, package));
        }
        if root_service && !found.iter().any(|(_, d)| same_dir(d, &self.root)) {
            let name = std::fs::canonicalize(&self.root)
                .ok()
                .and_then(|r| Some(r.file_name()?.to_str()?.to_string()))
                .ok_or_else(|| Error::NonUtf8Name {
                    path: self.root.clone(),
                })?;
            if let Some((_, other)) = found.iter().find(|(n, _)| *n == name) {
                return Err(Error::DuplicateService {
                    name,
                    a: other.clone(),
                    b: self.root.clone(),
                });
            }
            found.push((name, self.root.clone()));
        }
        // `!pattern` in xtask.toml leaves a directory out, wherever it was found.
        let excluded: Vec<String> = ours_negated;
        if !excluded.is_empty() {
            let gone = super::members::expand(&self.root, &excluded);
            found.retain(|(_, d)| !gone.iter().any(|g| same_dir(g, d)));
        }
        found.sort();
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

    /// The services named in `names` (all of them when `names` is empty), in name order. An
    /// unknown name says why: a directory of that name that is not a Prisma project, or the
    /// nearest names.
    pub fn select(&self, names: &[String]) -> Result<Vec<Service>, Error> {
        let all = self.services()?;
        if names.is_empty() {
            return Ok(all);
        }
        for name in names {
            if !all.iter().any(|s| &s.name == name) {
                return Err(Error::UnknownService {
                    name: name.clone(),
                    why: self.why_not_a_service(name, &all),
                });
            }
        }
        Ok(all
            .into_iter()
            .filter(|s| names.contains(&s.name))
            .collect())
    }

    /// The service whose directory holds `dir` (a command run inside a package acts on it, as
    /// `npx prisma` does there). Not a service at the root itself: the root is every service's.
    pub fn service_at(&self, dir: &Path) -> Result<Option<Service>, Error> {
        let canonical = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
        let (dir, root) = (canonical(dir), canonical(&self.root));
        Ok(self.services()?.into_iter().find(|s| {
            let d = canonical(&s.dir);
            d != root && dir.starts_with(d)
        }))
    }

    fn why_not_a_service(&self, name: &str, all: &[Service]) -> String {
        let mut candidates = vec![self.services_dir().join(name)];
        if let Ok(declared) = super::members::declared(&self.root) {
            let patterns: Vec<String> = declared.into_iter().map(|(p, _)| p).collect();
            candidates.extend(
                super::members::expand(&self.root, &patterns)
                    .into_iter()
                    .filter(|d| d.file_name().and_then(|n| n.to_str()) == Some(name)),
            );
        }
        if let Some(dir) = candidates.iter().find(|d| d.is_dir()) {
            return format!(
                "{} is not a Prisma project: it has no prisma/ folder, no schema.prisma, no prisma.config.ts and no \"prisma\": {{\"schema\"}} in package.json",
                dir.display()
            );
        }
        let known: Vec<&str> = all.iter().map(|s| s.name.as_str()).collect();
        if known.is_empty() {
            return format!(
                "no service at all: no Prisma project under {} nor among the workspaces the root declares",
                self.services_dir().display()
            );
        }
        let near = crate::text::suggest(name, known.iter().copied());
        format!("known services: {}{near}", known.join(", "))
    }
}

impl Service {
    /// The service in `dir`, with its layout read from its files. A project on Prisma 8 is
    /// refused, saying why: its migrations are not Prisma Migrate folders.
    pub fn new(name: impl Into<String>, dir: impl Into<PathBuf>) -> Result<Service, Error> {
        let dir = dir.into();
        let markers = super::package::prisma8_markers(&dir);
        if !markers.is_empty() {
            return Err(Error::Prisma8 { dir, markers });
        }
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

    /// The service's migrations folder.
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
            let configured = self.layout.config.as_ref().filter(|c| {
                crate::workspace::prisma_config::PrismaConfig::read(c)
                    .is_ok_and(|p| p.migrations_path.is_some())
            });
            return Err(Error::NoMigrationsDir {
                service: self.name.clone(),
                path: dir,
                named_by: configured
                    .map(|c| format!(" (migrations.path of {})", c.display()))
                    .unwrap_or_default(),
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
pub(crate) fn is_prisma_project(dir: &Path) -> bool {
    // A Prisma 8 project is found too, so that it is refused with a reason, not passed over.
    dir.join("prisma").is_dir()
        || dir.join("contract.prisma").is_file()
        || dir.join("src/prisma/contract.prisma").is_file()
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
