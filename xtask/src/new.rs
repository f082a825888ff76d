//! `cargo xtask new` (empty, `--from-schema`, or `--revert`).

use anyhow::Context;
use shared_migrate::{
    ExitCode, GenerateOptions, GeneratedMigration, IN_SYNC, LintOptions, Workspace, from_schema,
    lint_services, new_migration, new_revert, plural,
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
        let throwaway = cx::Throwaway::new(ws)?;
        let url = cx::targets(vec![service.clone()], None).remove(0).url.ok();
        let places = throwaway.places(ws, url);
        let options = GenerateOptions {
            allow_empty_schema: self.allow_empty_schema,
            safe: self.safe,
        };
        match from_schema(&service, &name, &places, options)? {
            GeneratedMigration::InSync if self.from_schema => println!("{IN_SYNC}"),
            GeneratedMigration::InSync => {
                // Nothing to generate: the empty migration asked for, to write by hand.
                let path = new_migration(&ws.root, &service, &name)?;
                println!(
                    "{IN_SYNC}\ncreated {} (empty, to write by hand)",
                    path.display()
                );
            }
            written @ GeneratedMigration::Written { .. } => {
                print_written(ws, &service, &written, "", self.safe)?;
            }
        }
        Ok(ExitCode::Success)
    }
}

/// What `new` (and `dev`) wrote: each folder, Prisma's warnings, the rename hints, then what
/// lint says of them. `prefix`: `service: ` for dev's lines.
pub fn print_written(
    ws: &Workspace,
    service: &shared_migrate::Service,
    written: &GeneratedMigration,
    prefix: &str,
    safe: bool,
) -> anyhow::Result<()> {
    let GeneratedMigration::Written {
        path,
        also,
        warnings,
        renames,
    } = written
    else {
        return Ok(());
    };
    println!("{prefix}created {} from schema.prisma", path.display());
    for p in also {
        println!(
            "{prefix}created {} (an index built CONCURRENTLY, alone)",
            p.display()
        );
    }
    for w in warnings {
        println!("warning: {w}");
    }
    for r in renames {
        println!("hint: {r}");
    }
    let mut paths = vec![path.as_path()];
    paths.extend(also.iter().map(|p| p.as_path()));
    report_lint(ws, service, &paths, safe)
}

/// What lint says of the migration just written, and (for Prisma's form) that `--safe` writes
/// the guide's: a generated migration is reviewed like a written one.
pub fn report_lint(
    ws: &Workspace,
    service: &shared_migrate::Service,
    written: &[&std::path::Path],
    safe: bool,
) -> anyhow::Result<()> {
    let report = lint_services(
        ws,
        std::slice::from_ref(service),
        &LintOptions::now(None).cached(Some(ws.lint_cache())),
    )?;
    let folders: Vec<String> = written
        .iter()
        .filter_map(|p| Some(p.parent()?.file_name()?.to_str()?.to_string()))
        .collect();
    let findings: Vec<_> = report
        .findings
        .iter()
        .filter(|f| folders.iter().any(|d| f.path.contains(&format!("/{d}/"))))
        .collect();
    for f in &findings {
        println!(
            "lint: {}[{}] {}:{}: {}",
            format!("{:?}", f.level).to_lowercase(),
            f.rule,
            f.path,
            f.line.unwrap_or(1),
            f.message
        );
    }
    let safer = [
        "index-not-concurrent",
        "add-required-column",
        "set-not-null",
    ];
    if !safe && findings.iter().any(|f| safer.contains(&f.rule)) {
        println!(
            "hint: `cargo xtask new -s {} --safe NAME` writes the guide's safe form instead: indexes on existing tables built CONCURRENTLY in migrations of their own, required columns added nullable, backfilled, then SET NOT NULL",
            service.name
        );
    }
    Ok(())
}
