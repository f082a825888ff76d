//! `cargo xtask resolve`.

use shared_migrate::{ExitCode, Resolution, Workspace, accept_checksum, migration_lock, resolve};

use crate::cx;
use crate::flags::Resolve;

impl Resolve {
    pub fn run(self, ws: &Workspace) -> anyhow::Result<ExitCode> {
        let (service, url) = cx::one_service(ws, &self.target)?;
        let lock = migration_lock(&ws.root, &service, self.lock_timeout.wait.0)?;
        if let Some(name) = self.checksum {
            let throwaway = cx::Throwaway::new(ws)?;
            let places = throwaway.places(ws, Some(url.clone()));
            let done = accept_checksum(&places, &service, &url, &name, lock)?;
            println!(
                "{}: the edit of `{name}` is harmless (the history builds the same schema as with {}): checksum {} recorded in place of {} on {url}",
                service.name,
                done.against,
                &done.new[..12],
                &done.old[..12.min(done.old.len())]
            );
            return Ok(ExitCode::Success);
        }
        let (name, how) = match (self.applied, self.rolled_back) {
            (Some(n), _) => (n, Resolution::Applied),
            (_, Some(n)) => (n, Resolution::RolledBack),
            _ => unreachable!("clap requires one"),
        };
        let done = resolve(&service, &url, &name, how, lock)?;
        println!("{}: {done}", service.name);
        Ok(ExitCode::Success)
    }
}
