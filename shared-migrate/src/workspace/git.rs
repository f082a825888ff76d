//! git, run as a program in the monorepo: `--since REV` reads history with git itself.

use std::path::Path;
use std::process::Command;

use crate::error::Error;

/// `git -C root`.
pub(crate) fn git(root: &Path) -> Command {
    let mut cmd = crate::process::command("git");
    cmd.arg("-C").arg(root);
    cmd
}

/// The commit `rev` names (`--since REV`); `instead` says what to do without git, e.g.
/// "lint without --since".
pub(crate) fn commit(root: &Path, flag: &str, rev: &str, instead: &str) -> Result<String, Error> {
    let verified = git(root)
        .args(["rev-parse", "--verify", "--quiet", "--end-of-options"])
        .arg(format!("{rev}^{{commit}}"))
        .output()
        .map_err(|e| {
            Error::Config(format!(
                "{flag} {rev}: cannot run git: {e}; install git, or {instead}"
            ))
        })?;
    if !verified.status.success() {
        return Err(Error::Config(format!(
            "{flag} {rev}: not a commit in the repository at {}: fetch it first (e.g. `git fetch origin main`) or name another revision",
            root.display()
        )));
    }
    Ok(String::from_utf8_lossy(&verified.stdout).trim().to_string())
}

/// Runs git and returns its output, or an error naming the command.
pub(crate) fn output(root: &Path, args: &[&str]) -> Result<Vec<u8>, Error> {
    let out = git(root)
        .args(args)
        .output()
        .map_err(|e| Error::Config(format!("git {}: {e}", args.join(" "))))?;
    if !out.status.success() {
        return Err(Error::Config(format!(
            "git {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(out.stdout)
}
