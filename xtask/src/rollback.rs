//! `cargo xtask rollback`.

use shared_migrate::{ExitCode, Undo, Workspace, migration_lock, rollback};

use crate::cx;
use crate::flags::Rollback;

impl Rollback {
    pub fn run(self, ws: &Workspace) -> anyhow::Result<ExitCode> {
        let (service, url) = cx::one_service(ws, &self.target)?;
        let (undo, what) = match (self.steps, self.to) {
            (Some(n), _) => (
                Undo::Steps(n),
                format!(
                    "the last {} applied",
                    shared_migrate::plural(n, "migration")
                ),
            ),
            (_, Some(name)) => (
                Undo::To(name.clone()),
                format!("every applied migration after {name}"),
            ),
            _ => unreachable!("clap requires one"),
        };
        if !self.yes
            && !cx::confirm(&format!(
                "Undo {what} of `{}` on {url} (proved on a throwaway database first)?",
                service.name
            ))?
        {
            eprintln!("nothing was changed");
            return Ok(ExitCode::Usage);
        }
        let throwaway = cx::Throwaway::new(ws)?;
        let places = throwaway.places(ws, Some(url.clone()));
        let lock = migration_lock(&ws.root, &service, self.lock_timeout.wait.0)?;
        let done = rollback(
            &places,
            &service,
            &url,
            &undo,
            self.accept_data_loss,
            self.backup.as_deref(),
            lock,
        )?;
        if done.undone.is_empty() {
            println!("{}: nothing to undo", service.name);
            return Ok(ExitCode::Success);
        }
        if let Some(b) = &done.backup {
            println!("{}: backed up to {}", service.name, b.path.display());
        }
        for (name, from) in &done.undone {
            println!("{}: undone {name} ({from})", service.name);
        }
        println!(
            "{}: {} rolled back on {url}; the folders stay: `cargo xtask migrate` applies them again (delete a folder to drop it for good)",
            service.name,
            shared_migrate::plural(done.undone.len(), "migration")
        );
        Ok(ExitCode::Success)
    }
}
