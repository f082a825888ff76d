//! Where a service's database URL comes from. Order of the places, first found wins:
//! 1. `--database-url` (only when exactly one service is selected);
//! 2. the environment variable `<SERVICE>_DATABASE_URL` (the explicit override);
//! 3. the service's datasource, as Prisma reads it: `directUrl`, else `url`, of
//!    `prisma.config.ts` (Prisma 7) or of the schema's `datasource` block. An `env("NAME")`
//!    is looked up in the environment, then in the `.env` files Prisma sees: with Prisma 6,
//!    `services/<svc>/.env` and the schema folder's; with Prisma 7, only those the config's
//!    own code loads (`import "dotenv/config"`, dotenv's `config({ path })`,
//!    `process.loadEnvFile`). A literal is used as written;
//! 4. without a datasource: `DATABASE_URL` in the environment (only when exactly one service
//!    is selected), then in `services/<svc>/.env` and `services/<svc>/prisma/.env`.
//!
//! `DATABASE_URL` from the environment is never used for several services at once, even when
//! their datasources name it: they would all migrate one database.
//!
//! Certificate paths in the URL are relative to the schema's directory (as Prisma resolves
//! them); libpq's `PGSSLMODE`, `PGSSLROOTCERT`, `PGSSLCERT` and `PGSSLKEY` fill in what the
//! URL leaves out.

use std::fmt;
use std::path::{Path, PathBuf};

use super::database_url::{DatabaseUrl, invalid_url};
use crate::error::{Error, Location};
use crate::workspace::{Declared, DeclaredValue, Service};

/// Where a URL came from, for messages and `--format json`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UrlOrigin {
    /// The `--url` flag.
    Flag,
    /// An environment variable; `declared`: the datasource setting that names it.
    Env {
        /// The variable's name.
        var: String,
        /// The datasource setting that names the variable.
        declared: Option<Declaration>,
    },
    /// A variable in a `.env` file.
    DotEnv {
        /// The variable's name.
        var: String,
        /// The `.env` file.
        path: PathBuf,
        /// The datasource setting that names the variable.
        declared: Option<Declaration>,
    },
    /// Written in the datasource itself, or its `?? "default"` in `prisma.config.ts`.
    Literal(Declaration),
}

/// A datasource setting: `directUrl` at `schema.prisma:4:15`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Declaration {
    pub key: String,
    pub at: Location,
}

impl fmt::Display for Declaration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at {}", self.key, self.at)
    }
}

impl UrlOrigin {
    /// The environment variable the URL came from, if any.
    pub fn variable(&self) -> Option<&str> {
        match self {
            UrlOrigin::Env { var, .. } | UrlOrigin::DotEnv { var, .. } => Some(var),
            _ => None,
        }
    }
}

impl fmt::Display for UrlOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let by = |d: &Option<Declaration>| {
            d.as_ref()
                .map(|d| format!(" (named by {d})"))
                .unwrap_or_default()
        };
        match self {
            UrlOrigin::Flag => f.write_str("--database-url"),
            UrlOrigin::Env { var, declared } => {
                write!(f, "environment variable {var}{}", by(declared))
            }
            UrlOrigin::DotEnv {
                var,
                path,
                declared,
            } => write!(f, "{var} in {}{}", path.display(), by(declared)),
            UrlOrigin::Literal(d) => write!(f, "{d}"),
        }
    }
}

/// What decides a service's URL besides its files.
pub struct UrlSources<'a> {
    /// `--database-url`.
    pub flag: Option<&'a str>,
    /// How many services the command works on: the plain `DATABASE_URL` and the flag apply
    /// only to a single one.
    pub selected: usize,
    /// Reads an environment variable (injected so tests need not touch the process env).
    pub env: &'a (dyn Fn(&str) -> Option<String> + Sync),
}

