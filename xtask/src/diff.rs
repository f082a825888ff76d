//! `cargo xtask diff`.

use shared_migrate::{
    BackendKind, ExitCode, Places, Source, Workspace, choose_backend, default_image, diff_github,
    diff_scripts, diff_service, diff_summary, install_signal_handler,
};

use crate::cx;
use crate::flags::{Backend, Diff, DiffSource, LintFormat};

pub fn source(s: DiffSource) -> Source {
    match s {
        DiffSource::Migrations => Source::Migrations,
        DiffSource::Schema => Source::Schema,
        DiffSource::Database => Source::Database,
    }
}

pub fn backend_kind(b: Backend) -> BackendKind {
    match b {
        Backend::Auto => BackendKind::Auto,
        Backend::Docker => BackendKind::Docker,
        Backend::Local => BackendKind::Local,
        Backend::Url => BackendKind::Url,
    }
}

impl Diff {
    pub fn run(self, ws: &Workspace) -> anyhow::Result<ExitCode> {
        install_signal_handler();
        let services = cx::selected(ws, &self.selection.which.services, self.selection.which.all)?;
        let image = default_image(&ws.root, self.image.clone())?;
        let backend = choose_backend(
            backend_kind(self.backend),
            None,
            &image,
            self.image,
            Some(&ws.template_cache()),
            shared_migrate::SWEEP_AFTER,
        )?;
        let (from, to) = (source(self.from), source(self.to));
        let needs_url = from == Source::Database || to == Source::Database;
        cx::url_flag_fits(self.selection.database_url.as_deref(), &services)?;
        let reports: Vec<_> = cx::targets(services, self.selection.database_url.as_deref())
            .into_iter()
            .map(|t| {
                let places = Places {
                    ws,
                    url: t.url.as_ref().ok().cloned(),
                    backend: backend.as_ref(),
                };
                let mut report = diff_service(&t.service, from, to, &places);
                // Without a database to read, the URL's absence is the error to report.
                if needs_url && let Err(e) = t.url {
                    report.result = Err(e);
                }
                report
            })
            .collect();
        let format = self.format.unwrap_or(
            if std::env::var("GITHUB_ACTIONS").as_deref() == Ok("true") {
                LintFormat::Github
            } else {
                LintFormat::Human
            },
        );
        if self.script {
            print!("{}", diff_scripts(&reports));
        } else {
            match format {
                LintFormat::Human => print!("{}", diff_summary(&reports)),
                LintFormat::Json => println!("{}", serde_json::to_string_pretty(&reports)?),
                LintFormat::Github => print!("{}", diff_github(&reports)),
            }
        }
        // Prisma's --exit-code: an error (1) outranks a difference (2).
        let codes: Vec<ExitCode> = reports.iter().map(|r| r.exit_code()).collect();
        Ok(if codes.contains(&ExitCode::Failure) {
            ExitCode::Failure
        } else if codes.contains(&ExitCode::Usage) {
            ExitCode::Usage
        } else {
            ExitCode::Success
        })
    }
}
