//! `verify`'s table (a column per step) and each failed step in full.

use std::fmt::Write;

use super::{millis, name_width};
use crate::verify::compat::{CompatReport, CompatVerdict};
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
    // `--compat`: each new migration against the running code (a failure is told below).
    for r in reports {
        if let (Some(c), Some(s)) = (&r.compat, r.step("compat"))
            && s.status == StepStatus::Passed
        {
            let _ = write!(out, "\ncompat[{}] {}", r.service, compat_text(c));
        }
    }
    for r in reports {
        // Every failed step: a lint failure does not stop the database steps.
        for s in r.steps.iter().filter(|s| s.status == StepStatus::Failed) {
            let detail = match (&r.compat, s.name) {
                (Some(c), "compat") => compat_text(c),
                _ => s.detail.clone().unwrap_or_default(),
            };
            let _ = writeln!(out, "\nerror[{}] {} failed:\n{detail}", r.service, s.name);
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

/// `verify --compat`'s finding for one service: each new migration's verdict, what it broke,
/// lint's name for the change, and the tests that failed on REV already.
pub(super) fn compat_text(c: &CompatReport) -> String {
    let install = match &c.install {
        Some(note) => note.clone(),
        None => "dependencies installed by an earlier run".to_string(),
    };
    let seed = match &c.seed {
        Some(s) => format!(" and seed {s}"),
        None => String::new(),
    };
    let mut out = format!(
        "with {} ({}): its tests {}{seed} against the new schema; {} databases, {}; {install}\n",
        c.rev,
        c.commit,
        c.tests,
        c.runs,
        millis(c.millis)
    );
    let width = c.migrations.iter().map(|m| m.name.len()).max().unwrap_or(0);
    for m in &c.migrations {
        let rules = match m.rules.is_empty() {
            true => String::new(),
            false => format!("  [lint: {}]", m.rules.join(", ")),
        };
        let line = format!("  {:<11}  {:<width$}{rules}", m.verdict.label(), m.name);
        let _ = writeln!(out, "{}", line.trim_end());
        if !m.broke.is_empty() {
            let names: Vec<String> = m.broke.iter().map(|b| format!("`{b}`")).collect();
            let _ = writeln!(out, "  {:<11}  breaks {}", "", names.join(", "));
        }
    }
    if !c.already_failing.is_empty() {
        let names: Vec<String> = c.already_failing.iter().map(|b| format!("`{b}`")).collect();
        let _ = writeln!(
            out,
            "  failing on {}'s own schema already (not blamed): {}",
            c.rev,
            names.join(", ")
        );
    }
    if c.read_as == "suite" {
        let _ = writeln!(
            out,
            "  (the runner's output names no test: the suite counts as one)"
        );
    }
    if c.migrations
        .iter()
        .any(|m| m.verdict == CompatVerdict::Contract)
    {
        let _ = writeln!(
            out,
            "  A contract migration breaks the code that is running while the deploy rolls out. Split it the guide's way: expand now (add the new column or table, write both), deploy the code that stops using the old, then contract in a later release."
        );
    } else if c
        .migrations
        .iter()
        .all(|m| m.verdict == CompatVerdict::ExpandSafe)
    {
        let _ = writeln!(
            out,
            "  Every new migration is expand-safe: {}'s code keeps working while it deploys.",
            c.rev
        );
    }
    out
}
