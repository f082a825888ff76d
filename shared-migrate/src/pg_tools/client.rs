//! PostgreSQL's programs on this machine: finding them (on PATH, else in Debian's
//! `/usr/lib/postgresql/<major>/bin`), and pointing a client program or a configured command
//! at a database through libpq's environment.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::db::DatabaseUrl;
use crate::error::Error;

/// Finds a PostgreSQL program: the first executable on PATH (the `which` crate, which skips
/// files that are not executable), else in Debian's /usr/lib/postgresql/<major>/bin (highest
/// version first), where the server binaries are when no wrapper put them on PATH.
pub fn find_binary(name: &str) -> Option<PathBuf> {
    on_path(name, std::env::var_os("PATH")).or_else(|| in_debian_dirs(name))
}

fn on_path(name: &str, path: Option<std::ffi::OsString>) -> Option<PathBuf> {
    let cwd = std::env::current_dir().ok()?;
    which::which_in(name, path, cwd).ok()
}

fn in_debian_dirs(name: &str) -> Option<PathBuf> {
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

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn programs_on_path_must_be_executable() {
        let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
        for (dir, mode) in dirs.iter().zip([0o644, 0o755]) {
            let file = dir.path().join("pg_probe");
            std::fs::write(&file, "#!/bin/sh\n").unwrap();
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(mode)).unwrap();
        }
        let path = std::env::join_paths(dirs.iter().map(|d| d.path())).unwrap();
        assert_eq!(
            super::on_path("pg_probe", Some(path)),
            Some(dirs[1].path().join("pg_probe"))
        );
    }
}
