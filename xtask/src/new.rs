//! `cargo xtask new` (and `new --revert`).

use shared_migrate::{ExitCode, Workspace, new_migration, new_revert, plural};

use crate::flags::New;

impl New {
    pub fn run(self, ws: &Workspace) -> anyhow::Result<ExitCode> {
        let service = ws.select(&[self.service])?.remove(0);
        if let Some(target) = &self.revert {
            let (path, r) = new_revert(&ws.root, &service, target)?;
            println!(
                "created {}: {} reversed, {} marked TODO(revert) for you to finish",
                path.display(),
                plural(r.reversed, "statement"),
                r.todos
            );
            println!(
                "review it, then `cargo xtask lint` (it fails while TODO(revert) markers remain)"
            );
            return Ok(ExitCode::Success);
        }
        let name = self.name.expect("clap requires a name without --revert");
        let path = new_migration(&ws.root, &service, &name)?;
        println!("created {}", path.display());
        Ok(ExitCode::Success)
    }
}
