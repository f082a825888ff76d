//! `migrate`'s summary table and `migrate --dry-run`'s plan.

use std::fmt::Write;

use super::{millis, name_width};
use crate::migrate::MigrateReport;
use crate::text::plural;

/// One line per service (applied, time, state), then the warnings and errors in full.
pub fn migrate_summary(reports: &[MigrateReport]) -> String {
    let width = name_width(reports.iter().map(|r| r.service.as_str()));
    let mut out = format!(
        "{:<width$}  {:>7}  {:>9}  state\n",
        "service", "applied", "time"
    );
    for r in reports {
        let state = match &r.result {
            Ok(()) if r.applied.is_empty() && r.recorded.is_empty() => "up to date".to_string(),
            Ok(()) => "ok".to_string(),
            Err(e) => format!("FAILED (exit {})", e.exit_code().code()),
        };
        let applied = match &r.result {
            Err(_) if r.pending_before > 0 => format!("{}/{}", r.applied.len(), r.pending_before),
            _ => r.applied.len().to_string(),
        };
        let _ = writeln!(
            out,
            "{:<width$}  {:>7}  {:>9}  {state}",
            r.service,
            applied,
            millis(r.millis)
        );
    }
    for r in reports {
        for s in &r.recorded {
            let _ = writeln!(
                out,
                "\nsquash[{}]: {} recorded as applied without running: this database had applied the {} migrations it replaces",
                r.service, s.name, s.replaces
            );
        }
        if let Some(b) = &r.backup {
            let _ = writeln!(
                out,
                "\nbackup[{}]: {} ({} objects, {} KB); to restore: {}",
                r.service,
                b.path.display(),
                b.objects,
                b.bytes / 1024,
                b.restore_command
            );
        }
        for w in &r.warnings {
            let _ = writeln!(out, "\nwarning[{}]: {w}", r.service);
        }
        if let Err(e) = &r.result {
            let _ = writeln!(out, "\nerror[{}]: {e}", r.service);
        }
    }
    out
}

/// `migrate --dry-run`: per service, the migrations a deploy would apply, in order, each with
/// its statements and what the precheck found.
pub fn dry_run_summary(reports: &[MigrateReport]) -> String {
    let mut out = String::new();
    for r in reports {
        for s in &r.recorded {
            let _ = writeln!(
                out,
                "{}: would record {} as applied without running it (this database applied the {} migrations it replaces)",
                r.service, s.name, s.replaces
            );
        }
        if r.result.is_ok() && r.planned.is_empty() {
            let _ = writeln!(out, "{}: up to date, nothing to apply\n", r.service);
            continue;
        }
        if !r.planned.is_empty() {
            let created = if r.database_created {
                " (the database does not exist yet: a deploy creates it)"
            } else {
                ""
            };
            let _ = writeln!(
                out,
                "{}: would apply {}{created}:",
                r.service,
                plural(r.planned.len(), "migration")
            );
            for (i, p) in r.planned.iter().enumerate() {
                let how = if p.transactional {
                    "in one transaction"
                } else {
                    "statement by statement"
                };
                let _ = writeln!(
                    out,
                    "  {}. {}  ({}, {how})",
                    i + 1,
                    p.name,
                    plural(p.statements.len(), "statement")
                );
                for st in &p.statements {
                    let _ = writeln!(out, "       {st}");
                }
                if !p.checks.is_empty() {
                    let _ = writeln!(out, "     precheck, on the rows there now:");
                    for check in &p.checks {
                        let _ = writeln!(out, "       {check}");
                    }
                }
            }
            for w in &r.warnings {
                let _ = writeln!(out, "warning[{}]: {w}", r.service);
            }
        }
        match &r.result {
            Err(e) => {
                let _ = writeln!(
                    out,
                    "{}: a deploy would fail\nerror[{}]: {e}\n",
                    r.service, r.service
                );
            }
            Ok(()) => out.push('\n'),
        }
    }
    out.push_str("dry run: nothing was changed\n");
    out
}
