//! lint's cache under `target/xtask/lint-cache/`, two files per service:
//! - a pack of each migration file's analysis (the parse, nearly all of a cold lint's time),
//!   found by the SHA-256 of the file's content (the checksum Prisma records, computed anyway),
//!   independent of the rules and their configuration;
//! - the findings of the service's whole history, under a key over everything they depend on
//!   (the build, every file's name and checksum in order, each rule's level, the configuration);
//!   and a quick key over the same with each file's metadata instead of its checksum (size,
//!   inode, write and change times), mapped to the first: a history nobody touched since gets
//!   its findings back without a file read.
//!   Only a lint without `--since` uses it, and never when a finding depends on the clock
//!   (`migration-timestamp`), so a stale finding cannot come back.
//!
//! A file is replaced whole (written aside, then renamed), so concurrent runs each read a
//! complete one; its first line holds the tool's identity and the SHA-256 of the rest, so a
//! file from another build, or a damaged one, is ignored and rewritten. The cache never makes
//! lint fail: what cannot be read or written is simply not cached.

use std::collections::HashMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{Finding, LintConfig, RULES, RuleLevel};
use crate::sql::Analysis;

const MAGIC: &str = "xtask-lint-cache 1";

/// One service's pack: what it held when opened, what this run analysed anew.
pub(super) struct Pack {
    path: PathBuf,
    entries: HashMap<String, Analysis>,
    /// Entries taken by this run: the pack is rewritten only if it should hold others.
    taken: usize,
}

impl Pack {
    /// The pack of the service whose migrations are in `migrations_dir`, under `dir`; empty
    /// when absent, from another build, or damaged.
    pub(super) fn open(dir: &Path, migrations_dir: &Path) -> Pack {
        let path = dir.join(format!("{}.json", pack_name(migrations_dir)));
        let entries = std::fs::read(&path)
            .ok()
            .and_then(|bytes| read(&bytes))
            .unwrap_or_default();
        Pack {
            path,
            entries,
            taken: 0,
        }
    }

    /// The analysis of a file with this checksum, if cached (once: it is moved out).
    pub(super) fn take(&mut self, checksum: &str) -> Option<Analysis> {
        let found = self.entries.remove(checksum);
        self.taken += usize::from(found.is_some());
        found
    }

    /// Replaces the pack with exactly `files` (checksum, analysis), unless it holds them
    /// already. Failures are ignored: the next run analyses again.
    pub(super) fn save<'a>(self, files: impl Iterator<Item = (&'a str, &'a Analysis)>) {
        let files: HashMap<&str, &Analysis> = files.collect();
        // Every file's analysis came from the pack, and nothing else was in it.
        if self.taken == files.len() && self.entries.is_empty() {
            return;
        }
        if let Ok(payload) = serde_json::to_vec(&files) {
            write(&self.path, "", &payload);
        }
    }
}

/// The findings of a service's whole history, kept with a key over everything they depend on:
/// the tool's build, the service, every file's name and checksum in order, the configuration
/// and the rule set. A hit skips the analyses and the rules altogether.
pub(super) struct Findings {
    path: PathBuf,
    key: String,
}

/// The start of both keys: the service's folder, each rule's level, the other settings.
fn settings_key(migrations_dir: &Path, config: &LintConfig) -> Sha256 {
    let mut key = Sha256::new();
    key.update(migrations_dir.as_os_str().as_encoded_bytes());
    for rule in RULES {
        key.update(format!("\0{}={:?}", rule.name(), config.level(*rule)));
    }
    let settings = LintConfig {
        levels: Default::default(),
        ..config.clone()
    };
    key.update(format!("\0{settings:?}"));
    key
}

/// [`settings_key`] extended by each file's name and what stands for its content (its checksum,
/// or its [`stamp`]s), in order.
fn history_key<'a>(
    migrations_dir: &Path,
    config: &LintConfig,
    files: impl Iterator<Item = (&'a str, &'a str)>,
) -> String {
    let mut key = settings_key(migrations_dir, config);
    for (name, content) in files {
        key.update(format!("\0{name}\0{content}"));
    }
    hex::encode(key.finalize())
}

