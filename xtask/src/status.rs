//! `cargo xtask status`.

use shared_migrate::{ExitCode, Workspace, status_service, status_summary};

use crate::cx;
use crate::flags::{Format, Status};

impl Status {
    pub fn run(self, ws: &Workspace) -> anyhow::Result<ExitCode> {
        let services = ws.select(&self.selection.services)?;
        let statuses: Vec<_> = cx::targets(services, self.selection.database_url.as_deref())
            .into_iter()
            .map(|t| status_service(&t.service, t.url).with_origin(t.origin.as_ref()))
            .collect();
        match self.format {
            Format::Human => print!("{}", status_summary(&statuses)),
            Format::Json => println!("{}", serde_json::to_string_pretty(&statuses)?),
        }
        Ok(ExitCode::combine(statuses.iter().map(|s| s.exit_code)))
    }
}
