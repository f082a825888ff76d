//! `cargo xtask baseline`.

use shared_migrate::{ExitCode, Workspace, baseline, baseline_preview, plural};

use crate::cx;
use crate::flags::Baseline;

impl Baseline {
    pub fn run(self, ws: &Workspace) -> anyhow::Result<ExitCode> {
        let (service, url) =
            cx::one_service(ws, self.service.as_deref(), self.database_url.as_deref())?;
        let up_to = self.up_to.as_deref();
        let todo = baseline_preview(&service, &url, up_to)?;
        if todo.is_empty() {
            println!(
                "{}: nothing to baseline: every selected migration is already recorded as applied",
                service.name
            );
            return Ok(ExitCode::Success);
        }
        println!(
            "{}: recording {} as applied without running them:",
            service.name,
            plural(todo.len(), "migration")
        );
        for name in &todo {
            println!("  {name}");
        }
        let done = baseline(&service, &url, up_to, self.lock_timeout.wait.0)?;
        println!(
            "{}: {} recorded; `cargo xtask migrate` now applies only the later ones",
            service.name,
            done.len()
        );
        Ok(ExitCode::Success)
    }
}
