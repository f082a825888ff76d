//! `lint` as a command: each service's settings from `xtask.toml`, then the linter.

use crate::config;
use crate::error::Error;
use crate::lint::{self, LintOptions, LintReport};
use crate::workspace::{Service, Workspace};

/// Lints `services` of the workspace with their configured settings.
pub fn lint_services(
    ws: &Workspace,
    services: &[Service],
    options: &LintOptions,
) -> Result<LintReport, Error> {
    let configs = config::lint_configs(&ws.root, services)?;
    lint::lint(ws, services, &configs, options)
}

/// One service's history, as `lint --accept-history` accepted it.
#[derive(Debug, Clone)]
pub struct Accepted {
    /// The service.
    pub service: String,
    /// The last accepted migration (None: the service has none yet).
    pub through: Option<String>,
    /// Migrations accepted.
    pub migrations: usize,
}

/// `lint --accept-history`: records each service's existing migrations as accepted history
/// in [`config::HISTORY_FILE`]; returns the file and what was accepted.
pub fn accept_history(
    ws: &Workspace,
    services: &[Service],
) -> Result<(std::path::PathBuf, Vec<Accepted>), Error> {
    let mut accepted = Vec::new();
    for s in services {
        let dirs = s.migration_dirs()?;
        accepted.push(Accepted {
            service: s.name.clone(),
            through: dirs.last().map(|(n, _)| n.clone()),
            migrations: dirs.len(),
        });
    }
    let entries: Vec<(String, String)> = accepted
        .iter()
        .filter_map(|a| Some((a.service.clone(), a.through.clone()?)))
        .collect();
    let path = config::accept_history(&ws.root, &entries)?;
    Ok((path, accepted))
}
