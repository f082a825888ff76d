//! `cargo xtask verify`.

use anyhow::Context;
use shared_migrate::{
    BackendKind, DEFAULT_LOCK_TIMEOUT, ExitCode, Isolation, Scope, VerifyOptions, Workspace,
    choose_backend, datasource_variables, default_image, install_signal_handler, junit,
    lock_report, scope, verify_all, verify_summary,
};

use crate::flags::{Backend, Format, IsolationFlag, Verify};
use crate::live;

impl Verify {
    pub fn run(self, ws: &Workspace) -> anyhow::Result<ExitCode> {
        install_signal_handler();
        let (services, found) = scope(
            ws,
            &Scope {
                services: crate::cx::selected_names(ws, self.which.services, self.which.all)?,
                since: self.plan.since.clone(),
                shard: self.plan.shard,
                timings: self.plan.timings,
            },
        )?;
        if let Some(found) = &found {
            eprintln!(
                "{} of {} services affected since {}",
                found.affected.len(),
                found.affected.len() + found.unaffected.len(),
                found.since
            );
        }
        if services.is_empty() {
            eprintln!("nothing to verify");
            crate::cx::say_if_no_service(ws);
            if self.format == Format::Json {
                println!("[]");
            }
            if let Some(path) = &self.junit {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir)
                        .with_context(|| format!("creating {}", dir.display()))?;
                }
                std::fs::write(path, junit(&[]))
                    .with_context(|| format!("writing {}", path.display()))?;
            }
            return Ok(ExitCode::Success);
        }
        let kind = match self.backend {
            Backend::Auto => BackendKind::Auto,
            Backend::Docker => BackendKind::Docker,
            Backend::Local => BackendKind::Local,
            Backend::Url => BackendKind::Url,
        };
        let image = default_image(&ws.root, self.image.clone())?;
        let backend = choose_backend(
            kind,
            self.database_url.as_deref(),
            &image,
            self.image,
            Some(&ws.template_cache()),
            self.sweep_after,
        )?;
        let options = VerifyOptions {
            jobs: self.jobs,
            keep: self.keep,
            lock_timeout: DEFAULT_LOCK_TIMEOUT,
            lint: !self.no_lint,
            schema_check: !self.no_schema_check,
            isolation: self.isolation.map(|i| match i {
                IsolationFlag::Database => Isolation::Database,
                IsolationFlag::Cluster => Isolation::Cluster,
            }),
            locks: self.report.is_some(),
            data: self.data,
            rows: self.rows,
            seed: self.seed,
            forget: datasource_variables(&ws.services()?),
            since: self.plan.since,
            compat: self.compat,
            github: std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true"),
        };
        let view = live::View::new(&services);
        let reports = verify_all(ws, &services, backend.as_ref(), &options, &|svc, step| {
            view.update(svc, step)
        });
        view.finish(&reports);
        for (path, text) in [
            (&self.junit, self.junit.as_ref().map(|_| junit(&reports))),
            (
                &self.report,
                self.report.as_ref().map(|_| lock_report(&reports)),
            ),
        ] {
            if let (Some(path), Some(text)) = (path, text) {
                // A directory that does not exist yet is made: the run's report is not lost.
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir)
                        .with_context(|| format!("creating {}", dir.display()))?;
                }
                std::fs::write(path, text)
                    .with_context(|| format!("writing {}", path.display()))?;
            }
        }
        // Lint's findings as annotations on the diff (GitHub Actions).
        for a in reports.iter().filter_map(|r| r.annotations.as_deref()) {
            match self.format {
                Format::Human => print!("{a}"),
                Format::Json => eprint!("{a}"),
            }
        }
        match self.format {
            Format::Human => print!("{}", verify_summary(&reports)),
            Format::Json => println!("{}", serde_json::to_string_pretty(&reports)?),
        }
        Ok(ExitCode::combine(reports.iter().map(|r| r.exit_code())))
    }
}
