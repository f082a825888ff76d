//! `cargo xtask reset` (development only).

use shared_migrate::{ExitCode, Workspace, check_reset_allowed};

use crate::cx;
use crate::flags::Reset;

impl Reset {
    pub fn run(self, ws: &Workspace) -> anyhow::Result<ExitCode> {
        let (service, url) = cx::one_service(ws, &self.target)?;
        check_reset_allowed(&service, &url, self.force)?;
        let question = format!(
            "Reset service `{}`? This deletes every table and row of schema `{}` in {url}, then applies every migration and the seed.",
            service.name, url.schema
        );
        let Some(done) = cx::reset_confirmed(
            ws,
            &service,
            &url,
            &question,
            self.yes,
            self.lock_timeout.wait.0,
        )?
        else {
            eprintln!("reset cancelled: nothing was changed");
            return Ok(ExitCode::Usage);
        };
        println!(
            "{}: reset {}: {} migrations applied; seed: {}",
            done.service, done.url, done.applied, done.seed
        );
        Ok(ExitCode::Success)
    }
}
