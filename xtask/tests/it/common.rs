//! Helpers shared by the end-to-end tests of the `cargo xtask` binary.

#![allow(dead_code)] // each test file uses a part

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// This repository's root (the example monorepo).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The binary on `root`, as CI runs it: no inherited DATABASE_URL, CI=true.
pub fn xtask(root: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_xtask"));
    c.env_remove("DATABASE_URL")
        .env_remove("GITHUB_ACTIONS")
        .env("CI", "true")
        .env("XTASK_TEMPLATE_CACHE", test_support::template_cache())
        .arg("--root")
        .arg(root);
    c
}

/// What a run printed and returned.
pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub pid: u32,
}

/// Starts the command with its output captured.
pub fn spawn(cmd: &mut Command) -> Child {
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    // A binary this process has just copied (bad_inputs' unprivileged copy) cannot be run while
    // a child that another test thread is starting still holds the copy's descriptor between
    // its fork and its exec (ETXTBSY): that lasts a moment, so it is tried again.
    let mut tries = 0;
    loop {
        match cmd.spawn() {
            Err(e) if e.kind() == std::io::ErrorKind::ExecutableFileBusy && tries < 100 => {
                tries += 1;
                std::thread::sleep(Duration::from_millis(10));
            }
            spawned => return spawned.expect("run xtask"),
        }
    }
}

pub fn run(cmd: &mut Command) -> Out {
    let child = spawn(cmd);
    let pid = child.id();
    let o = child.wait_with_output().expect("wait for xtask");
    Out {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        pid,
    }
}

/// `verify --backend local --no-lint --format json` on `root`, then `args`: the run and its
/// JSON report (the test fails, showing the output, when there is none).
pub fn verify_json(root: &Path, args: &[&str]) -> (Out, serde_json::Value) {
    let out = run(xtask(root)
        .args([
            "verify",
            "--backend",
            "local",
            "--no-lint",
            "--format",
            "json",
        ])
        .args(args));
    let json = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}{}", out.stdout, out.stderr));
    (out, json)
}

/// The step `name` of one service's verify report.
pub fn step<'a>(report: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    report["steps"]
        .as_array()
        .and_then(|steps| steps.iter().find(|s| s["name"] == name))
        .unwrap_or_else(|| panic!("no {name} step: {report}"))
}

impl Out {
    /// (exit code, stdout, stderr, pid), for destructuring.
    pub fn parts(self) -> (i32, String, String, u32) {
        (self.code, self.stdout, self.stderr, self.pid)
    }
}

/// Runs, and requires that neither stdout nor stderr shows `secret` (a password).
pub fn run_hiding(what: &str, cmd: &mut Command, secret: &str) -> Out {
    let out = run(cmd);
    for (stream, text) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
        assert!(
            !text.contains(secret),
            "{what}: password in {stream}:\n{text}"
        );
    }
    out
}

/// A test cluster's URL (user `postgres`) with `password` in it. The clusters trust any
/// password, so it still connects, and whatever prints or stores it can be caught.
pub fn with_password(url: &shared_migrate::DatabaseUrl, password: &str) -> String {
    url.expose().replacen(
        "postgresql://postgres@",
        &format!("postgresql://postgres:{password}@"),
        1,
    )
}

/// Polls `done` every `every` until it holds or `limit` has passed.
pub fn wait_for(limit: Duration, every: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !done() && Instant::now() < deadline {
        std::thread::sleep(every);
    }
}

/// Sends Ctrl-C (SIGINT) to `child` and requires the documented exit code 130.
pub fn interrupt(child: Child) -> Output {
    // SAFETY: signalling our own child, which has not been waited for yet.
    assert_eq!(
        unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) },
        0
    );
    let out = child.wait_with_output().expect("wait for xtask");
    assert_eq!(
        out.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Runs git in `root` as a throwaway identity (no signing); the test fails if git does.
pub fn git(root: &Path, args: &[&str]) {
    let status = Command::new("git")
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .current_dir(root)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "git {args:?}");
}

/// The single value `sql` selects on `url` (a count, mostly).
pub fn count(url: &shared_migrate::DatabaseUrl, sql: &str) -> i64 {
    shared_migrate::connect(url)
        .unwrap()
        .query_one(sql, &[])
        .unwrap()
        .get(0)
}

/// `cargo xtask ARGS` on `root`, the service `svc`'s database being `url`.
pub fn on_svc(root: &Path, url: &shared_migrate::DatabaseUrl, args: &[&str]) -> Out {
    run(xtask(root).args(args).env("SVC_DATABASE_URL", url.expose()))
}

/// The migration folders of service `svc` in `repo` (those dated 2025), in order.
pub fn folders(repo: &test_support::TempRepo) -> Vec<String> {
    let mut names: Vec<String> =
        std::fs::read_dir(repo.root().join("services/svc/prisma/migrations"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with("2025"))
            .collect();
    names.sort();
    names
}

/// The processes called `name` (their `comm`) that descend from `pid`: this test's own, not
/// another one's running at the same time.
pub fn descendants_named(pid: u32, name: &str) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| {
            let found: u32 = e.file_name().to_str()?.parse().ok()?;
            let comm = std::fs::read_to_string(e.path().join("comm")).ok()?;
            (comm.trim() == name && descends_from(&e.path(), pid)).then_some(found)
        })
        .collect()
}

/// Whether process `pid` still runs as `name`.
pub fn running_as(pid: u32, name: &str) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|c| c.trim() == name)
}

fn descends_from(dir: &Path, ancestor: u32) -> bool {
    let mut stat = std::fs::read_to_string(dir.join("stat")).unwrap_or_default();
    for _ in 0..32 {
        // `pid (comm) state ppid ...`: the parent is the second field after the name.
        let Some(ppid) = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(1))
            .and_then(|p| p.parse::<u32>().ok())
        else {
            return false;
        };
        if ppid == ancestor {
            return true;
        }
        if ppid <= 1 {
            return false;
        }
        stat = std::fs::read_to_string(format!("/proc/{ppid}/stat")).unwrap_or_default();
    }
    false
}
