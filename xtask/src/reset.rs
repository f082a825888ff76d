//! `cargo xtask reset` (development only).

use shared_migrate::{ExitCode, Workspace, check_reset_allowed, migration_lock, reset};

use crate::cx;
use crate::flags::Reset;

impl Reset {
    pub fn run(self, ws: &Workspace) -> anyhow::Result<ExitCode> {
        let (service, url) = cx::one_service(ws, &self.target)?;
        check_reset_allowed(&service, &url, self.force)?;
        if !self.yes
            && !cx::confirm(&format!(
                "Reset service `{}`? This deletes every table and row of schema `{}` in {url}, then applies every migration and the seed.",
                service.name, url.schema
            ))?
        {
            eprintln!("reset cancelled: nothing was changed");
            return Ok(ExitCode::Usage);
        }
        let done = reset(
            ws,
            &service,
            &url,
            migration_lock(&ws.root, &service, self.lock_timeout.wait.0)?,
            &cx::progress,
        )?;
        println!(
            "{}: reset {}: {} migrations applied; seed: {}",
            done.service, done.url, done.applied, done.seed
        );
        Ok(ExitCode::Success)
    }
}
