//! `cargo xtask status` (and `--drift`).

use shared_migrate::{
    ExitCode, Source, Workspace, diff_service, diff_summary, status_service, status_summary,
};

use crate::cx;
use crate::flags::{Format, Status};

impl Status {
    pub fn run(self, ws: &Workspace) -> anyhow::Result<ExitCode> {
        let services = cx::selected(ws, &self.selection.which.services, self.selection.which.all)?;
        cx::url_flag_fits(self.selection.database_url.as_deref(), &services)?;
        let targets = cx::targets(services, self.selection.database_url.as_deref());
        // The database against its migrations, replayed on a throwaway database.
        let mut drift = Vec::new();
        if self.drift {
            let throwaway = cx::Throwaway::new(ws)?;
            for t in &targets {
                drift.push(t.url.as_ref().ok().map(|url| {
                    let places = throwaway.places(ws, Some(url.clone()));
                    diff_service(&t.service, Source::Migrations, Source::Database, &places)
                }));
            }
        }
        let mut statuses = Vec::new();
        for (i, t) in targets.into_iter().enumerate() {
            let mut s = status_service(&t.service, t.url).with_origin(t.origin.as_ref());
            if let Some(Some(r)) = drift.get(i) {
                let error = r.result.as_ref().err().map(ToString::to_string);
                s.set_drift(
                    r.differences.iter().map(|d| d.message.clone()).collect(),
                    error,
                );
            }
            statuses.push(s);
        }
        match self.format {
            Format::Human => {
                print!("{}", status_summary(&statuses));
                if self.drift {
                    let reports: Vec<_> = drift.into_iter().flatten().collect();
                    print!(
                        "\ndrift (the database against its migrations):\n{}",
                        diff_summary(&reports)
                    );
                }
            }
            Format::Json => println!("{}", serde_json::to_string_pretty(&statuses)?),
        }
        Ok(ExitCode::combine(statuses.iter().map(|s| s.exit_code)))
    }
}