impl UrlSources<'_> {
    /// The service's database URL and where it came from, or why there is none.
    pub fn resolve(&self, service: &Service) -> Result<(DatabaseUrl, UrlOrigin), Error> {
        let datasource = service.datasource()?;
        let base = datasource
            .as_ref()
            .map_or_else(|| service.prisma_dir(), |d| d.schema_dir.clone());
        let (text, origin) = self.find(
            service,
            datasource.as_ref().and_then(|d| d.migration_url()),
            &base,
            datasource
                .as_ref()
                .and_then(|d| d.config_env_files.as_deref()),
        )?;
        let invalid = |reason| invalid_url(&text, origin.to_string(), reason);
        let mut url = DatabaseUrl::parse(&text).map_err(invalid)?;
        url.complete(self.env, &base).map_err(invalid)?;
        Ok((url, origin))
    }

    fn find(
        &self,
        service: &Service,
        declared: Option<&Declared>,
        schema_dir: &Path,
        config_env_files: Option<&[PathBuf]>,
    ) -> Result<(String, UrlOrigin), Error> {
        let single = self.selected == 1;
        if let Some(flag) = self.flag {
            if !single {
                return Err(Error::Config(
                    "--database-url applies to one service only: add --service NAME, or set <SERVICE>_DATABASE_URL per service".into(),
                ));
            }
            return Ok((flag.to_string(), UrlOrigin::Flag));
        }
        let own = service.url_env_var();
        if let Some(v) = (self.env)(&own).filter(|v| !v.trim().is_empty()) {
            return Ok((
                v,
                UrlOrigin::Env {
                    var: own,
                    declared: None,
                },
            ));
        }
        // The .env files Prisma 6 loads (the project's, and beside the schema); Prisma 7 loads
        // none: only those prisma.config.ts loads itself count.
        let mut files = vec![service.dir.join(".env"), service.prisma_dir().join(".env")];
        let schema_env = schema_dir.join(".env");
        if !files.contains(&schema_env) {
            files.push(schema_env);
        }
        if crate::workspace::package::prisma_major(&service.dir) >= 7 {
            files.clear();
        }
        for file in config_env_files.unwrap_or_default() {
            if !files.contains(file) {
                files.push(file.clone());
            }
        }
        let Some(declared) = declared else {
            return self.plain_database_url(service, &files, None);
        };
        let declaration = Declaration {
            key: declared.key.clone(),
            at: declared.at.clone(),
        };
        match &declared.value {
            DeclaredValue::Literal(url) => Ok((url.clone(), UrlOrigin::Literal(declaration))),
            DeclaredValue::Env { var, .. } if var == "DATABASE_URL" => {
                self.plain_database_url(service, &files, Some(declared))
            }
            DeclaredValue::Env {
                var,
                default,
                fallbacks,
            } => {
                // `A || B`: A from the environment or a .env file, then B, ...
                for var in std::iter::once(var).chain(fallbacks) {
                    if let Some(v) = (self.env)(var).filter(|v| !v.trim().is_empty()) {
                        return Ok((
                            v,
                            UrlOrigin::Env {
                                var: var.clone(),
                                declared: Some(declaration),
                            },
                        ));
                    }
                    for path in &files {
                        if let Some(v) = read_dotenv(path, var)? {
                            return Ok((
                                v,
                                UrlOrigin::DotEnv {
                                    var: var.clone(),
                                    path: path.clone(),
                                    declared: Some(declaration),
                                },
                            ));
                        }
                    }
                }
                if let Some(d) = default {
                    return Ok((d.clone(), UrlOrigin::Literal(declaration)));
                }
                let vars: Vec<&str> = std::iter::once(var)
                    .chain(fallbacks)
                    .map(String::as_str)
                    .collect();
                let where_ = if files.is_empty() {
                    format!("in the environment ({NO_ENV_FILE})")
                } else {
                    format!("in the environment or in {}", list(&files))
                };
                Err(Error::NoDatabaseUrl {
                    service: service.name.clone(),
                    places: format!(
                        "{} (the datasource's {} at {} reads it), {where_}; or set {own} to override",
                        vars.join(" or "),
                        declared.key,
                        declared.at,
                    ),
                })
            }
            DeclaredValue::Dynamic(text) => Err(Error::Schema {
                at: declared.at.clone(),
                message: format!(
                    "`{}` is computed when the file runs (`{}`), which this tool cannot do: set {own} to the service's database URL",
                    declared.key,
                    text.trim()
                ),
                snippet: declared.snippet.clone(),
            }),
        }
    }

    /// `DATABASE_URL`: from the environment for a single service, else from the `.env` files.
    fn plain_database_url(
        &self,
        service: &Service,
        files: &[PathBuf],
        declared: Option<&Declared>,
    ) -> Result<(String, UrlOrigin), Error> {
        let declaration = declared.map(|d| Declaration {
            key: d.key.clone(),
            at: d.at.clone(),
        });
        let var = "DATABASE_URL";
        let plain = (self.env)(var).filter(|v| !v.trim().is_empty());
        if self.selected == 1
            && let Some(v) = plain.clone()
        {
            return Ok((
                v,
                UrlOrigin::Env {
                    var: var.into(),
                    declared: declaration,
                },
            ));
        }
        for path in files {
            if let Some(v) = read_dotenv(path, var)? {
                return Ok((
                    v,
                    UrlOrigin::DotEnv {
                        var: var.into(),
                        path: path.clone(),
                        declared: declaration,
                    },
                ));
            }
        }
        if let Some(DeclaredValue::Env {
            default: Some(d), ..
        }) = declared.map(|d| &d.value)
            && let Some(declaration) = declaration
        {
            return Ok((d.clone(), UrlOrigin::Literal(declaration)));
        }
        // The datasource names DATABASE_URL: say so first, it is what the team sets.
        let named = declared.map_or(String::new(), |d| {
            format!(
                "DATABASE_URL (the datasource's {} at {} reads it) or ",
                d.key, d.at
            )
        });
        let own = service.url_env_var();
        let mut places = if files.is_empty() {
            format!("{named}the environment variable {own} ({NO_ENV_FILE})")
        } else {
            format!(
                "{named}the environment variable {own}, or DATABASE_URL in {}",
                list(files)
            )
        };
        if plain.is_some() {
            places.push_str(
                " (DATABASE_URL is set in the environment, but applies only when one service is selected with --service)",
            );
        }
        Err(Error::NoDatabaseUrl {
            service: service.name.clone(),
            places,
        })
    }
}

