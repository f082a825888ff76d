//! `cargo xtask affected`.

use shared_migrate::{ExitCode, Workspace, affected};

use crate::flags::{Affected, Format};

impl Affected {
    pub fn run(self, ws: &Workspace) -> anyhow::Result<ExitCode> {
        let found = affected(ws, &self.since)?;
        match self.format {
            Format::Json => println!("{}", serde_json::to_string_pretty(&found)?),
            Format::Human => {
                let width = found
                    .affected
                    .iter()
                    .map(|a| a.service.len())
                    .max()
                    .unwrap_or(0);
                for a in &found.affected {
                    for (i, reason) in a.reasons.iter().enumerate() {
                        let name = if i == 0 { a.service.as_str() } else { "" };
                        println!("{name:<width$}  {reason}");
                    }
                }
                let total = found.affected.len() + found.unaffected.len();
                println!(
                    "{} of {total} services affected since {} (changes counted from {})",
                    found.affected.len(),
                    found.since,
                    &found.base[..found.base.len().min(12)]
                );
            }
        }
        Ok(ExitCode::Success)
    }
}