/// What a file's metadata says of its content without reading it: size, inode, and the times
/// of its last write and last change (the change time follows every write and cannot be set
/// back), or that it is absent.
pub(super) fn stamp(path: &Path) -> String {
    use std::os::unix::fs::MetadataExt;
    match std::fs::metadata(path) {
        Ok(m) => format!(
            "{} {} {} {}.{} {}.{}",
            m.len(),
            m.dev(),
            m.ino(),
            m.mtime(),
            m.mtime_nsec(),
            m.ctime(),
            m.ctime_nsec()
        ),
        Err(_) => "-".into(),
    }
}

impl Findings {
    /// `files`: each migration's name and checksum, in order.
    pub(super) fn new<'a>(
        dir: &Path,
        migrations_dir: &Path,
        config: &LintConfig,
        files: impl Iterator<Item = (&'a str, &'a str)>,
    ) -> Findings {
        Findings {
            path: dir.join(format!("{}.findings.json", pack_name(migrations_dir))),
            key: history_key(migrations_dir, config, files),
        }
    }

    /// The quick key of a history whose files are unchanged since a run that kept its findings:
    /// over the settings and each file's name and [`stamp`]s, in order (no file is read).
    pub(super) fn quick_key<'a>(
        migrations_dir: &Path,
        config: &LintConfig,
        files: impl Iterator<Item = (&'a str, &'a str)>,
    ) -> String {
        history_key(migrations_dir, config, files)
    }

    /// The findings kept for the history whose quick key is `quick`: the index file maps it to
    /// the key over the files' checksums, under which the findings are kept.
    pub(super) fn by_quick_key(dir: &Path, migrations_dir: &Path, quick: &str) -> Option<Findings> {
        let index = std::fs::read(quick_index(dir, migrations_dir)).ok()?;
        let key = std::str::from_utf8(verified(&index, quick)?)
            .ok()?
            .to_string();
        Some(Findings {
            path: dir.join(format!("{}.findings.json", pack_name(migrations_dir))),
            key,
        })
    }

    /// Notes that the history whose quick key is `quick` has these findings' key (after they
    /// were read or kept under it).
    pub(super) fn index(&self, dir: &Path, migrations_dir: &Path, quick: &str) {
        write(
            &quick_index(dir, migrations_dir),
            quick,
            self.key.as_bytes(),
        );
    }

    /// The findings stored under this key, if any.
    pub(super) fn get(&self) -> Option<Vec<Finding>> {
        let bytes = std::fs::read(&self.path).ok()?;
        let stored: Vec<Stored> = serde_json::from_slice(verified(&bytes, &self.key)?).ok()?;
        stored.into_iter().map(Stored::finding).collect()
    }

    pub(super) fn save(&self, findings: &[Finding]) {
        let stored: Vec<Stored> = findings.iter().map(Stored::of).collect();
        if let Ok(payload) = serde_json::to_vec(&stored) {
            write(&self.path, &self.key, &payload);
        }
    }
}

/// A [`Finding`] as kept: the rule by name, the snippet included.
#[derive(Serialize, Deserialize)]
struct Stored {
    rule: String,
    level: RuleLevel,
    service: String,
    path: String,
    line: Option<usize>,
    column: Option<usize>,
    end_line: Option<usize>,
    end_column: Option<usize>,
    message: String,
    help: String,
    snippet: Option<(usize, String, Range<usize>)>,
}

impl Stored {
    fn of(f: &Finding) -> Stored {
        Stored {
            rule: f.rule.to_string(),
            level: f.level,
            service: f.service.clone(),
            path: f.path.clone(),
            line: f.line,
            column: f.column,
            end_line: f.end_line,
            end_column: f.end_column,
            message: f.message.clone(),
            help: f.help.clone(),
            snippet: f.snippet.clone(),
        }
    }

    fn finding(self) -> Option<Finding> {
        Some(Finding {
            rule: RULES.iter().find(|r| r.name() == self.rule)?.name(),
            level: self.level,
            service: self.service,
            path: self.path,
            line: self.line,
            column: self.column,
            end_line: self.end_line,
            end_column: self.end_column,
            message: self.message,
            help: self.help,
            snippet: self.snippet,
        })
    }
}

