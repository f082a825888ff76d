//! `resolve --checksum NAME`: accept the edited file of an applied migration only when the edit
//! is proved harmless. The history up to NAME with the edited file is built on a throwaway
//! database, and so is the history with the original (the version in git whose checksum the
//! ledger recorded); their schemas must be the same (tables, columns, keys, indexes, foreign
//! keys, enums, and the objects Prisma does not manage: views, functions, triggers, checks).
//! Where git has no such version, the edited history up to the newest applied migration must
//! build what the database that ran the original has. Only then is the ledger's checksum
//! replaced, under the migration lock. Each database accepts it by running the same command.

use std::collections::BTreeSet;

use sha2::{Digest, Sha256};

use super::{Places, read_live, replay};
use crate::db::{self, DatabaseUrl, MigrationLock, ledger};
use crate::diff;
use crate::error::Error;
use crate::workspace::{Migration, Service, git};

/// What was compared and recorded.
#[derive(Debug, Clone)]
pub struct ChecksumAccepted {
    /// `the version in git at <commit>` or `the database`.
    pub against: String,
    /// The checksum the ledger held.
    pub old: String,
    /// The file's checksum, now recorded.
    pub new: String,
}

/// The schema a database has, with the names of what Prisma does not manage.
pub(super) struct Built {
    schema: diff::SqlSchema,
    unmanaged: BTreeSet<String>,
}

pub(super) fn read(url: &DatabaseUrl) -> Result<Built, Error> {
    let found = read_live(url, std::slice::from_ref(&url.schema), true)?;
    Ok(Built {
        schema: found.schema,
        unmanaged: found.unmanaged.into_iter().collect(),
    })
}

/// `migrations` (with `name`'s text replaced by `instead`, if given) applied to a throwaway
/// database, kept alive by the returned handle, with its URL in `schema`.
pub(super) fn build_db(
    places: &Places,
    service: &Service,
    migrations: &[&Migration],
    instead: Option<(&str, &[u8])>,
    schema: &str,
) -> Result<(Box<dyn crate::verify::Database>, DatabaseUrl), Error> {
    let dir = tempfile::tempdir().map_err(|e| Error::io(std::path::Path::new("tempdir"), e))?;
    let root = dir.path().join(&service.name);
    for m in migrations {
        let folder = root.join("prisma/migrations").join(&m.name);
        std::fs::create_dir_all(&folder).map_err(|e| Error::io(&folder, e))?;
        let text: &[u8] = match instead {
            Some((n, t)) if n == m.name => t,
            _ => m.sql.as_bytes(),
        };
        let file = folder.join("migration.sql");
        std::fs::write(&file, text).map_err(|e| Error::io(&file, e))?;
    }
    if migrations.is_empty() {
        std::fs::create_dir_all(root.join("prisma")).map_err(|e| Error::io(&root, e))?;
    }
    let copy = Service::new(&service.name, root)?;
    let db = replay(places, &copy, schema)?;
    let mut url = db.url().clone();
    url.schema = schema.to_string();
    Ok((db, url))
}

/// [`build_db`], read back.
pub(super) fn build(
    places: &Places,
    service: &Service,
    migrations: &[&Migration],
    instead: Option<(&str, &[u8])>,
    schema: &str,
) -> Result<Built, Error> {
    let (_db, url) = build_db(places, service, migrations, instead, schema)?;
    read(&url)
}

/// What differs between two built schemas, in words; empty when they are the same.
pub(super) fn differences(a: &Built, b: &Built, a_is: &str, b_is: &str, schema: &str) -> String {
    let ns = [schema.to_string()];
    let m = diff::compare(&a.schema, &b.schema, &ns, &ns);
    let mut out = String::new();
    if !m.is_empty() {
        out.push_str(&diff::summary(&m));
    }
    for only in a.unmanaged.difference(&b.unmanaged) {
        out.push_str(&format!("\n  {only}: only with {a_is}"));
    }
    for only in b.unmanaged.difference(&a.unmanaged) {
        out.push_str(&format!("\n  {only}: only with {b_is}"));
    }
    out
}

fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The version of `file` in git whose checksum (or, line endings aside, whose text's) is
/// `checksum`: its commit and bytes.
fn original_in_git(
    root: &std::path::Path,
    file: &std::path::Path,
    checksum: &str,
) -> Option<(String, Vec<u8>)> {
    let rel = file.strip_prefix(root).ok()?.to_str()?.replace('\\', "/");
    let commits = git::output(root, &["log", "--all", "--format=%H", "--", &rel]).ok()?;
    for commit in String::from_utf8_lossy(&commits).lines() {
        let Ok(bytes) = git::output(root, &["show", &format!("{commit}:{rel}")]) else {
            continue;
        };
        let lf: Vec<u8> = bytes.iter().copied().filter(|&b| b != b'\r').collect();
        if sha256(&bytes) == checksum || sha256(&lf) == checksum {
            return Some((commit[..12.min(commit.len())].to_string(), bytes));
        }
    }
    None
}

/// Proves the edit of applied migration `name` harmless, then records the file's checksum in
/// `url`'s ledger. A harmful edit (or one that cannot be proved) changes nothing.
pub fn accept_checksum(
    places: &Places,
    service: &Service,
    url: &DatabaseUrl,
    name: &str,
    lock: MigrationLock,
) -> Result<ChecksumAccepted, Error> {
    let local = service.migrations()?;
    let Some(edited) = local.iter().find(|m| m.name == name) else {
        return Err(Error::Resolve(format!(
            "migration `{name}` has no folder in {}: `resolve --checksum` takes the name of a local, applied migration",
            service.migrations_dir().display()
        )));
    };
    let mut client = db::connect(url)?;
    db::use_schema(&mut client, &url.schema, false)?;
    let rows = if ledger::exists(&mut client, &url.schema)? {
        ledger::rows(&mut client)?
    } else {
        Vec::new()
    };
    drop(client);
    let Some(row) = rows
        .iter()
        .rfind(|r| r.migration_name == name && r.is_applied())
    else {
        return Err(Error::Resolve(format!(
            "migration `{name}` is not applied on {url}: there is no checksum to accept (migrate applies the file as it is)"
        )));
    };
    if row.checksum == edited.checksum {
        return Err(Error::Resolve(format!(
            "migration `{name}`: the file's checksum is already the one {url} recorded: nothing to accept"
        )));
    }
    let schema = url.schema.clone();
    let (against, found) = match original_in_git(&places.ws.root, &edited.path, &row.checksum) {
        Some((commit, original)) => {
            let upto: Vec<&Migration> = local.iter().filter(|m| m.name.as_str() <= name).collect();
            let with_edit = build(places, service, &upto, None, &schema)?;
            let with_original = build(places, service, &upto, Some((name, &original)), &schema)?;
            let what = format!("the version in git at {commit}");
            let found = differences(
                &with_original,
                &with_edit,
                &what,
                "the edited file",
                &schema,
            );
            (what, found)
        }
        None => {
            let applied: BTreeSet<&str> = rows
                .iter()
                .filter(|r| r.is_applied())
                .map(|r| r.migration_name.as_str())
                .collect();
            let upto: Vec<&Migration> = local
                .iter()
                .filter(|m| applied.contains(m.name.as_str()))
                .collect();
            let with_edit = build(places, service, &upto, None, &schema)?;
            let live = read(url)?;
            let what = "the database".to_string();
            let found = differences(&live, &with_edit, &what, "the edited history", &schema);
            (what, found)
        }
    };
    if !found.trim().is_empty() {
        return Err(Error::Resolve(format!(
            "the edit of `{name}` is not harmless: the history with the edited file does not build what {against} builds, so the checksum was not accepted; restore the file and put the change in a new migration:\n{found}"
        )));
    }
    // Proved: record the new checksum, under the lock, on applied rows only.
    let mut locked = db::take_lock(db::connect(url)?, url, lock, &mut |_| {})?;
    let client: &mut postgres::Client = &mut locked;
    db::use_schema(client, &url.schema, false)?;
    client
        .execute(
            "UPDATE _prisma_migrations SET checksum = $1 \
             WHERE migration_name = $2 AND finished_at IS NOT NULL AND rolled_back_at IS NULL",
            &[&edited.checksum, &name],
        )
        .map_err(|e| Error::database("recording the new checksum", &e))?;
    Ok(ChecksumAccepted {
        against,
        old: row.checksum.clone(),
        new: edited.checksum.clone(),
    })
}
