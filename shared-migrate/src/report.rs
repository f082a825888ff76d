//! What commands print for people: summary tables and error blocks. Kept apart from the logic
//! so that the CLI stays thin and the text can be snapshot-tested.

use std::fmt::Write;

use crate::migrator;
use crate::status::{ServiceStatus, State};

fn millis(ms: u128) -> String {
    if ms >= 10_000 {
        format!("{:.1} s", ms as f64 / 1000.0)
    } else {
        format!("{ms} ms")
    }
}

/// The width of the service column: the longest name, at least the header's.
fn name_width<'a>(names: impl Iterator<Item = &'a str>) -> usize {
    names.map(str::len).max().unwrap_or(0).max("service".len())
}

/// `1 migration`, `2 migrations`.
pub fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

/// `word` as one argument of a POSIX shell command line, for the commands we suggest: as is
/// when safe, else in single quotes. Folder names may hold spaces, quotes or `;`.
pub fn shell_word(word: &str) -> std::borrow::Cow<'_, str> {
    let safe = |c: char| c.is_ascii_alphanumeric() || "_-./:=@%+,".contains(c);
    if !word.is_empty() && word.chars().all(safe) {
        word.into()
    } else {
        format!("'{}'", word.replace('\'', r"'\''")).into()
    }
}

/// One line per service (applied, time, state), then the warnings and errors in full.
pub fn migrate_summary(reports: &[migrator::Report]) -> String {
    let width = name_width(reports.iter().map(|r| r.service.as_str()));
    let mut out = format!(
        "{:<width$}  {:>7}  {:>9}  state\n",
        "service", "applied", "time"
    );
    for r in reports {
        let state = match &r.result {
            Ok(()) if r.applied.is_empty() => "up to date".to_string(),
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
/// its statements.
pub fn dry_run_summary(reports: &[migrator::Report]) -> String {
    let mut out = String::new();
    for r in reports {
        match &r.result {
            Err(e) => {
                let _ = writeln!(
                    out,
                    "{}: a deploy would fail\nerror[{}]: {e}\n",
                    r.service, r.service
                );
            }
            Ok(()) if r.planned.is_empty() => {
                let _ = writeln!(out, "{}: up to date, nothing to apply\n", r.service);
            }
            Ok(()) => {
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
                }
                for w in &r.warnings {
                    let _ = writeln!(out, "warning[{}]: {w}", r.service);
                }
                out.push('\n');
            }
        }
    }
    out.push_str("dry run: nothing was changed\n");
    out
}

/// A table per service for `status`, then details of problems.
pub fn status_summary(statuses: &[ServiceStatus]) -> String {
    let width = name_width(statuses.iter().map(|s| s.service.as_str()));
    let mut out = format!(
        "{:<width$}  {:>7}  {:>7}  {:>6}  state\n",
        "service", "applied", "pending", "failed"
    );
    for s in statuses {
        let state = match s.state {
            State::UpToDate => "up to date",
            State::Pending => "pending",
            State::Problem => "PROBLEM",
        };
        let _ = writeln!(
            out,
            "{:<width$}  {:>7}  {:>7}  {:>6}  {state}",
            s.service,
            s.applied.len(),
            s.pending.len(),
            s.failed.len()
        );
    }
    for s in statuses {
        let mut details = String::new();
        for name in &s.pending {
            let mut note = String::new();
            if s.late.contains(name) {
                note.push_str(" (older than the newest applied migration)");
            }
            if s.rolled_back.contains(name) {
                note.push_str(" (rolled back earlier; will be applied again)");
            }
            let _ = writeln!(details, "  pending: {name}{note}");
        }
        for f in &s.failed {
            let _ = writeln!(details, "  failed: {} (started {})", f.name, f.started_at);
            for line in f.logs.as_deref().unwrap_or("(no logs)").lines() {
                let _ = writeln!(details, "      {line}");
            }
            let _ = writeln!(
                details,
                "    resolve with: cargo xtask resolve --service {svc} --rolled-back {n}   or   --applied {n}",
                svc = shell_word(&s.service),
                n = shell_word(&f.name)
            );
        }
        for name in &s.edited {
            let _ = writeln!(details, "  edited after it was applied: {name}");
        }
        for name in &s.missing_locally {
            let _ = writeln!(
                details,
                "  applied in the database, missing locally: {name}"
            );
        }
        if let Some(e) = &s.error {
            let _ = writeln!(details, "  error: {e}");
        }
        if !details.is_empty() {
            let url = s
                .url
                .as_deref()
                .map(|u| format!(" ({u})"))
                .unwrap_or_default();
            let _ = write!(out, "\n{}{url}:\n{details}", s.service);
        }
    }
    out
}

/// The `verify` summary: service, migrations, apply time, seed, tests, result; then each
/// failure in full.
pub fn verify_summary(reports: &[crate::verify::ServiceReport]) -> String {
    use crate::verify::StepStatus;
    let width = name_width(reports.iter().map(|r| r.service.as_str()));
    let cell = |r: &crate::verify::ServiceReport, name: &str| match r.step(name) {
        Some(s) if s.status == StepStatus::Passed => millis(s.millis),
        Some(s) if s.status == StepStatus::Failed => "FAILED".to_string(),
        _ => "-".to_string(),
    };
    let mut out = format!(
        "{:<width$}  {:>10}  {:>9}  {:>9}  {:>9}  {:>9}  {:>9}  result\n",
        "service", "migrations", "lint", "database", "apply", "seed", "tests"
    );
    for r in reports {
        let result = match r.failure() {
            None => "passed".to_string(),
            Some(s) => format!("FAILED at {}", s.name),
        };
        let _ = writeln!(
            out,
            "{:<width$}  {:>10}  {:>9}  {:>9}  {:>9}  {:>9}  {:>9}  {result}",
            r.service,
            r.migrations,
            cell(r, "lint"),
            r.ready_millis.map_or("-".into(), millis),
            cell(r, "migrate"),
            cell(r, "seed"),
            cell(r, "test"),
        );
    }
    for r in reports {
        // Every failed step: a lint failure does not stop the database steps.
        for s in r.steps.iter().filter(|s| s.status == StepStatus::Failed) {
            let _ = writeln!(
                out,
                "\nerror[{}] {} failed:\n{}",
                r.service,
                s.name,
                s.detail.as_deref().unwrap_or("")
            );
        }
        if r.failure().is_some()
            && let Some(kept) = &r.kept
        {
            let _ = writeln!(out, "kept[{}]: {kept}", r.service);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::shell_word;

    #[test]
    fn suggested_commands_quote_what_a_shell_would_split_or_run() {
        assert_eq!(shell_word("20250101000000_add_a"), "20250101000000_add_a");
        assert_eq!(shell_word("with space"), "'with space'");
        assert_eq!(shell_word("it's"), r"'it'\''s'");
        assert_eq!(shell_word("x; rm -rf ~"), "'x; rm -rf ~'");
        assert_eq!(shell_word("$(id)"), "'$(id)'");
        assert_eq!(shell_word(""), "''");
    }
}