/// Why no `.env` file was read (Prisma 7, and a config that loads none).
const NO_ENV_FILE: &str = "Prisma 7 reads no .env file, and prisma.config.ts loads none: add `import \"dotenv/config\"` to it to read .env, as Prisma's upgrade guide says";

fn list(files: &[PathBuf]) -> String {
    let names: Vec<String> = files.iter().map(|p| p.display().to_string()).collect();
    match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => names.join(""),
    }
}

/// The value of `key` in a `.env` file, or None when the file or the key is absent.
fn read_dotenv(path: &Path, key: &str) -> Result<Option<String>, Error> {
    if !path.is_file() {
        return Ok(None);
    }
    let iter = dotenvy::from_path_iter(path)
        .map_err(|e| Error::Config(format!("{}: {e}", path.display())))?;
    for item in iter {
        match item {
            Ok((k, v)) if k == key => return Ok(Some(v)),
            Ok(_) => {}
            Err(dotenvy::Error::LineParse(line, _)) => {
                let text = std::fs::read_to_string(path).unwrap_or_default();
                let n = text
                    .lines()
                    .position(|l| l.contains(line.trim()))
                    .map_or(0, |i| i + 1);
                return Err(Error::Config(format!(
                    "{}:{n}: cannot parse this line of the .env file (the value is not shown, it may hold a secret): write KEY=value",
                    path.display()
                )));
            }
            Err(e) => return Err(Error::Config(format!("{}: {e}", path.display()))),
        }
    }
    Ok(None)
}
