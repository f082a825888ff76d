//! The initdb'd data directory every throwaway cluster copies: made once per run, or kept
//! between runs in a cache keyed by the server's build and initdb's arguments.

use std::io;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use super::{PREFIX, RunAs, base_dir, private_dir, process_exists, run_as, sweep};
use crate::error::Error;
use crate::pg_tools::client::binary;

/// An initdb'd data directory, copied for each cluster: made for this run ([`Self::prepare`]),
/// or kept between runs in a cache directory ([`Self::cached`]).
pub struct Template {
    /// The data directory each cluster copies.
    pub(super) data: PathBuf,
    /// Where clusters are made (RAM when there is some).
    pub(super) base: PathBuf,
    /// The run's own template directory (removed on drop); None when cached.
    _own: Option<(tempfile::TempDir, crate::cleanup::Guard)>,
    /// A shared lock on the cache entry: another run does not remove it while we copy it.
    _lock: Option<std::fs::File>,
    pub(super) run_as: Option<RunAs>,
    pub(super) postgres: PathBuf,
    /// How long initdb (or finding it in the cache) took.
    pub prepare_time: Duration,
    /// Whether the data directory came from the cache.
    pub from_cache: bool,
}

/// initdb's arguments: part of the cache key, so changing them rebuilds cached templates.
const INITDB_ARGS: &[&str] = &[
    "-U",
    "postgres",
    "-A",
    "trust",
    "-E",
    "UTF8",
    "--locale=C",
    "--no-sync",
    "--no-instructions",
];

/// Bumped when what a cached template holds changes.
const CACHE_FORMAT: u32 = 1;

