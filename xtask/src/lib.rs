//! `cargo xtask`, the command line, as a library too: a monorepo's own xtask can run it whole
//! ([`main`]) or take its commands into its own command enum (`#[command(flatten)]` of
//! [`Command`], then [`run`]). Parses the flags ([`flags`]), runs the command (one module each),
//! and exits with the documented code. Logic lives in `shared_migrate`; this crate only reads
//! flags, prints, and asks for confirmation.

mod affected;
mod baseline;
mod bench;
mod ci_plan;
mod cx;
mod dev;
mod diff;
mod flags;
mod lint;
mod live;
mod migrate;
mod new;
mod push;
mod rebase;
mod reset;
mod resolve;
mod rollback;
mod seed;
mod squash;
mod status;
mod verify;

use std::path::PathBuf;
use std::process::ExitCode as ProcessExit;

use clap::Parser;
use shared_migrate::ExitCode;

pub use flags::{Command, Xtask};

/// `cargo xtask ...`: parses the process's arguments, runs the command, returns the exit code.
pub fn main() -> ProcessExit {
    let flags = match Xtask::try_parse() {
        Ok(f) => f,
        Err(e) => {
            let _ = e.print();
            // `diff` follows Prisma's --exit-code, where 2 means "differences": its usage
            // errors exit 1, like its other errors. The subcommand is the first positional
            // argument (a service or a value named `diff` elsewhere changes nothing).
            let is_diff = subcommand(std::env::args().skip(1)).as_deref() == Some("diff");
            let code = match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => 0,
                _ if is_diff => 1,
                _ => e.exit_code(),
            };
            return ProcessExit::from(code as u8);
        }
    };
    run(flags.command, flags.root)
}

/// Runs one command on the monorepo at `root` (default: `XTASK_ROOT`, else found from the
/// current directory), printing as `cargo xtask` does; the documented exit code.
pub fn run(command: Command, root: Option<PathBuf>) -> ProcessExit {
    let root = root.or_else(|| {
        std::env::var_os("XTASK_ROOT")
            .filter(|r| !r.is_empty())
            .map(PathBuf::from)
    });
    let is_diff = matches!(command, Command::Diff(_));
    let result = cx::workspace(root).and_then(|ws| dispatch(command, &ws));
    shared_migrate::report_own_peak();
    if shared_migrate::interrupted() {
        // The signal handler is cleaning up and exits with 130.
        loop {
            std::thread::park();
        }
    }
    match result {
        Ok(code) => ProcessExit::from(code.code() as u8),
        Err(e) => {
            let code = match e.downcast_ref::<shared_migrate::Error>() {
                // `diff` keeps 2 for "differences": every error is 1 there.
                _ if is_diff => ExitCode::Failure,
                Some(e) => e.exit_code(),
                None => ExitCode::Usage,
            };
            eprintln!("error: {e:#}");
            ProcessExit::from(code.code() as u8)
        }
    }
}

fn dispatch(command: Command, ws: &shared_migrate::Workspace) -> anyhow::Result<ExitCode> {
    match command {
        Command::Migrate(f) => f.run(ws),
        Command::Status(f) => f.run(ws),
        Command::Resolve(f) => f.run(ws),
        Command::New(f) => f.run(ws),
        Command::Reset(f) => f.run(ws),
        Command::Seed(f) => f.run(ws),
        Command::Push(f) => f.run(ws),
        Command::Dev(f) => f.run(ws),
        Command::Baseline(f) => f.run(ws),
        Command::Rebase(f) => f.run(ws),
        Command::Rollback(f) => f.run(ws),
        Command::Squash(f) => f.run(ws),
        Command::Verify(f) => f.run(ws),
        Command::Lint(f) => f.run(ws),
        Command::Diff(f) => f.run(ws),
        Command::Affected(f) => f.run(ws),
        Command::CiPlan(f) => f.run(ws),
        Command::Bench(f) => f.run(ws),
    }
}

/// The first positional argument: the subcommand (`--root DIR` and other flags skipped).
fn subcommand(args: impl Iterator<Item = String>) -> Option<String> {
    let mut args = args.peekable();
    while let Some(a) = args.next() {
        if a == "--root" {
            args.next();
        } else if !a.starts_with('-') {
            return Some(a);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_subcommand_is_the_first_positional_argument() {
        let sub = |args: &[&str]| super::subcommand(args.iter().map(|s| s.to_string()));
        assert_eq!(sub(&["migrate", "-s", "diff"]).as_deref(), Some("migrate"));
        assert_eq!(sub(&["--root", "diff", "lint"]).as_deref(), Some("lint"));
        assert_eq!(sub(&["--root=/x", "diff"]).as_deref(), Some("diff"));
    }
}
