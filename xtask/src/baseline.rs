//! `cargo xtask baseline`.

use shared_migrate::{
    ExitCode, Workspace, baseline, baseline_preview, database_against_history, migration_lock,
    plural,
};

use crate::cx;
use crate::flags::Baseline;

impl Baseline {
    pub fn run(self, ws: &Workspace) -> anyhow::Result<ExitCode> {
        let (service, url) = cx::one_service(ws, &self.target)?;
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
        // Recording is right only if they built what the database holds: checked first.
        if !self.force {
            let throwaway = cx::Throwaway::new(ws)?;
            let places = throwaway.places(ws, Some(url.clone()));
            let report = database_against_history(&service, up_to, &places);
            report.result?;
            if !report.differences.is_empty() {
                eprintln!(
                    "{}: the database differs from what these migrations build, so recording them as applied would hide the difference:",
                    service.name
                );
                for d in &report.differences {
                    eprintln!("  - {}", d.message);
                }
                eprintln!(
                    "nothing was recorded: baseline up to the migration the database matches (--up-to NAME), fix the database, or pass --force to record them anyway"
                );
                return Ok(ExitCode::Usage);
            }
            println!(
                "{}: the database matches what they build (checked on a throwaway database)",
                service.name
            );
        }
        if !self.yes && !cx::confirm(&format!("Record them as applied on {url}?"))? {
            println!("nothing was recorded");
            return Ok(ExitCode::Usage);
        }
        let done = baseline(
            &service,
            &url,
            up_to,
            migration_lock(&ws.root, &service, self.lock_timeout.wait.0)?,
        )?;
        println!(
            "{}: {} recorded; `cargo xtask migrate` now applies only the later ones",
            service.name,
            done.len()
        );
        Ok(ExitCode::Success)
    }
}
