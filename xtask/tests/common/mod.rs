//! Helpers shared by the end-to-end tests of the `cargo xtask` binary.

#![allow(dead_code)] // each test file uses a part

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

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

pub fn run(cmd: &mut Command) -> Out {
    let child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run xtask");
    let pid = child.id();
    let o = child.wait_with_output().expect("wait for xtask");
    Out {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        pid,
    }
}

impl Out {
    /// (exit code, stdout, stderr, pid), for destructuring.
    pub fn parts(self) -> (i32, String, String, u32) {
        (self.code, self.stdout, self.stderr, self.pid)
    }
}
