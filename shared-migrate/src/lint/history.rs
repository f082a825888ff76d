//! `--since REV`: the migrations as they were on a git revision, read with git itself
//! (`git ls-tree`, `git cat-file --batch`), to tell new and edited migrations from old ones.

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::Stdio;

use crate::workspace::git::git;

use crate::error::Error;
use crate::workspace::Service;

/// One service's migrations on the revision: folder name -> `migration.sql` bytes.
#[derive(Debug, Default)]
pub struct Baseline {
    /// The revision as given (`origin/main`).
    pub rev: String,
    pub migrations: BTreeMap<String, Vec<u8>>,
}

impl Baseline {
    /// Whether `sql` differs from the revision's text, line endings aside (as the checksum
    /// comparison of `migrate`).
    pub fn edited(&self, name: &str, sql: &[u8]) -> Option<bool> {
        let old = self.migrations.get(name)?;
        Some(!same_text(old, sql))
    }
}

/// Whether two versions of a file hold the same text, line endings aside.
pub(crate) fn same_text(a: &[u8], b: &[u8]) -> bool {
    let text = |bytes: &[u8]| {
        bytes
            .iter()
            .copied()
            .filter(|&b| b != b'\r')
            .collect::<Vec<_>>()
    };
    a == b || text(a) == text(b)
}

fn usage(message: String) -> Error {
    Error::Config(message)
}

/// The migrations of `services` on `rev`, by service name.
pub(crate) fn load(
    root: &Path,
    rev: &str,
    services: &[Service],
) -> Result<HashMap<String, Baseline>, Error> {
    let commit = crate::workspace::git::commit(root, "--since", rev, "lint without --since")?;

    // Paths relative to `root`, as git prints them when run there.
    let dirs: Vec<(String, String)> = services
        .iter()
        .filter_map(|s| {
            let rel = s
                .migrations_dir()
                .strip_prefix(root)
                .ok()?
                .to_str()?
                .replace('\\', "/");
            Some((s.name.clone(), rel))
        })
        .collect();
    let listing = git(root)
        .args(["ls-tree", "-r", "-z", &commit, "--"])
        .args(dirs.iter().map(|(_, d)| d))
        .output()
        .map_err(|e| usage(format!("git ls-tree: {e}")))?;
    if !listing.status.success() {
        return Err(usage(format!(
            "git ls-tree {commit}: {}",
            String::from_utf8_lossy(&listing.stderr).trim()
        )));
    }
    // `<mode> blob <sha>\t<path>`; keep `<dir>/<folder>/migration.sql`.
    let mut wanted: Vec<(String, String, String)> = Vec::new(); // service, folder, sha
    for entry in listing.stdout.split(|&b| b == 0).filter(|e| !e.is_empty()) {
        let entry = String::from_utf8_lossy(entry);
        let Some((meta, path)) = entry.split_once('\t') else {
            continue;
        };
        let mut meta = meta.split(' ');
        let (Some(_), Some("blob"), Some(sha)) = (meta.next(), meta.next(), meta.next()) else {
            continue;
        };
        for (service, dir) in &dirs {
            if let Some(folder) = path
                .strip_prefix(dir.as_str())
                .and_then(|p| p.strip_prefix('/'))
                .and_then(|p| p.strip_suffix("/migration.sql"))
                .filter(|f| !f.contains('/'))
            {
                wanted.push((service.clone(), folder.to_string(), sha.to_string()));
            }
        }
    }

    let mut baselines: HashMap<String, Baseline> = services
        .iter()
        .map(|s| {
            let baseline = Baseline {
                rev: rev.to_string(),
                ..Baseline::default()
            };
            (s.name.clone(), baseline)
        })
        .collect();
    let contents = cat_files(root, wanted.iter().map(|(_, _, sha)| sha.as_str()))?;
    for ((service, folder, _), bytes) in wanted.into_iter().zip(contents) {
        baselines
            .get_mut(&service)
            .expect("one per service")
            .migrations
            .insert(folder, bytes);
    }
    Ok(baselines)
}

/// The contents of blobs, in order, through one `git cat-file --batch`.
fn cat_files<'a>(root: &Path, shas: impl Iterator<Item = &'a str>) -> Result<Vec<Vec<u8>>, Error> {
    let shas: Vec<&str> = shas.collect();
    if shas.is_empty() {
        return Ok(Vec::new());
    }
    let mut child = git(root)
        .args(["cat-file", "--batch"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| usage(format!("git cat-file: {e}")))?;
    let mut stdin = child.stdin.take().expect("piped");
    let input: String = shas.iter().map(|s| format!("{s}\n")).collect();
    // Written from a thread: git answers while we write, and both pipes can fill up.
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let mut out = BufReader::new(child.stdout.take().expect("piped"));
    let mut contents = Vec::with_capacity(shas.len());
    let mut header = String::new();
    for sha in &shas {
        header.clear();
        out.read_line(&mut header)
            .map_err(|e| usage(format!("git cat-file: {e}")))?;
        let size: usize = header
            .split(' ')
            .nth(2)
            .and_then(|s| s.trim().parse().ok())
            .ok_or_else(|| {
                usage(format!(
                    "git cat-file: unexpected answer for {sha}: {header}"
                ))
            })?;
        let mut bytes = vec![0; size + 1]; // the content and its trailing newline
        out.read_exact(&mut bytes)
            .map_err(|e| usage(format!("git cat-file: {e}")))?;
        bytes.pop();
        contents.push(bytes);
    }
    let _ = writer.join();
    let _ = child.wait();
    Ok(contents)
}
