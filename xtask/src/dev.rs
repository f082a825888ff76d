//! `cargo xtask dev` (Prisma's `migrate dev`): the development loop in one command.

use anyhow::Context;
use shared_migrate::{
    ExitCode, GenerateOptions, GeneratedMigration, IN_SYNC, MigrateOptions, Source, Workspace,
    check_local, dev_check, dev_generate, diff_service, from_schema, migrate_all,
};

use crate::cx;
use crate::flags::Dev;

impl Dev {
    pub fn run(self, ws: &Workspace) -> anyhow::Result<ExitCode> {
        let (service, url) = cx::one_service(ws, &self.target)?;
        check_local(
            &service,
            &url,
            self.force,
            "dev",
            "dev applies migrations to it and may reset it",
        )?;
        let name = service.name.clone();
        let throwaway = cx::Throwaway::shadow_or_new(ws, &service)?;
        let places = throwaway.places(ws, Some(url.clone()));
        let mut changed = false;
        let check = dev_check(&service, &places)?;
        if !check.problems.is_empty() {
            eprintln!("{name}: the development database cannot be brought forward as it is:");
            for p in &check.problems {
                eprintln!("  - {p}");
            }
            let question = format!(
                "Reset it? Every table and row of schema `{}` in {url} is deleted, then every migration and the seed run.",
                url.schema
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
                eprintln!("nothing was changed");
                return Ok(ExitCode::Usage);
            };
            println!(
                "{name}: reset: {} migrations applied; seed: {}",
                done.applied, done.seed
            );
            changed = true;
        } else if !check.pending.is_empty() {
            changed |= apply(ws, &service, &url, &self)?;
        }
        // schema.prisma against the migrations: the migration it needs, as `new` writes it.
        let diff = diff_service(&service, Source::Migrations, Source::Schema, &places);
        diff.result?;
        if !diff.differences.is_empty() {
            let migration = match &self.name {
                Some(n) => n.clone(),
                None => ask_name(&name)?,
            };
            let options = GenerateOptions {
                allow_empty_schema: false,
                safe: self.safe,
            };
            let written = from_schema(&service, &migration, &places, options)?;
            match &written {
                GeneratedMigration::Written { .. } => {
                    let prefix = format!("{name}: ");
                    crate::new::print_written(ws, &service, &written, &prefix, self.safe)?;
                    if self.create_only {
                        println!("--create-only: not applied; `cargo xtask dev` applies it");
                        return Ok(ExitCode::Success);
                    }
                    changed |= apply(ws, &service, &url, &self)?;
                }
                GeneratedMigration::InSync => {}
            }
        }
        if !changed {
            println!("{IN_SYNC}");
            return Ok(ExitCode::Success);
        }
        println!("{name}: the database is now in sync with schema.prisma");
        generate(ws, &service)
    }
}

/// Applies the pending migrations; whether any was.
fn apply(
    ws: &Workspace,
    service: &shared_migrate::Service,
    url: &shared_migrate::DatabaseUrl,
    dev: &Dev,
) -> anyhow::Result<bool> {
    // The lock `[migrate] lock` names, as every command that takes it.
    let lock = shared_migrate::migration_lock(&ws.root, service, dev.lock_timeout.wait.0)?;
    let targets = vec![shared_migrate::MigrateTarget {
        service: service.clone(),
        url: Ok(url.clone()),
        origin: None,
        waits: shared_migrate::Waits {
            lock: lock.mode,
            ..Default::default()
        },
    }];
    let options = MigrateOptions {
        lock_timeout: dev.lock_timeout.wait.0,
        ..MigrateOptions::default()
    };
    let report = migrate_all(targets, &options, &cx::progress).remove(0);
    let applied = report.applied.len();
    report.result?;
    for a in &report.applied {
        println!("{}: applied {}", service.name, a.name);
    }
    Ok(applied > 0)
}

/// The migration's name, asked on a terminal; without one, a usage error.
fn ask_name(service: &str) -> anyhow::Result<String> {
    let answer = cx::ask(
        "schema.prisma changed: name the new migration (lower snake case): ",
        || {
            format!(
                "schema.prisma differs from the migrations of `{service}`, so a migration is needed: name it with --name NAME (what it does, in lower snake case)"
            )
        },
    )?;
    anyhow::ensure!(!answer.is_empty(), "no name given: nothing was written");
    Ok(answer)
}

/// The configured client generation (`[dev] generate`), else how to configure it.
fn generate(ws: &Workspace, service: &shared_migrate::Service) -> anyhow::Result<ExitCode> {
    let Some(argv) = dev_generate(&ws.root, service)? else {
        println!(
            "{}: no client generation configured: add [dev] generate = [\"npx\", \"prisma\", \"generate\"] to {}",
            service.name,
            service.dir.join("xtask.toml").display()
        );
        return Ok(ExitCode::Success);
    };
    let status = shared_migrate::process_command(&argv[0])
        .args(&argv[1..])
        .current_dir(&service.dir)
        .status()
        .with_context(|| format!("running `{}`", argv.join(" ")))?;
    if !status.success() {
        eprintln!("{}: `{}` failed ({status})", service.name, argv.join(" "));
        return Ok(ExitCode::Failure);
    }
    println!("{}: ran `{}`", service.name, argv.join(" "));
    Ok(ExitCode::Success)
}
