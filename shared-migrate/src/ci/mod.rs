//! Planning CI work across many services: which services a change affects (`--since`), a
//! balanced shard of them (`--shard K/N`), and the GitHub Actions matrix of shards (`ci-plan`).
//! No database.

mod affected;
mod matrix;
mod shard;

pub use affected::{Affected, AffectedService, Reason, affected};
pub use matrix::{Matrix, MatrixShard, SHARD_SECONDS, matrix, shard_count};
pub use shard::{Shard, Timings, Weighted, assign, select, weigh};

use std::path::PathBuf;

use crate::error::Error;
use crate::workspace::{Service, Workspace};

/// Which services a command works on: `--service` (default all), then those affected
/// `--since` a revision, then one `--shard` of those.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    pub services: Vec<String>,
    pub since: Option<String>,
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