/// Where a service's quick key is mapped to its findings' key.
fn quick_index(dir: &Path, migrations_dir: &Path) -> PathBuf {
    dir.join(format!("{}.quick", pack_name(migrations_dir)))
}

/// The file name (without extension) of a service's cache files.
fn pack_name(migrations_dir: &Path) -> String {
    hex::encode(&Sha256::digest(migrations_dir.as_os_str().as_encoded_bytes())[..8])
}

/// Replaces `path` whole with the header (magic, build, `key`, the payload's SHA-256) and the
/// payload: written aside, then renamed. Failures are ignored.
fn write(path: &Path, key: &str, payload: &[u8]) {
    let digest = hex::encode(Sha256::digest(payload));
    let mut bytes = format!("{MAGIC} {} {key} {digest}\n", tool()).into_bytes();
    bytes.extend_from_slice(payload);
    let Some(dir) = path.parent() else {
        return;
    };
    let aside = dir.join(format!(
        ".{}.{}-{:?}",
        path.file_name().unwrap_or_default().to_string_lossy(),
        std::process::id(),
        std::thread::current().id()
    ));
    let written = std::fs::create_dir_all(dir)
        .and_then(|()| std::fs::write(&aside, &bytes))
        .and_then(|()| std::fs::rename(&aside, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&aside);
    }
}

/// The payload of a file [`write`] wrote with this build and `key`, if it is intact.
fn verified<'b>(bytes: &'b [u8], key: &str) -> Option<&'b [u8]> {
    let newline = bytes.iter().position(|b| *b == b'\n')?;
    let header = std::str::from_utf8(&bytes[..newline]).ok()?;
    let payload = &bytes[newline + 1..];
    let mut fields = header.strip_prefix(MAGIC)?.strip_prefix(' ')?.split(' ');
    let (build, stored_key, digest) = (fields.next()?, fields.next()?, fields.next()?);
    let intact = build == tool()
        && stored_key == key
        && fields.next().is_none()
        && digest == hex::encode(Sha256::digest(payload));
    intact.then_some(payload)
}

/// The entries of a pack written by this build, if its payload is intact.
fn read(bytes: &[u8]) -> Option<HashMap<String, Analysis>> {
    serde_json::from_slice(verified(bytes, "")?).ok()
}

/// This build of the tool: its version and its executable's size and time, so that a rebuilt
/// binary, whose analysis may differ, never reads an older build's pack.
fn tool() -> &'static str {
    static TOOL: OnceLock<String> = OnceLock::new();
    TOOL.get_or_init(|| {
        let exe = std::env::current_exe()
            .and_then(std::fs::metadata)
            .map(|m| {
                let modified = m
                    .modified()
                    .ok()
                    .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                    .map_or(0, |d| d.as_nanos());
                format!("{}-{modified}", m.len())
            })
            .unwrap_or_default();
        format!("{}+{exe}", env!("CARGO_PKG_VERSION"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pack_round_trips_and_a_damaged_one_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let sql = "CREATE TABLE a (id int);\nCREATE INDEX CONCURRENTLY i ON a (id);\n";
        let analysis = crate::sql::analyse(sql);
        let open = || Pack::open(dir.path(), Path::new("services/a/prisma/migrations"));
        let mut pack = open();
        assert!(pack.take("c1").is_none());
        pack.save([("c1", &analysis)].into_iter());
        let cached = open().take("c1").expect("cached");
        assert_eq!(format!("{cached:?}"), format!("{analysis:?}"));
        assert!(
            Pack::open(dir.path(), Path::new("services/b/prisma/migrations"))
                .take("c1")
                .is_none()
        );
        // Flip one byte of the payload: the pack is ignored, not trusted.
        let file = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.extension().is_some_and(|e| e == "json"))
            .unwrap();
        let mut bytes = std::fs::read(&file).unwrap();
        let last = bytes.len() - 2;
        bytes[last] ^= 1;
        std::fs::write(&file, &bytes).unwrap();
        assert!(open().take("c1").is_none());
        std::fs::write(&file, b"garbage").unwrap();
        assert!(open().take("c1").is_none());
    }
}
