//! PostgreSQL's programs on this machine: finding them (on PATH, else in Debian's
//! `/usr/lib/postgresql/<major>/bin`), and pointing a client program or a configured command
//! at a database through libpq's environment.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::db::DatabaseUrl;
use crate::db::tls::{self, RootCert, Tls, Verify};
use crate::error::Error;
use crate::text::shell_word;

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

/// What a child process needs to reach a database: `DATABASE_URL` (with its TLS parameters,
/// paths made absolute) and libpq's `PG*` variables, TLS included. A client identity libpq
/// cannot read as given (a PKCS#12 file, an encrypted key) is written out as PEM files in a
/// private temporary directory, which lives as long as this value.
pub(crate) struct ClientEnv {
    pub vars: Vec<(String, OsString)>,
    files: Option<tempfile::TempDir>,
}

impl ClientEnv {
    /// The `NAME=value ` prefix of a printed command for the TLS settings: no secrets, and no
    /// file of ours that is gone once this value is.
    pub(crate) fn tls_prefix(&self) -> String {
        let ours = |v: &OsString| {
            self.files
                .as_ref()
                .is_some_and(|d| Path::new(v).starts_with(d.path()))
        };
        self.vars
            .iter()
            .filter(|(k, v)| k.starts_with("PGSSL") && !ours(v))
            .map(|(k, v)| format!("{k}={} ", shell_word(&v.to_string_lossy())))
            .collect()
    }
}

pub(crate) fn client_env(url: &DatabaseUrl) -> Result<ClientEnv, Error> {
    let mut vars = vec![
        ("DATABASE_URL".to_string(), OsString::from(url.expose())),
        ("PGHOST".to_string(), OsString::from(&url.host)),
        ("PGPORT".to_string(), OsString::from(url.port.to_string())),
        ("PGUSER".to_string(), OsString::from(&url.user)),
        ("PGDATABASE".to_string(), OsString::from(&url.dbname)),
    ];
    if let Some(p) = url.expose_password() {
        vars.push(("PGPASSWORD".to_string(), OsString::from(p)));
    }
    let mut env = ClientEnv { vars, files: None };
    add_tls(&mut env, url)?;
    Ok(env)
}

/// libpq's TLS variables for `url`'s settings.
fn add_tls(env: &mut ClientEnv, url: &DatabaseUrl) -> Result<(), Error> {
    // Nothing set: libpq's defaults are ours.
    if url.tls == Tls::default() {
        return Ok(());
    }
    let plan = url.tls.plan().map_err(|reason| Error::Connect {
        url: url.to_string(),
        reason,
    })?;
    let vars = &mut env.vars;
    let mode = match plan.verify {
        Verify::ChainAndHost => "verify-full",
        Verify::Chain => "verify-ca",
        Verify::Nothing => plan.mode.as_str(),
    };
    vars.push(("PGSSLMODE".into(), mode.into()));
    match &plan.roots {
        Some(RootCert::File(p)) => vars.push(("PGSSLROOTCERT".into(), p.into())),
        // libpq before 16 reads `system` as a file name: give it the system's bundle.
        Some(RootCert::System) => {
            if let Some(bundle) = system_bundle() {
                vars.push(("PGSSLROOTCERT".into(), bundle.into()));
            }
        }
        None => {}
    }
    let pem = tls::client_identity_pem(&url.tls).map_err(|reason| Error::Connect {
        url: url.to_string(),
        reason,
    })?;
    match pem {
        tls::ClientPem::None => {}
        tls::ClientPem::Files { cert, key } => {
            vars.push(("PGSSLCERT".into(), cert.into()));
            vars.push(("PGSSLKEY".into(), key.into()));
        }
        tls::ClientPem::Written { cert, key } => {
            let dir = tempfile::Builder::new()
                .prefix("xtask-client-cert-")
                .tempdir()
                .map_err(|e| Error::io(&std::env::temp_dir(), e))?;
            let write = |name: &str, bytes: &[u8]| -> Result<PathBuf, Error> {
                use std::os::unix::fs::OpenOptionsExt;
                let path = dir.path().join(name);
                std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(0o600)
                    .open(&path)
                    .and_then(|mut f| std::io::Write::write_all(&mut f, bytes))
                    .map_err(|e| Error::io(&path, e))?;
                Ok(path)
            };
            vars.push(("PGSSLCERT".into(), write("client.crt", &cert)?.into()));
            vars.push(("PGSSLKEY".into(), write("client.key", &key)?.into()));
            env.files = Some(dir);
        }
    }
    Ok(())
}

/// The system's CA bundle, where Debian, Red Hat and others keep it.
fn system_bundle() -> Option<PathBuf> {
    std::env::var_os("SSL_CERT_FILE")
        .map(PathBuf::from)
        .into_iter()
        .chain(
            [
                "/etc/ssl/certs/ca-certificates.crt",
                "/etc/pki/tls/certs/ca-bundle.crt",
                "/etc/ssl/cert.pem",
            ]
            .map(PathBuf::from),
        )
        .find(|p| p.is_file())
}

/// A PostgreSQL client program pointed at `url` through libpq's environment; keep the
/// returned [`ClientEnv`] until the program has ended.
pub(crate) fn client_command(
    program: &Path,
    url: &DatabaseUrl,
) -> Result<(Command, ClientEnv), Error> {
    let env = client_env(url)?;
    let mut cmd = crate::process::command(program);
    cmd.stdin(Stdio::null())
        .env_remove("DATABASE_URL")
        .envs(
            env.vars
                .iter()
                .filter(|(k, _)| k != "DATABASE_URL")
                .cloned(),
        )
        .env(
            "PGCONNECT_TIMEOUT",
            url.connect_timeout.as_secs().max(1).to_string(),
        );
    Ok((cmd, env))
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
