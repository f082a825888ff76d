//! `ci-plan`: the selected services as a GitHub Actions matrix of shards, each worth a runner
//! (a runner's start, checkout and cached build cost about a minute: a shard holds at least
//! `--shard-seconds` of estimated work, and there are at most `--max-shards`).

use serde::Serialize;

use super::shard::{Shard, Weighted, assign};

/// `{"include":[{"shard":"1/3","services":"a,b"}]}`: `services` goes to
/// `cargo xtask verify --service`, which takes a comma-separated list.
#[derive(Debug, Clone, Serialize)]
pub struct Matrix {
    /// One entry per shard (GitHub Actions' `strategy.matrix.include`).
    pub include: Vec<MatrixShard>,
}

#[derive(Debug, Clone, Serialize)]
pub struct MatrixShard {
    pub shard: String,
    pub services: String,
}

/// Default of `--shard-seconds`.
pub const SHARD_SECONDS: f64 = 120.0;

/// How many shards `services` are worth, from 1 to `max_shards` (none without services).
pub(crate) fn shard_count(services: &[Weighted], max_shards: usize, shard_seconds: f64) -> usize {
    if services.is_empty() {
        return 0;
    }
    let total: f64 = services.iter().map(|s| s.millis).sum();
    let worth = (total / (shard_seconds.max(0.001) * 1000.0)).ceil() as usize;
    worth.clamp(1, max_shards.max(1)).min(services.len())
}

/// The matrix: every service in exactly one shard, shards as `verify --shard K/N` makes them.
pub fn matrix(services: &[Weighted], max_shards: usize, shard_seconds: f64) -> Matrix {
    let count = shard_count(services, max_shards, shard_seconds);
    let shard_of = assign(services, count);
    let include = (0..count)
        .map(|k| MatrixShard {
            shard: Shard {
                index: k + 1,
                count,
            }
            .to_string(),
            services: services
                .iter()
                .zip(&shard_of)
                .filter(|(_, s)| **s == k)
                .map(|(w, _)| w.name.as_str())
                .collect::<Vec<_>>()
                .join(","),
        })
        .filter(|m| !m.services.is_empty())
        .collect();
    Matrix { include }
}
