//! `status`'s table and the details of each problem.

use std::fmt::Write;

use super::name_width;
use crate::commands::{ServiceStatus, State};
use crate::remedy;
use crate::text::shell_word;

/// A table per service for `status`, then details of problems.
pub fn status_summary(statuses: &[ServiceStatus]) -> String {
    let width = name_width(statuses.iter().map(|s| s.service.as_str()));
    let mut out = format!(
        "{:<width$}  {:>5}  {:>7}  {:>7}  {:>6}  state\n",
        "service", "local", "applied", "pending", "failed"
    );
    for s in statuses {
        let state = match s.state {
            State::UpToDate => "up to date",
            State::Pending => "pending",
            State::Problem => "PROBLEM",
        };
        // A database that could not be read says nothing of what is applied.
        let count = |n: usize| if s.read { n.to_string() } else { "?".into() };
        let _ = writeln!(
            out,
            "{:<width$}  {:>5}  {:>7}  {:>7}  {:>6}  {state}",
            s.service,
            s.local,
            count(s.applied.len()),
            count(s.pending.len()),
            count(s.failed.len())
        );
    }
    // Which database each service was read from, and why that one.
    let sources: Vec<String> = statuses
        .iter()
        .filter_map(|s| {
            let (url, source) = (s.url.as_deref()?, s.url_source.as_deref()?);
            Some(format!(
                "{:<width$}  {url}\n{:<width$}  from {source}\n",
                s.service, ""
            ))
        })
        .collect();
    if !sources.is_empty() {
        let _ = write!(out, "\n{}", sources.concat());
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
            if s.squashes_to_record.contains(name) {
                note.push_str(" (a squash of migrations this database applied: the next `cargo xtask migrate` records it as applied without running it; with the Prisma CLI: `npx prisma migrate resolve --applied ");
                note.push_str(name);
                note.push_str("`)");
            }
            let _ = writeln!(details, "  pending: {name}{note}");
        }
        for f in &s.failed {
            let _ = writeln!(details, "  failed: {} (started {})", f.name, f.started_at);
            for line in f.logs.as_deref().unwrap_or("(no logs)").lines() {
                let _ = writeln!(details, "      {line}");
            }
            if crate::migrate::nothing_persisted(f.logs.as_deref()) {
                let _ = writeln!(
                    details,
                    "    nothing of it persisted: fix it, then {}",
                    remedy::resolve_rolled_back(&s.service, &f.name),
                );
            } else {
                let _ = writeln!(
                    details,
                    "    resolve with: {}   or   --applied {}",
                    remedy::resolve_rolled_back(&s.service, &f.name),
                    shell_word(&f.name)
                );
            }
        }
        for name in &s.edited {
            let _ = writeln!(
                details,
                "  edited after it was applied: {name}\n    the databases keep the version they ran: restore it (`git log -p` of its migration.sql shows it) and put the change in a new migration"
            );
        }
        for name in &s.missing_locally {
            let _ = writeln!(
                details,
                "  applied in the database, missing locally: {name}"
            );
        }
        if !s.replaced.is_empty() {
            let mut by_squash: Vec<(&str, usize)> = Vec::new();
            for (_, squash) in &s.replaced {
                match by_squash.iter_mut().find(|(n, _)| n == squash) {
                    Some((_, count)) => *count += 1,
                    None => by_squash.push((squash, 1)),
                }
            }
            for (squash, count) in by_squash {
                let _ = writeln!(
                    details,
                    "  {} applied here replaced by the squash {squash} (their rows stay in the ledger; not a problem)",
                    crate::text::plural(count, "migration")
                );
            }
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
