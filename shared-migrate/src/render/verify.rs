//! `verify`'s table (a column per step) and each failed step in full.

use std::fmt::Write;

use super::{millis, name_width};
use crate::verify::{StepStatus, VerifyReport};

/// The `verify` summary: service, migrations, apply time, schema check, seed, tests, result; then each
/// failure in full.
pub fn verify_summary(reports: &[VerifyReport]) -> String {
    let width = name_width(reports.iter().map(|r| r.service.as_str()));
    let cell = |r: &VerifyReport, name: &str| match r.step(name) {
        Some(s) if s.status == StepStatus::Passed => millis(s.millis),
        Some(s) if s.status == StepStatus::Failed => "FAILED".to_string(),
        _ => "-".to_string(),
    };
    let mut out = format!(
        "{:<width$}  {:>10}  {:>9}  {:>9}  {:>9}  {:>9}  {:>9}  {:>9}  result\n",
        "service", "migrations", "lint", "database", "apply", "schema", "seed", "tests"
    );
    for r in reports {
        let result = match r.failure() {
            None => "passed".to_string(),
            Some(s) => format!("FAILED at {}", s.name),
        };
        let _ = writeln!(
            out,
            "{:<width$}  {:>10}  {:>9}  {:>9}  {:>9}  {:>9}  {:>9}  {:>9}  {result}",
            r.service,
            r.migrations,
            cell(r, "lint"),
            r.ready_millis.map_or("-".into(), millis),
            cell(r, "migrate"),
            cell(r, "schema"),
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