/// Runs initdb into a new private directory under `base`.
fn initdb(base: &Path, run_as: Option<RunAs>) -> Result<tempfile::TempDir, Error> {
    let initdb = binary("initdb")?;
    let dir = private_dir(base, &format!("{PREFIX}template-"), run_as)?;
    let mut cmd = crate::process::command(&initdb);
    cmd.args(INITDB_ARGS)
        .arg("-D")
        .arg(dir.path().join("data"))
        .stdin(Stdio::null())
        .env("LC_ALL", "C");
    if let Some(r) = run_as {
        cmd.uid(r.uid).gid(r.gid);
    }
    let out = cmd
        .output()
        .map_err(|e| Error::Cluster(format!("cannot run {}: {e}", initdb.display())))?;
    if !out.status.success() {
        return Err(Error::Cluster(format!(
            "initdb failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(dir)
}

/// `cp -a`: keeps the owner (the `postgres` user) and modes PostgreSQL insists on.
pub(super) fn copy_dir(from: &Path, to: &Path) -> Result<(), Error> {
    let out = crate::process::command("cp")
        .arg("-a")
        .arg(from)
        .arg(to)
        .output()
        .map_err(|e| Error::Cluster(format!("cannot run cp: {e}")))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(Error::Cluster(format!(
            "copying {} to {} failed: {}",
            from.display(),
            to.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        )))
    }
}

/// The cache entry's name: PostgreSQL's version and binary, initdb's arguments, the OS user
/// the server runs as, the format. Anything else in the cache directory is stale.
fn cache_key(postgres: &Path, run_as: Option<RunAs>) -> Result<String, Error> {
    use sha2::Digest;
    let out = crate::process::command(postgres)
        .arg("--version")
        .output()
        .map_err(|e| Error::Cluster(format!("cannot run {}: {e}", postgres.display())))?;
    let version = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let mut hash = sha2::Sha256::new();
    hash.update(format!(
        "{CACHE_FORMAT}\n{version}\n{}\n{}\n{:?}",
        postgres.display(),
        INITDB_ARGS.join(" "),
        run_as.map(|r| (r.uid, r.gid))
    ));
    let major = version
        .split_whitespace()
        .last()
        .and_then(|v| v.split('.').next())
        .unwrap_or("x");
    let hex: String = hash
        .finalize()
        .iter()
        .take(6)
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok(format!("pg{major}-{hex}"))
}

/// Whether a cache entry is whole: written last, the marker says the copy finished.
fn entry_complete(entry: &Path) -> bool {
    entry.join("complete").is_file()
        && entry.join("data/PG_VERSION").is_file()
        && entry.join("data/global/pg_control").is_file()
}

fn lock_file(path: &Path) -> Result<std::fs::File, Error> {
    std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(|e| Error::io(path, e))
}

/// Removes the cache's other entries (another PostgreSQL, other settings, an older format)
/// and unfinished copies, unless a run is using them (it holds their lock).
fn sweep_cache(cache: &Path, keep: &str) {
    let Ok(entries) = std::fs::read_dir(cache) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if name == keep || !e.path().is_dir() {
            continue;
        }
        // An unfinished copy: `<key>.part-<pid>`, removed once its writer is gone.
        if let Some((_, pid)) = name.rsplit_once(".part-") {
            let alive = pid.parse::<i32>().is_ok_and(process_exists);
            if !alive {
                let _ = std::fs::remove_dir_all(e.path());
            }
            continue;
        }
        let lock_path = cache.join(format!("{name}.lock"));
        let Ok(lock) = lock_file(&lock_path) else {
            continue;
        };
        if lock.try_lock().is_ok() {
            let _ = std::fs::remove_dir_all(e.path());
            let _ = std::fs::remove_file(cache.join(format!("{name}.build.lock")));
            let _ = std::fs::remove_file(&lock_path);
        }
    }
}

impl Template {
    /// A template for this run only, removed on drop.
    pub fn prepare() -> Result<Template, Error> {
        let start = Instant::now();
        let run_as = run_as()?;
        let postgres = binary("postgres")?;
        let base = base_dir();
        sweep(&base);
        let dir = initdb(&base, run_as)?;
        let path = dir.path().to_path_buf();
        let guard = crate::cleanup::register(move || {
            let _ = std::fs::remove_dir_all(&path);
        });
        Ok(Template {
            data: dir.path().join("data"),
            base,
            _own: Some((dir, guard)),
            _lock: None,
            run_as,
            postgres,
            prepare_time: start.elapsed(),
            from_cache: false,
        })
    }

    /// The template kept in `cache` (e.g. `target/xtask/pg-template`), made there by initdb
    /// when missing or incomplete. Entries for another PostgreSQL or other settings are
    /// removed. Safe under concurrent runs: an entry is built under an exclusive lock and
    /// renamed into place whole; a run copying from an entry holds a shared lock on it.
    pub fn cached(cache: &Path) -> Result<Template, Error> {
        let start = Instant::now();
        let run_as = run_as()?;
        let postgres = binary("postgres")?;
        let base = base_dir();
        sweep(&base);
        std::fs::create_dir_all(cache).map_err(|e| Error::io(cache, e))?;
        let key = cache_key(&postgres, run_as)?;
        sweep_cache(cache, &key);
        let entry = cache.join(&key);
        let lock = lock_file(&cache.join(format!("{key}.lock")))?;
        let locked = |r: io::Result<()>| r.map_err(|e| Error::io(&entry, e));
        locked(lock.lock_shared())?;
        let mut from_cache = entry_complete(&entry);
        if !from_cache {
            // One builder at a time (its own lock: users' shared locks do not hold it up);
            // another run may have built the entry meanwhile.
            let build = lock_file(&cache.join(format!("{key}.build.lock")))?;
            locked(build.lock())?;
            if entry_complete(&entry) {
                from_cache = true;
            } else {
                let fresh = initdb(&base, run_as)?;
                let part = cache.join(format!("{key}.part-{}", std::process::id()));
                let _ = std::fs::remove_dir_all(&part);
                std::fs::create_dir(&part).map_err(|e| Error::io(&part, e))?;
                copy_dir(&fresh.path().join("data"), &part.join("data"))?;
                std::fs::write(part.join("complete"), "").map_err(|e| Error::io(&part, e))?;
                if entry.exists() {
                    std::fs::remove_dir_all(&entry).map_err(|e| Error::io(&entry, e))?;
                }
                std::fs::rename(&part, &entry).map_err(|e| Error::io(&entry, e))?;
            }
        }
        Ok(Template {
            data: entry.join("data"),
            base,
            _own: None,
            _lock: Some(lock),
            run_as,
            postgres,
            prepare_time: start.elapsed(),
            from_cache,
        })
    }
}
