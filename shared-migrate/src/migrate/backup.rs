//! `migrate --backup DIR`: a `pg_dump` of the service's schema (custom format) before anything
//! is applied, checked readable with `pg_restore --list`, and the exact command that restores
//! it. The password reaches pg_dump through its environment, never its arguments, and is never
//! part of the printed command.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Instant;

use crate::db::{self, DatabaseUrl, redact};
use crate::error::Error;
use crate::pg_tools::{client_command, find_binary};
use crate::text::shell_word;

#[derive(Debug, Clone, serde::Serialize)]
/// A `pg_dump` of the service's schema, taken before migrating (`--backup`).
pub struct Backup {
    /// The archive written.
    pub path: PathBuf,
    /// Its size.
    pub bytes: u64,
    /// Entries in the archive's table of contents.
    pub objects: usize,
    /// How long the dump took.
    pub millis: u128,
    /// Restores the schema as it was (run from the same directory; the password comes from
    /// PGPASSWORD or ~/.pgpass).
    pub restore_command: String,
}

/// Dumps `url`'s schema to `DIR/<service>-<UTC timestamp>.dump`.
pub fn dump(service: &str, url: &DatabaseUrl, dir: &Path) -> Result<Backup, Error> {
    dump_schemas(service, url, &[], dir)
}

/// Dumps `url`'s schema and `more` (the schemas a multi-schema datasource lists).
pub(crate) fn dump_schemas(
    service: &str,
    url: &DatabaseUrl,
    more: &[String],
    dir: &Path,
) -> Result<Backup, Error> {
    let start = Instant::now();
    let fail = |what: String| {
        Error::Backup(format!(
            "backing up service `{service}` failed, so nothing was applied: {what}"
        ))
    };
    let pg_dump = find_binary("pg_dump").ok_or_else(|| {
        fail("`pg_dump` was not found on PATH nor in /usr/lib/postgresql/*/bin (Debian: `apt-get install postgresql-client`)".into())
    })?;
    let pg_restore = pg_dump.with_file_name("pg_restore");
    std::fs::create_dir_all(dir).map_err(|e| fail(format!("{}: {e}", dir.display())))?;
    let path = free_path(dir, service);

    let (mut cmd, env) = client_command(&pg_dump, url)?;
    cmd.args(["--format=custom", "--no-password"]);
    let mut schemas = vec![&url.schema];
    schemas.extend(more.iter().filter(|s| **s != url.schema));
    for schema in schemas {
        // An exact pattern: the schema name quoted, as pg_dump's -n reads patterns.
        cmd.arg(format!("--schema={}", db::quote_ident(schema)));
    }
    let out = cmd
        .arg("--file")
        .arg(&path)
        .output()
        .map_err(|e| fail(format!("cannot run {}: {e}", pg_dump.display())))?;
    if !out.status.success() {
        let _ = std::fs::remove_file(&path);
        return Err(fail(format!(
            "pg_dump exited with {}: {}",
            out.status,
            url.redact_in(&redact(String::from_utf8_lossy(&out.stderr).trim()))
        )));
    }
    // A dump that pg_restore cannot read is no backup.
    let list = crate::process::command(&pg_restore)
        .arg("--list")
        .arg(&path)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| fail(format!("cannot run {}: {e}", pg_restore.display())))?;
    if !list.status.success() {
        let _ = std::fs::remove_file(&path);
        return Err(fail(format!(
            "pg_restore --list cannot read the dump: {}",
            String::from_utf8_lossy(&list.stderr).trim()
        )));
    }
    let objects = String::from_utf8_lossy(&list.stdout)
        .lines()
        .filter(|l| !l.starts_with(';') && !l.trim().is_empty())
        .count();
    let bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    Ok(Backup {
        restore_command: restore_command(url, &path, &env.tls_prefix()),
        path,
        bytes,
        objects,
        millis: start.elapsed().as_millis(),
    })
}

/// `<service>-<UTC timestamp>.dump`, with a counter when a dump of the same second exists.
fn free_path(dir: &Path, service: &str) -> PathBuf {
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
    let mut path = dir.join(format!("{service}-{stamp}.dump"));
    let mut n = 1;
    while path.exists() {
        n += 1;
        path = dir.join(format!("{service}-{stamp}-{n}.dump"));
    }
    path
}

fn restore_command(url: &DatabaseUrl, path: &Path, tls: &str) -> String {
    format!(
        "{tls}pg_restore --clean --if-exists --no-owner --single-transaction --host {} --port {} --username {} --dbname {} {}",
        shell_word(&url.host),
        url.port,
        shell_word(&url.user),
        shell_word(&url.dbname),
        shell_word(&path.display().to_string())
    )
}

/// Restores a dump made by [`dump`] into `url` (for tests and `reset`-like tooling): the
/// schema is dropped first, so objects created after the backup go too.
pub fn restore(url: &DatabaseUrl, path: &Path) -> Result<(), Error> {
    let pg_restore = find_binary("pg_restore")
        .ok_or_else(|| Error::Backup("`pg_restore` was not found".into()))?;
    let mut client = db::connect(url)?;
    client
        .batch_execute(&format!(
            "DROP SCHEMA IF EXISTS {} CASCADE",
            db::quote_ident(&url.schema)
        ))
        .map_err(|e| Error::database("dropping the schema before a restore", &e))?;
    let (mut cmd, _env) = client_command(&pg_restore, url)?;
    let out = cmd
        .args([
            "--no-owner",
            "--single-transaction",
            "--exit-on-error",
            "--dbname",
        ])
        .arg(&url.dbname)
        .arg(path)
        .output()
        .map_err(|e| Error::Backup(format!("cannot run {}: {e}", pg_restore.display())))?;
    if !out.status.success() {
        return Err(Error::Backup(format!(
            "pg_restore exited with {}: {}",
            out.status,
            url.redact_in(&redact(String::from_utf8_lossy(&out.stderr).trim()))
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_restore_command_names_no_password_and_quotes_what_needs_it() {
        let url =
            DatabaseUrl::parse("postgresql://app:s3cret@db.internal:5433/my%20db?schema=education")
                .unwrap();
        let cmd = restore_command(
            &url,
            Path::new("backups/education-20261124T101500Z.dump"),
            "",
        );
        assert_eq!(
            cmd,
            "pg_restore --clean --if-exists --no-owner --single-transaction --host db.internal --port 5433 --username app --dbname 'my db' backups/education-20261124T101500Z.dump"
        );
        assert!(!cmd.contains("s3cret"));
        assert_eq!(shell_word("it's"), "'it'\\''s'");
    }
}
