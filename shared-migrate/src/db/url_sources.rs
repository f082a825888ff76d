//! Where a service's database URL comes from. Order of the places, first found wins:
//! 1. `--database-url` (only when exactly one service is selected),
//! 2. the environment variable `<SERVICE>_DATABASE_URL`,
//! 3. `DATABASE_URL` in the environment (only when exactly one service is selected),
//! 4. `DATABASE_URL` in `services/<svc>/.env`, then in `services/<svc>/prisma/.env`.

use std::fmt;
use std::path::PathBuf;

use super::database_url::{DatabaseUrl, redact};
use crate::error::Error;
use crate::workspace::Service;

/// Where a URL came from, for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UrlOrigin {
    Flag,
    Env(String),
    DotEnv(PathBuf),
}

impl fmt::Display for UrlOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UrlOrigin::Flag => f.write_str("--database-url"),
            UrlOrigin::Env(var) => write!(f, "environment variable {var}"),
            UrlOrigin::DotEnv(path) => write!(f, "DATABASE_URL in {}", path.display()),
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
    pub fn resolve(&self, service: &Service) -> Result<(DatabaseUrl, UrlOrigin), Error> {
        let (text, origin) = self.find(service)?;
        let url = DatabaseUrl::parse(&text).map_err(|reason| Error::InvalidUrl {
            url: redact(&text),
            origin: origin.to_string(),
            reason,
        })?;
        Ok((url, origin))
    }

    fn find(&self, service: &Service) -> Result<(String, UrlOrigin), Error> {
        let single = self.selected == 1;
        if let Some(flag) = self.flag {
            if !single {
                return Err(Error::Config(
                    "--database-url applies to one service only: add --service NAME, or set <SERVICE>_DATABASE_URL per service".into(),
                ));
            }
            return Ok((flag.to_string(), UrlOrigin::Flag));
        }
        let var = service.url_env_var();
        if let Some(v) = (self.env)(&var).filter(|v| !v.trim().is_empty()) {
            return Ok((v, UrlOrigin::Env(var)));
        }
        let plain = (self.env)("DATABASE_URL").filter(|v| !v.trim().is_empty());
        if single && let Some(v) = plain.clone() {
            return Ok((v, UrlOrigin::Env("DATABASE_URL".into())));
        }
        let files = [service.dir.join(".env"), service.prisma_dir().join(".env")];
        for path in &files {
            if let Some(v) = read_dotenv(path, "DATABASE_URL")? {
                return Ok((v, UrlOrigin::DotEnv(path.clone())));
            }
        }
        let mut places = format!(
            "the environment variable {var}, or DATABASE_URL in {} or {}",
            files[0].display(),
            files[1].display()
        );
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

/// The value of `key` in a `.env` file, or None when the file or the key is absent.
fn read_dotenv(path: &std::path::Path, key: &str) -> Result<Option<String>, Error> {
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
