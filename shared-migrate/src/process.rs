//! Every process the tool starts: [`command`] gives it an environment without anybody's
//! database settings; configured commands (seeds, tests) run as argument lists without a shell
//! (xshell), in the service's directory, with a time limit, their output captured.

use std::ffi::OsString;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::cleanup;

/// A command for `program` whose environment holds no database settings of the caller's:
/// libpq's `PG*` variables (`PGSERVICE` outranks `PGHOST`, `PGPASSFILE` and `PGOPTIONS` reach
/// elsewhere), `DATABASE_URL` and every `<SERVICE>_DATABASE_URL` (a production URL in a CI
/// runner's environment). A child that must reach a database is given its URL explicitly.
/// Every process the tool starts is made here.
pub fn command(program: impl AsRef<std::ffi::OsStr>) -> std::process::Command {
    let mut cmd = std::process::Command::new(program);
    forget_databases(&mut cmd, &[]);
    cmd
}

/// Removes from `cmd`'s environment what [`command`] removes, and the variables `also` names
/// (those the services' datasources read).
pub(crate) fn forget_databases(cmd: &mut std::process::Command, also: &[String]) {
    for (key, _) in std::env::vars_os() {
        let Some(key) = key.to_str() else { continue };
        if is_database_setting(key) || also.iter().any(|a| a == key) {
            cmd.env_remove(key);
        }
    }
}

/// libpq's variables (every `PG*`), `DATABASE_URL` and `<ANYTHING>_DATABASE_URL`.
pub(crate) fn is_database_setting(key: &str) -> bool {
    key.starts_with("PG") || key == "DATABASE_URL" || key.ends_with("_DATABASE_URL")
}

pub(crate) struct Finished {
    /// stdout and stderr, interleaved as written.
    pub output: String,
}

pub(crate) enum CommandFailure {
    /// Could not start: the program is missing, or the directory.
    Spawn(String),
    Exit {
        code: Option<i32>,
        output: String,
    },
    TimedOut {
        output: String,
    },
}

impl CommandFailure {
    pub(crate) fn describe(&self, argv: &[String], timeout: Duration) -> String {
        let cmd = argv.join(" ");
        match self {
            CommandFailure::Spawn(e) => format!("`{cmd}` could not be started: {e}"),
            CommandFailure::Exit { code, output } => format!(
                "`{cmd}` failed ({}); its output:\n{}",
                code.map_or("killed by a signal".to_string(), |c| format!(
                    "exit code {c}"
                )),
                tail(output, 80)
            ),
            CommandFailure::TimedOut { output } => format!(
                "`{cmd}` did not finish within {timeout:?} and was killed; its output:\n{}",
                tail(output, 80)
            ),
        }
    }
}

/// Runs `argv` in `dir` with `env` added to an environment without database settings (see
/// [`command`]; `forget` names more variables to remove), stdin closed, killing its whole
/// process group after `timeout` (or on Ctrl-C).
pub(crate) fn run(
    dir: &Path,
    argv: &[String],
    env: &[(String, OsString)],
    forget: &[String],
    timeout: Duration,
) -> Result<Finished, CommandFailure> {
    let start = Instant::now();
    let (program, args) = argv
        .split_first()
        .ok_or_else(|| CommandFailure::Spawn("empty command".into()))?;
    let sh = xshell::Shell::new().map_err(|e| CommandFailure::Spawn(e.to_string()))?;
    sh.change_dir(dir);
    let mut cmd: std::process::Command = sh.cmd(program).args(args).into();
    forget_databases(&mut cmd, forget);
    // Ours last: they win over what was forgotten.
    for (k, v) in env {
        cmd.env(k, v);
    }
    let log = tempfile::tempfile().map_err(|e| CommandFailure::Spawn(e.to_string()))?;
    let log_err = log
        .try_clone()
        .map_err(|e| CommandFailure::Spawn(e.to_string()))?;
    let log_read = log
        .try_clone()
        .map_err(|e| CommandFailure::Spawn(e.to_string()))?;
    cmd.stdin(std::process::Stdio::null())
        .stdout(log)
        .stderr(log_err)
        .process_group(0);
    let mut child = cmd
        .spawn()
        .map_err(|e| CommandFailure::Spawn(format!("{e} (in {})", dir.display())))?;
    let pgid = child.id() as i32;
    // SAFETY: signalling a process group we created.
    let kill = move || unsafe {
        libc::kill(-pgid, libc::SIGKILL);
    };
    let _guard = cleanup::register(kill);
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if start.elapsed() >= timeout => {
                kill();
                let _ = child.wait();
                break None;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => return Err(CommandFailure::Spawn(e.to_string())),
        }
    };
    // Children of the command that outlive it would hold the group: end them too.
    kill();
    let output = read_all(log_read);
    match status {
        None => Err(CommandFailure::TimedOut { output }),
        Some(s) if s.success() => Ok(Finished { output }),
        Some(s) => Err(CommandFailure::Exit {
            code: s.code(),
            output,
        }),
    }
}

fn read_all(mut f: std::fs::File) -> String {
    use std::io::{Read, Seek};
    let mut bytes = Vec::new();
    let _ = f.rewind();
    let _ = f.read_to_end(&mut bytes);
    String::from_utf8_lossy(&bytes).into_owned()
}

/// The last `n` lines of `text`, saying how many were left out.
pub(crate) fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    if lines.len() <= n {
        return text.trim_end().to_string();
    }
    format!(
        "[... {} lines above ...]\n{}",
        lines.len() - n,
        lines[lines.len() - n..].join("\n")
    )
}
