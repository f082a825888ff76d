//! `cargo xtask rebase`.

use shared_migrate::{ExitCode, Workspace, rebase};

use crate::cx;
use crate::flags::Rebase;

impl Rebase {
    pub fn run(self, ws: &Workspace) -> anyhow::Result<ExitCode> {
        let service = cx::named(ws, self.service.as_deref())?;
        let done = rebase(&ws.root, &service, &self.onto, self.force)?;
        let Some(newest) = &done.newest_on_rev else {
            println!(
                "{}: no migrations on {}: nothing to rename",
                service.name, self.onto
            );
            return Ok(ExitCode::Success);
        };
        if done.renamed.is_empty() {
            println!(
                "{}: every migration of this branch already sorts after {newest} ({}): nothing to rename",
                service.name, self.onto
            );
            return Ok(ExitCode::Success);
        }
        for o in &done.overlaps {
            eprintln!(
                "warning[{}]: {} and {} (on {}) both change {} (--force)",
                service.name,
                o.ours,
                o.theirs,
                self.onto,
                o.tables.join(", ")
            );
        }
        for (from, to) in &done.renamed {
            println!("{}: {from} -> {to}", service.name);
        }
        println!(
            "{}: {} renamed after {newest}, contents unchanged",
            service.name,
            done.renamed.len()
        );
        if self.no_verify {
            return Ok(ExitCode::Success);
        }
        // The renamed history, proved as CI proves it: verify of the service, run as its own
        // command so that it is exactly `cargo xtask verify -s S`.
        let status = std::process::Command::new(std::env::current_exe()?)
            .arg("--root")
            .arg(&ws.root)
            .args(["verify", "-s", &service.name])
            .status()?;
        Ok(match status.code() {
            Some(0) => ExitCode::Success,
            _ => ExitCode::Failure,
        })
    }
}
