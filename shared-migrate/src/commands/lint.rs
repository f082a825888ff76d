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
