//! `cargo xtask`: the command line. Parses the flags ([`flags`]), runs the command (one module
//! each), and exits with the documented code. Logic lives in `shared_migrate`; this crate only
//! reads flags, prints, and asks for confirmation.

mod baseline;
mod bench;
mod cx;
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
    let flags = flags::Xtask::parse();
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
            let code = e
                .downcast_ref::<shared_migrate::Error>()
                .map_or(ExitCode::Usage, |e| e.exit_code());
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
        flags::Command::Bench(f) => f.run(&ws),
    }
}
