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
            None => passed(r),
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
    // Which seed and which tests ran, per service: a pass means what was run passed.
    let mut ran = String::new();
    for r in reports.iter().filter(|r| r.failure().is_none()) {
        let what = |name: &str| match r.step(name) {
            Some(s) if s.status == StepStatus::Passed => s
                .detail
                .as_deref()
                .and_then(|d| d.lines().next())
                .and_then(|l| l.strip_prefix("ran "))
                .map_or_else(|| "ran".to_string(), str::to_string),
            _ => "none".to_string(),
        };
        let _ = writeln!(
            ran,
            "{:<width$}  seed: {}; tests: {}",
            r.service,
            what("seed"),
            what("test")
        );
    }
    if !ran.is_empty() {
        out.push('\n');
        out.push_str(&ran);
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

/// `passed`, saying what did not run: a service without a seed or tests passed less.
fn passed(r: &VerifyReport) -> String {
    let missing: Vec<&str> = [("seed", "no seed"), ("test", "no tests")]
        .into_iter()
        .filter(|(step, _)| r.step(step).is_none_or(|s| s.status != StepStatus::Passed))
        .map(|(_, what)| what)
        .collect();
    if missing.is_empty() {
        "passed".to_string()
    } else {
        format!("passed ({})", missing.join(", "))
    }
}
