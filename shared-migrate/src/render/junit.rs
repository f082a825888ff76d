//! JUnit XML for `verify --junit PATH`: one test case per service, so CI systems show each
//! service as a test with its steps. Written by hand (75 lines): quick-junit, the crate of the
//! field, orders attributes differently (`tests skipped failures errors`) and adds six crates.

use std::fmt::Write;

use crate::verify::compat::CompatVerdict;
use crate::verify::{StepStatus, VerifyReport};

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Control characters are not allowed in XML 1.0.
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\r' | '\t') => out.push('?'),
            c => out.push(c),
        }
    }
    out
}

/// One test suite, a test case per service, its steps as the case's output.
pub fn junit(reports: &[VerifyReport]) -> String {
    let compat = reports
        .iter()
        .flat_map(|r| r.compat.iter().flat_map(|c| &c.migrations));
    let contract = compat
        .clone()
        .filter(|m| m.verdict == CompatVerdict::Contract)
        .count();
    let cases = reports.len() + compat.count();
    let failures = reports.iter().filter(|r| !r.passed()).count() + contract;
    let total: u128 = reports.iter().map(|r| r.millis).sum();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"cargo xtask verify\" tests=\"{cases}\" failures=\"{failures}\" time=\"{:.3}\">",
        total as f64 / 1000.0
    );
    let _ = writeln!(
        out,
        "  <testsuite name=\"verify\" tests=\"{cases}\" failures=\"{failures}\" time=\"{:.3}\">",
        total as f64 / 1000.0
    );
    for r in reports {
        let _ = write!(
            out,
            "    <testcase classname=\"verify.{}\" name=\"{}\" time=\"{:.3}\">",
            escape(r.backend),
            escape(&r.service),
            r.millis as f64 / 1000.0
        );
        if let Some(s) = r.failure() {
            let _ = write!(
                out,
                "\n      <failure message=\"{} failed\" type=\"{}\">{}</failure>",
                escape(s.name),
                escape(s.name),
                escape(s.detail.as_deref().unwrap_or(""))
            );
        }
        let mut steps = String::new();
        for s in &r.steps {
            let status = match s.status {
                StepStatus::Passed => "passed",
                StepStatus::Failed => "FAILED",
                StepStatus::Skipped => "skipped",
            };
            let _ = writeln!(steps, "{}: {status} ({} ms)", s.name, s.millis);
            // The lock report's warnings, where CI shows a test's output.
            if s.name == "locks"
                && let Some(detail) = &s.detail
            {
                let _ = writeln!(steps, "{detail}");
            }
        }
        let _ = write!(
            out,
            "\n      <system-out>{}</system-out>\n    </testcase>\n",
            escape(&steps)
        );
        // `--compat`: a case per new migration, failed when it breaks the running code.
        for (c, m) in r
            .compat
            .iter()
            .flat_map(|c| c.migrations.iter().map(move |m| (c, m)))
        {
            let _ = write!(
                out,
                "    <testcase classname=\"compat.{}\" name=\"{}\" time=\"0.000\">",
                escape(&r.service),
                escape(&m.name)
            );
            if m.verdict == CompatVerdict::Contract {
                let _ = write!(
                    out,
                    "\n      <failure message=\"breaks the code of {}\" type=\"contract\">{}</failure>",
                    escape(&c.rev),
                    escape(&m.broke.join("\n"))
                );
            }
            let rules = match m.rules.is_empty() {
                true => String::new(),
                false => format!(" [lint: {}]", m.rules.join(", ")),
            };
            let _ = write!(
                out,
                "\n      <system-out>{}{}</system-out>\n    </testcase>\n",
                m.verdict.label(),
                escape(&rules)
            );
        }
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}
