//! Planning CI work across many services: which services a change affects (`--since`), a
//! balanced shard of them (`--shard K/N`), and the GitHub Actions matrix of shards (`ci-plan`).
//! No database.

mod affected;
mod matrix;
mod shard;

pub use affected::{Affected, affected};
pub use matrix::{Matrix, SHARD_SECONDS, matrix};
pub use shard::{Shard, Timings, weigh};
pub(crate) use shard::{assign, select};

use std::path::PathBuf;

use crate::error::Error;
use crate::workspace::{Service, Workspace};

/// Which services a command works on: `--service` (default all), then those affected
/// `--since` a revision, then one `--shard` of those.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    /// `--service`: these services only (empty: all).
    pub services: Vec<String>,
    /// `--since`: only the services a change since this revision affects.
    pub since: Option<String>,
    /// `--shard`: one shard of what is left.
    pub shard: Option<Shard>,
    /// `--timings`: earlier reports that weigh the shards.
    pub timings: Vec<PathBuf>,
}

/// The services in scope, and what `--since` found (to say why).
pub fn scope(ws: &Workspace, scope: &Scope) -> Result<(Vec<Service>, Option<Affected>), Error> {
    let mut services = ws.select(&scope.services)?;
    let found = match &scope.since {
        Some(rev) => {
            let found = affected(ws, rev)?;
            services = found.filter(services);
            Some(found)
        }
        None => None,
    };
    if let Some(shard) = scope.shard {
        let timings = Timings::read(&scope.timings)?;
        services = select(services, shard, &timings)?;
    }
    Ok((services, found))
}
