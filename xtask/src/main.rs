//! `cargo xtask`: the command line. Parses the flags ([`flags`]), runs the command (one module
//! each), and exits with the documented code. Logic lives in `shared_migrate`; this crate only
//! reads flags, prints, and asks for confirmation.

mod affected;
mod baseline;
mod bench;
mod ci_plan;
mod cx;
mod diff;
mod flags;
mod lint;
mod live;
mod migrate;
mod new;
mod reset;
mod resolve;
mod status;
mod verify;

use std::process::ExitCode as ProcessExit;

use clap::Parser;
use shared_migrate::ExitCode;

fn main() -> ProcessExit {
    let flags = match flags::Xtask::try_parse() {
        Ok(f) => f,
        Err(e) => {
            let _ = e.print();
            // `diff` follows Prisma's --exit-code, where 2 means "differences": its usage
            // errors exit 1, like its other errors.
            let is_diff = std::env::args().skip(1).any(|a| a == "diff");
            let code = match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => 0,
                _ if is_diff => 1,
                _ => e.exit_code(),
            };
            return ProcessExit::from(code as u8);
        }
    };
    let is_diff = matches!(flags.command, flags::Command::Diff(_));
    let result = run(flags);
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

fn run(flags: flags::Xtask) -> anyhow::Result<ExitCode> {
    let ws = cx::workspace(flags.root)?;
    match flags.command {
        flags::Command::Migrate(f) => f.run(&ws),
        flags::Command::Status(f) => f.run(&ws),
        flags::Command::Resolve(f) => f.run(&ws),
        flags::Command::New(f) => f.run(&ws),
        flags::Command::Reset(f) => f.run(&ws),
        flags::Command::Baseline(f) => f.run(&ws),
        flags::Command::Verify(f) => f.run(&ws),
        flags::Command::Lint(f) => f.run(&ws),
        flags::Command::Diff(f) => f.run(&ws),
        flags::Command::Affected(f) => f.run(&ws),
        flags::Command::CiPlan(f) => f.run(&ws),
        flags::Command::Bench(f) => f.run(&ws),
    }
}
