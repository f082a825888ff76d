//! `cargo xtask diff`: per service, Prisma's summary and each difference located; the SQL with
//! `--script`; GitHub annotations on schema.prisma.

use std::fmt::Write;

use crate::schema_diff::DiffReport;
use crate::text::github_command;

/// For people: per service, `no difference` or Prisma's summary and the located differences.
pub fn diff_summary(reports: &[DiffReport]) -> String {
    let mut out = String::new();
    for r in reports {
        let title = format!("{} ({} → {})", r.service, r.from.label(), r.to.label());
        match &r.result {
            Err(e) => {
                let _ = writeln!(out, "error[{}]: {e}", r.service);
            }
            Ok(()) if r.differences.is_empty() => {
                let _ = writeln!(out, "{title}: no difference");
            }
            Ok(()) => {
                let _ = writeln!(out, "{title}:{}", indent(r.summary.trim_end()));
                for d in &r.differences {
                    let _ = write!(out, "\n  - {}", d.message);
                    if let Some(at) = &d.schema_at {
                        let _ = write!(out, "\n      schema.prisma: {at}");
                    }
                    if let Some(at) = &d.migration_at {
                        let _ = write!(out, "\n      made by: {at}");
                    }
                    if let Some(h) = &d.hint {
                        let _ = write!(out, "\n      {h}");
                    }
                }
                out.push_str("\n\n");
            }
        }
        if !r.unmanaged.is_empty() {
            let _ = writeln!(
                out,
                "  not managed by schema.prisma (not differences): {}",
                r.unmanaged.join(", ")
            );
        }
    }
    out
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| {
            if l.is_empty() {
                String::from("\n")
            } else {
                format!("\n  {l}")
            }
        })
        .collect()
}

/// The SQL of each service (Prisma's `migrate diff --script`), with a comment naming the
/// service when there are several.
pub fn diff_scripts(reports: &[DiffReport]) -> String {
    let mut out = String::new();
    for r in reports {
        if reports.len() > 1 {
            let _ = writeln!(out, "-- service {}", r.service);
        }
        match &r.result {
            Ok(()) => {
                let _ = writeln!(out, "{}", r.script);
            }
            Err(e) => {
                let _ = writeln!(out, "-- error: {e}");
            }
        }
    }
    out
}

/// GitHub workflow annotations: each difference at its schema.prisma line (else at the
/// migration that made it).
pub fn diff_github(reports: &[DiffReport]) -> String {
    let mut out = String::new();
    for r in reports {
        if let Err(e) = &r.result {
            let title = format!("diff {}", r.service);
            out.push_str(&github_command(
                "error",
                &[("title", title)],
                &e.to_string(),
            ));
            continue;
        }
        for d in &r.differences {
            let mut message = d.message.clone();
            if let Some(h) = &d.hint {
                message.push_str(". ");
                message.push_str(h);
            }
            let mut properties = Vec::new();
            if let Some(at) = d.schema_at.as_ref().or(d.migration_at.as_ref()) {
                properties.push(("file", at.path.display().to_string()));
                properties.push(("line", at.line.to_string()));
                properties.push(("col", at.column.to_string()));
            }
            properties.push(("title", format!("schema drift ({})", r.service)));
            out.push_str(&github_command("error", &properties, &message));
        }
    }
    out
}
