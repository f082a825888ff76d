//! `cargo xtask resolve`.

use shared_migrate::{ExitCode, Resolution, Workspace, migration_lock, resolve};

use crate::cx;
use crate::flags::Resolve;

impl Resolve {
    pub fn run(self, ws: &Workspace) -> anyhow::Result<ExitCode> {
        let (service, url) = cx::one_service(ws, &self.target)?;
        let (name, how) = match (self.applied, self.rolled_back) {
            (Some(n), _) => (n, Resolution::Applied),
            (_, Some(n)) => (n, Resolution::RolledBack),
            _ => unreachable!("clap requires one"),
        };
        let done = resolve(
            &service,
            &url,
            &name,
            how,
            migration_lock(&ws.root, &service, self.lock_timeout.wait.0)?,
        )?;
        println!("{}: {done}", service.name);
        Ok(ExitCode::Success)
    }
}
