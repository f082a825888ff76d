//! `cargo xtask new` (empty, `--from-schema`, or `--revert`).

use anyhow::Context;
use shared_migrate::{
    ExitCode, GeneratedMigration, IN_SYNC, Places, Workspace, from_schema, new_migration,
    new_revert, plural,
};

use crate::cx;
use crate::flags::New;

impl New {
    pub fn run(self, ws: &Workspace) -> anyhow::Result<ExitCode> {
        let service = cx::named(ws, self.service.as_deref())?;
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
        let name = self
            .name
            .or(self.name_flag)
            .context("name the migration: cargo xtask new -s SERVICE NAME (or --name NAME)")?;
        // Like `prisma migrate dev --create-only`: the SQL for schema.prisma's changes, unless
        // asked for an empty file or the service has no schema.
        let generate = !self.empty && (self.from_schema || service.layout.schema.is_some());
        if !generate {
            let path = new_migration(&ws.root, &service, &name)?;
            println!("created {}", path.display());
            return Ok(ExitCode::Success);
        }
        shared_migrate::install_signal_handler();
        let backend = cx::throwaway_backend(ws)?;
        let url = cx::targets(vec![service.clone()], None).remove(0).url.ok();
        let places = Places {
            ws,
            url,
            backend: backend.as_ref(),
        };
        match from_schema(&service, &name, &places, self.allow_empty_schema)? {
            GeneratedMigration::InSync if self.from_schema => println!("{IN_SYNC}"),
            GeneratedMigration::InSync => {
                // Nothing to generate: the empty migration asked for, to write by hand.
                let path = new_migration(&ws.root, &service, &name)?;
                println!(
                    "{IN_SYNC}\ncreated {} (empty, to write by hand)",
                    path.display()
                );
            }
            GeneratedMigration::Written {
                path,
                warnings,
                renames,
            } => {
                println!("created {} from schema.prisma", path.display());
                for w in warnings {
                    println!("warning: {w}");
                }
                for r in renames {
                    println!("hint: {r}");
                }
            }
        }
        Ok(ExitCode::Success)
    }
}
