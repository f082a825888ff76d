//! The schema a history builds, kept between calls: `new`, `diff`, `dev` and `status --drift`
//! replay every migration on a throwaway database to read it, and a developer calls them again
//! and again with the same history. What the replay read is kept under
//! `target/xtask/replay-cache/<service>/<key>.json`, the key a SHA-256 of everything the result
//! depends on: each migration's name and checksum in order, the schemas read, the throwaway
//! server's build, and this program's own binary (a new build reads differently). A change to
//! any of them is another key: the replay runs again. Files are written whole (a temporary file
//! renamed into place), so concurrent calls never read half a file; a file that does not read
//! is a miss. The newest few per service are kept.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::diff::Introspected;
use crate::workspace::{Migration, Workspace};

/// Entries kept per service.
const KEEP: usize = 8;

/// What a replay read depends on.
pub(super) struct Inputs<'a> {
    pub migrations: &'a [Migration],
    pub namespaces: &'a [String],
    pub partial_indexes: bool,
    /// [`crate::verify::Backend::identity`].
    pub server: &'a str,
}

pub(super) fn key(inputs: &Inputs) -> Option<String> {
    let exe = std::env::current_exe().ok()?;
    let meta = std::fs::metadata(&exe).ok()?;
    let built = meta
        .modified()
        .ok()?
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?;
    let mut h = Sha256::new();
    h.update(format!(
        "v1\n{}\n{} {}\n{}\n{:?}\n{}\n",
        exe.display(),
        meta.len(),
        built.as_nanos(),
        inputs.server,
        inputs.namespaces,
        inputs.partial_indexes
    ));
    for m in inputs.migrations {
        h.update(format!("{} {}\n", m.name, m.checksum));
    }
    Some(hex::encode(h.finalize()))
}

fn dir(ws: &Workspace, service: &str) -> PathBuf {
    ws.target_dir()
        .join("xtask")
        .join("replay-cache")
        .join(service)
}

pub(super) fn load(ws: &Workspace, service: &str, key: &str) -> Option<Introspected> {
    let path = dir(ws, service).join(format!("{key}.json"));
    let bytes = std::fs::read(&path).ok()?;
    let found = serde_json::from_slice(&bytes).ok()?;
    // Touched: the sweep keeps what is used.
    let _ = std::fs::File::options()
        .append(true)
        .open(&path)
        .and_then(|f| f.set_modified(std::time::SystemTime::now()));
    Some(found)
}

/// Keeps `found` under `key`; a failure only means the next call replays again.
pub(super) fn store(ws: &Workspace, service: &str, key: &str, found: &Introspected) {
    let dir = dir(ws, service);
    let Ok(text) = serde_json::to_vec(found) else {
        return;
    };
    if std::fs::create_dir_all(&dir).is_err() {
        return;
    }
    let Ok(mut file) = tempfile::NamedTempFile::new_in(&dir) else {
        return;
    };
    use std::io::Write;
    if file.write_all(&text).is_err() {
        return;
    }
    let _ = file.persist(dir.join(format!("{key}.json")));
    sweep(&dir);
}

/// Removes all but the [`KEEP`] most recently used entries.
fn sweep(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut files: Vec<(std::time::SystemTime, PathBuf)> = entries
        .filter_map(|e| e.ok())
        .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
        .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
        .collect();
    files.sort();
    let excess = files.len().saturating_sub(KEEP);
    for (_, path) in files.into_iter().take(excess) {
        let _ = std::fs::remove_file(path);
    }
}
