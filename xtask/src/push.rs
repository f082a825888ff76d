//! `cargo xtask push` (Prisma's `db push`, development only).

use shared_migrate::{ExitCode, Pushed, Workspace, check_local, push};

use crate::cx;
use crate::flags::Push;

impl Push {
    pub fn run(self, ws: &Workspace) -> anyhow::Result<ExitCode> {
        let (service, url) = cx::one_service(ws, &self.target)?;
        check_local(
            &service,
            &url,
            self.force,
            "push",
            "push changes its tables without a migration",
        )?;
        let throwaway = cx::Throwaway::new(ws)?;
        let places = throwaway.places(ws, Some(url.clone()));
        match push(&service, &places, self.accept_data_loss, self.force_reset)? {
            Pushed::InSync => {
                println!(
                    "{}: the database is already in sync with schema.prisma",
                    service.name
                );
                Ok(ExitCode::Success)
            }
            Pushed::Applied { script, warnings } => {
                for w in &warnings {
                    eprintln!("{}: accepted: {w}", service.name);
                }
                let statements = script.matches(';').count();
                println!(
                    "{}: {url} now matches schema.prisma ({statements} statements, one transaction; no migration written, no ledger row)",
                    service.name
                );
                Ok(ExitCode::Success)
            }
            Pushed::DataLoss { warnings } => {
                eprintln!(
                    "{}: nothing was pushed: these changes lose data or may fail on the rows there:",
                    service.name
                );
                for w in &warnings {
                    eprintln!("  - {w}");
                }
                eprintln!(
                    "pass --accept-data-loss to apply them, or --force-reset to start from an empty schema"
                );
                Ok(ExitCode::Usage)
            }
        }
    }
}
