//! PostgreSQL's programs on this machine: finding them (on PATH, else in Debian's
//! `/usr/lib/postgresql/<major>/bin`), and pointing a client program or a configured command
//! at a database through libpq's environment.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::db::DatabaseUrl;
use crate::error::Error;

/// Finds a PostgreSQL server binary: on PATH, else in Debian's /usr/lib/postgresql/<major>/bin
/// (highest version first).
pub fn find_binary(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    if let Some(found) = std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
    {
        return Some(found);
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let v: u32 = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin").join(name);
            bin.is_file().then_some((v, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, p)| p)
}

pub(super) fn binary(name: &str) -> Result<PathBuf, Error> {
    find_binary(name).ok_or_else(|| {
        Error::Cluster(format!(
            "`{name}` was not found on PATH nor in /usr/lib/postgresql/*/bin: install the PostgreSQL server (Debian: `apt-get install postgresql`)"
        ))
    })
}

/// The environment a child process needs to reach a database: `DATABASE_URL` and libpq's
/// `PG*` variables.
pub fn client_env(url: &DatabaseUrl) -> Vec<(String, OsString)> {
    let mut env = vec![
        ("DATABASE_URL".to_string(), OsString::from(url.expose())),
        ("PGHOST".to_string(), OsString::from(&url.host)),
        ("PGPORT".to_string(), OsString::from(url.port.to_string())),
        ("PGUSER".to_string(), OsString::from(&url.user)),
        ("PGDATABASE".to_string(), OsString::from(&url.dbname)),
    ];
    if let Some(p) = url.expose_password() {
        env.push(("PGPASSWORD".to_string(), OsString::from(p)));
    }
    env
}

/// A PostgreSQL client program pointed at `url` through libpq's environment.
pub fn client_command(program: &Path, url: &DatabaseUrl) -> Command {
    let mut cmd = Command::new(program);
    cmd.stdin(Stdio::null())
        .env_remove("DATABASE_URL")
        .envs(
            client_env(url)
                .into_iter()
                .filter(|(k, _)| k != "DATABASE_URL"),
        )
        .env(
            "PGCONNECT_TIMEOUT",
            url.connect_timeout.as_secs().max(1).to_string(),
        );
    cmd
}
