//! `verify --report PATH`: the locks and rewrites each statement caused, as Markdown for a
//! pull-request comment.

use std::fmt::Write;

use crate::verify::VerifyReport;
use crate::verify::compat::CompatReport;
use crate::verify::locks::StatementLocks;

/// `AccessExclusiveLock` as people write it: `ACCESS EXCLUSIVE`.
fn mode(lock: &str) -> String {
    let name = lock.strip_suffix("Lock").unwrap_or(lock);
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            out.push(' ');
        }
        out.push(c.to_ascii_uppercase());
    }
    out
}

fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('`', "'")
}

fn locks_cell(s: &StatementLocks) -> String {
    let list: Vec<String> = s
        .locks
        .iter()
        .map(|l| {
            let name = if l.existed {
                format!("**{}**", cell(&l.relation))
            } else {
                cell(&l.relation)
            };
            format!("{} on {name}", mode(&l.mode))
        })
        .collect();
    if list.is_empty() {
        "-".into()
    } else {
        list.join("<br>")
    }
}

/// The report: per service and migration, a row per statement; warnings under the table.
pub fn lock_report(reports: &[VerifyReport]) -> String {
    let mut out = String::from(
        "# Locks and rewrites\n\nMeasured by `cargo xtask verify --report`: each statement run on a throwaway database, \
         its transaction's locks read from `pg_locks` after it. Tables that existed before the \
         migration are in bold: production's queries wait on their locks until the migration \
         commits.\n",
    );
    for r in reports {
        let _ = writeln!(out, "\n## {}\n", r.service);
        let Some(migrations) = &r.locks else {
            let why = r
                .step("locks")
                .and_then(|s| s.detail.clone())
                .unwrap_or_else(|| "not measured: an earlier step failed".into());
            let _ = writeln!(out, "{}", cell(&why));
            continue;
        };
        for m in migrations {
            let how = if m.transactional {
                "one transaction: locks held until it commits"
            } else {
                "statement by statement: each lock held by its statement only"
            };
            let _ = writeln!(out, "### {} ({how})\n", m.name);
            if m.statements.is_empty() {
                let _ = writeln!(out, "(run whole: the parser could not split it)\n");
                continue;
            }
            out.push_str("| statement | locks taken | rewrites | blocks | rows | time |\n");
            out.push_str("|---|---|---|---|---|---|\n");
            for s in &m.statements {
                let _ = writeln!(
                    out,
                    "| `{}` | {} | {} | {} | {} | {:.1} ms |",
                    cell(&s.statement),
                    locks_cell(s),
                    if s.rewritten.is_empty() {
                        "-".into()
                    } else {
                        cell(&s.rewritten.join(", "))
                    },
                    if s.blocks.is_empty() {
                        "-".into()
                    } else {
                        cell(&s.blocks.join("<br>"))
                    },
                    s.rows,
                    s.millis
                );
            }
            for s in &m.statements {
                if let Some(w) = &s.warning {
                    match &s.allowed {
                        None => {
                            let _ = writeln!(out, "\n> **warning** `{}`: {}", s.at, cell(w));
                        }
                        Some(reason) => {
                            let _ = writeln!(
                                out,
                                "\n> allowed `{}`: {} (lint:allow: {})",
                                s.at,
                                cell(w),
                                cell(reason)
                            );
                        }
                    }
                }
            }
            out.push('\n');
        }
    }
    compat_section(reports, &mut out);
    out
}

/// `--compat` in the Markdown report: which deploy step each new migration belongs to.
fn compat_section(reports: &[VerifyReport], out: &mut String) {
    let with: Vec<(&VerifyReport, &CompatReport)> = reports
        .iter()
        .filter_map(|r| r.compat.as_ref().map(|c| (r, c)))
        .collect();
    let Some((_, first)) = with.first() else {
        return;
    };
    let _ = writeln!(
        out,
        "\n# The running code against the new schema\n\nMeasured by `cargo xtask verify --compat {}`: the seed and tests of {} (the code running while a deploy rolls out) against its migrations plus each new one. Expand-safe: deploy it before the code that needs it. Contract: deploy it only once no running code needs what it changes.\n",
        first.rev, first.rev
    );
    for (r, c) in with {
        let _ = writeln!(
            out,
            "## {}\n\n{}: {} ({} databases, {:.1} s)\n\n| migration | step | breaks | lint |\n|---|---|---|---|",
            r.service,
            c.rev,
            cell(&c.tests),
            c.runs,
            c.millis as f64 / 1000.0
        );
        for m in &c.migrations {
            let _ = writeln!(
                out,
                "| `{}` | {} | {} | {} |",
                m.name,
                m.verdict.label(),
                if m.broke.is_empty() {
                    "-".to_string()
                } else {
                    cell(&m.broke.join("<br>"))
                },
                if m.rules.is_empty() {
                    "-".to_string()
                } else {
                    m.rules.join(", ")
                }
            );
        }
        if !c.already_failing.is_empty() {
            let _ = writeln!(
                out,
                "\nFailing on {}'s own schema already (not blamed): {}",
                c.rev,
                cell(&c.already_failing.join(", "))
            );
        }
        out.push('\n');
    }
}
