//! Lint output: human diagnostics with a source snippet (annotate-snippets, as rustc), JSON,
//! and GitHub workflow annotations.

use annotate_snippets::{Level, Renderer, Snippet};

use crate::lint::RuleLevel;
use crate::text::github_command;

use super::{Finding, LintReport};

/// rustc-style diagnostics, then a summary line.
pub fn human(report: &LintReport, color: bool) -> String {
    let renderer = if color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    let mut out = String::new();
    for f in &report.findings {
        out.push_str(&diagnostic(f, &renderer));
        out.push_str("\n\n");
    }
    out.push_str(&summary(report));
    out.push('\n');
    out
}

/// One finding, as rustc would print it.
pub(crate) fn diagnostic(f: &Finding, renderer: &Renderer) -> String {
    let level = match f.level {
        RuleLevel::Warning => Level::Warning,
        _ => Level::Error,
    };
    let file_note = format!("in {}", f.path);
    let mut message = level.title(&f.message).id(f.rule);
    if let Some((line, text, span)) = &f.snippet {
        message = message.snippet(
            Snippet::source(text)
                .line_start(*line)
                .origin(&f.path)
                .fold(false)
                .annotation(level.span(span.clone())),
        );
    } else {
        message = message.footer(Level::Note.title(&file_note));
    }
    if !f.help.is_empty() {
        message = message.footer(Level::Help.title(&f.help));
    }
    renderer.render(message).to_string()
}

/// `lint: 3 services, 14 migrations: 2 errors, 1 warning`.
pub fn summary(report: &LintReport) -> String {
    use crate::text::plural;
    format!(
        "lint: {}, {}: {}, {}",
        plural(report.services, "service"),
        plural(report.migrations, "migration"),
        plural(report.count(RuleLevel::Error), "error"),
        plural(report.count(RuleLevel::Warning), "warning"),
    )
}

/// GitHub Actions workflow commands (`::error file=...::message`), one per finding.
pub fn github(report: &LintReport) -> String {
    let mut out = String::new();
    for f in &report.findings {
        let command = match f.level {
            RuleLevel::Warning => "warning",
            _ => "error",
        };
        let mut properties = vec![("file", f.path.clone())];
        for (key, value) in [
            ("line", f.line),
            ("col", f.column),
            ("endLine", f.end_line),
            ("endColumn", f.end_column),
        ] {
            if let Some(v) = value {
                properties.push((key, v.to_string()));
            }
        }
        properties.push(("title", f.rule.to_string()));
        let text = if f.help.is_empty() {
            f.message.clone()
        } else {
            format!("{}\n{}", f.message, f.help)
        };
        out.push_str(&github_command(command, &properties, &text));
    }
    out
}
