//! `cargo xtask lint`.

use shared_migrate::{
    ExitCode, LintOptions, RULES, RuleLevel, Workspace, accept_history, lint_github, lint_human,
    lint_services, lint_summary, plural,
};

use crate::flags::{Lint, LintFormat};

impl Lint {
    pub fn run(self, ws: &Workspace) -> anyhow::Result<ExitCode> {
        if self.list_rules {
            list_rules();
            return Ok(ExitCode::Success);
        }
        let services = crate::cx::selected(ws, &self.which.services, self.which.all)?;
        if self.accept_history {
            let (path, accepted) = accept_history(ws, &services)?;
            for a in &accepted {
                match &a.through {
                    Some(last) => println!(
                        "{}: {} accepted as history, through {last}",
                        a.service,
                        plural(a.migrations, "migration")
                    ),
                    None => println!("{}: no migration yet, nothing to accept", a.service),
                }
            }
            println!(
                "recorded in {}: commit it; lint now judges only the migrations added after these",
                path.display()
            );
            return Ok(ExitCode::Success);
        }
        let cache = (!self.no_cache).then(|| ws.lint_cache());
        let options = LintOptions::now(self.since).cached(cache);
        let report = lint_services(ws, &services, &options)?;
        let format = self.format.unwrap_or(
            if std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true") {
                LintFormat::Github
            } else {
                LintFormat::Human
            },
        );
        match format {
            LintFormat::Human => {
                use std::io::IsTerminal;
                let color = std::io::stdout().is_terminal()
                    && std::env::var_os("NO_COLOR").is_none()
                    && std::env::var_os("CI").is_none();
                print!("{}", lint_human(&report, color));
            }
            LintFormat::Json => println!("{}", serde_json::to_string_pretty(&report)?),
            LintFormat::Github => {
                print!("{}", lint_github(&report));
                eprintln!("{}", lint_summary(&report));
            }
        }
        Ok(if report.count(RuleLevel::Error) > 0 {
            ExitCode::Failure
        } else {
            ExitCode::Success
        })
    }
}

/// `--list-rules`: name, default level, what it catches.
fn list_rules() {
    let width = RULES.iter().map(|r| r.name().len()).max().unwrap_or(0);
    for rule in RULES {
        let level = format!("{:?}", rule.default_level()).to_lowercase();
        println!("{:<width$}  {level:<7}  {}", rule.name(), rule.about());
    }
}
