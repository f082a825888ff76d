//! `cargo xtask migrate`.

use shared_migrate::{
    ExitCode, MigrateOptions, Scope, Waits, Workspace, dry_run_summary, migrate_all,
    migrate_summary, migrate_waits, scope,
};

use crate::cx;
use crate::flags::{Format, Migrate};

impl Migrate {
    pub fn run(self, ws: &Workspace) -> anyhow::Result<ExitCode> {
        let (services, _) = scope(
            ws,
            &Scope {
                services: cx::selected_names(
                    ws,
                    self.selection.which.services,
                    self.selection.which.all,
                )?,
                since: self.since,
                ..Scope::default()
            },
        )?;
        if services.is_empty() {
            cx::say_if_no_service(ws);
        }
        cx::url_flag_fits(self.selection.database_url.as_deref(), &services)?;
        let mut targets = cx::targets(services, self.selection.database_url.as_deref());
        let flags = Waits {
            ddl_lock_timeout: self.ddl_lock_timeout.map(|w| w.0),
            statement_timeout: self.statement_timeout.map(|w| w.0),
            retries: self.retries.unwrap_or(0),
            idle_timeout: self.idle_timeout.map(|w| w.0),
            // The lock has no flag: it is the repository's choice (`[migrate] lock`).
            ..Waits::default()
        };
        for t in &mut targets {
            t.waits = migrate_waits(&ws.root, &t.service, &flags)?;
        }
        let options = MigrateOptions {
            lock_timeout: self.lock_timeout.wait.0,
            strict: self.strict,
            jobs: self.jobs,
            dry_run: self.dry_run,
            backup: self.backup,
            to: self.to,
            waits: flags,
            precheck: (self.precheck || self.dry_run).then_some(self.precheck_timeout.0),
            before_each: None,
        };
        let reports = migrate_all(targets, &options, &cx::progress);
        match self.format {
            Format::Human if self.dry_run => print!("{}", dry_run_summary(&reports)),
            Format::Human => print!("{}", migrate_summary(&reports)),
            Format::Json => println!("{}", serde_json::to_string_pretty(&reports)?),
        }
        Ok(ExitCode::combine(reports.iter().map(|r| {
            r.result
                .as_ref()
                .map_or_else(|e| e.exit_code(), |()| ExitCode::Success)
        })))
    }
}
