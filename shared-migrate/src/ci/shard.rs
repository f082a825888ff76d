//! `--shard K/N`: a deterministic, balanced part of the services. Each service has an estimated
//! cost (from its migration count, or from a previous run's report given with `--timings`).
//! Services are placed heaviest first, each on the first shard of its own pseudo-random
//! preference order (rendezvous hashing of its name) that stays under 115% of an even share,
//! else on the lightest shard. Over K = 1..N the shards are disjoint and cover every service;
//! adding a service leaves almost every other where it was, because a service's preferences do
//! not depend on the others.

use std::collections::HashMap;
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::error::Error;
use crate::workspace::Service;

/// `K/N`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// 1-based.
    pub index: usize,
    /// How many shards there are.
    pub count: usize,
}

impl std::str::FromStr for Shard {
    type Err = String;
    fn from_str(s: &str) -> Result<Shard, String> {
        let bad = || format!("`{s}` is not a shard: write K/N with 1 <= K <= N, e.g. 2/4");
        let (k, n) = s.split_once('/').ok_or_else(bad)?;
        let (index, count): (usize, usize) = (
            k.trim().parse().map_err(|_| bad())?,
            n.trim().parse().map_err(|_| bad())?,
        );
        if index == 0 || count == 0 || index > count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// Estimated cost of a service without timings: a fixed part (database, steps, tests) and a
/// part per migration, in milliseconds (measured on the bench's generated services).
pub(super) const SERVICE_MS: f64 = 400.0;
pub(super) const MIGRATION_MS: f64 = 15.0;

/// How long each service took in earlier runs (milliseconds), by name.
#[derive(Debug, Clone, Default)]
pub struct Timings(pub HashMap<String, f64>);

impl Timings {
    /// Reads reports of earlier runs: `verify --format json` output or `verify --junit` XML,
    /// told apart by their first character. Later files win for a service in several.
    pub fn read(paths: &[impl AsRef<Path>]) -> Result<Timings, Error> {
        let mut all = HashMap::new();
        for path in paths {
            let path = path.as_ref();
            let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
            let found = if text.trim_start().starts_with('<') {
                junit_times(&text)
            } else {
                json_times(&text).map_err(|e| {
                    Error::Config(format!(
                        "--timings {}: neither `verify --format json` output nor JUnit XML: {e}",
                        path.display()
                    ))
                })?
            };
            if found.is_empty() {
                return Err(Error::Config(format!(
                    "--timings {}: no service's time in it (expected `verify --format json` output or `verify --junit` XML)",
                    path.display()
                )));
            }
            all.extend(found);
        }
        Ok(Timings(all))
    }
}

fn json_times(text: &str) -> Result<HashMap<String, f64>, serde_json::Error> {
    #[derive(serde::Deserialize)]
    struct Report {
        service: String,
        millis: f64,
    }
    let reports: Vec<Report> = serde_json::from_str(text)?;
    Ok(reports.into_iter().map(|r| (r.service, r.millis)).collect())
}

/// `<testcase ... name="svc" time="1.234">` of our JUnit output.
fn junit_times(text: &str) -> HashMap<String, f64> {
    let attr = |tag: &str, key: &str| -> Option<String> {
        let start = tag.find(&format!(" {key}=\""))? + key.len() + 3;
        let end = start + tag[start..].find('"')?;
        Some(
            tag[start..end]
                .replace("&quot;", "\"")
                .replace("&apos;", "'")
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&amp;", "&"),
        )
    };
    text.split("<testcase")
        .skip(1)
        .filter_map(|rest| {
            let tag = &rest[..rest.find('>')?];
            let name = attr(tag, "name")?;
            let seconds: f64 = attr(tag, "time")?.parse().ok()?;
            Some((name, seconds * 1000.0))
        })
        .collect()
}

/// A service and its estimated cost in milliseconds.
#[derive(Debug, Clone)]
pub struct Weighted {
    pub name: String,
    pub millis: f64,
}

/// Each service's estimated cost: its time in `timings`, else the estimate from its migration
/// count, scaled by how the measured services compare with their estimates.
pub fn weigh(services: &[Service], timings: &Timings) -> Result<Vec<Weighted>, Error> {
    let mut estimates = Vec::with_capacity(services.len());
    for s in services {
        let migrations = s.migration_dirs()?.len();
        estimates.push(SERVICE_MS + MIGRATION_MS * migrations as f64);
    }
    let mut ratios: Vec<f64> = services
        .iter()
        .zip(&estimates)
        .filter_map(|(s, e)| timings.0.get(&s.name).map(|t| t / e))
        .collect();
    ratios.sort_by(f64::total_cmp);
    let scale = ratios.get(ratios.len() / 2).copied().unwrap_or(1.0);
    Ok(services
        .iter()
        .zip(estimates)
        .map(|(s, e)| Weighted {
            name: s.name.clone(),
            millis: timings
                .0
                .get(&s.name)
                .copied()
                .unwrap_or(e * scale)
                .max(1.0),
        })
        .collect())
}

/// Slack over an even share before a service goes to a later preference.
const SLACK: f64 = 1.15;

/// The shard (0-based) of each service, in the order given.
pub(crate) fn assign(services: &[Weighted], count: usize) -> Vec<usize> {
    let count = count.max(1);
    let total: f64 = services.iter().map(|s| s.millis).sum();
    let heaviest = services.iter().map(|s| s.millis).fold(0.0, f64::max);
    let cap = (total / count as f64 * SLACK).max(heaviest);
    let mut order: Vec<usize> = (0..services.len()).collect();
    order.sort_by(|&a, &b| {
        services[b]
            .millis
            .total_cmp(&services[a].millis)
            .then_with(|| services[a].name.cmp(&services[b].name))
    });
    let mut load = vec![0.0; count];
    let mut shard_of = vec![0; services.len()];
    for i in order {
        let s = &services[i];
        let chosen = preferences(&s.name, count)
            .into_iter()
            .find(|&k| load[k] + s.millis <= cap)
            .unwrap_or_else(|| {
                (0..count)
                    .min_by(|&a, &b| load[a].total_cmp(&load[b]))
                    .expect("at least one shard")
            });
        load[chosen] += s.millis;
        shard_of[i] = chosen;
    }
    shard_of
}

/// The shards in the order `name` prefers them (highest rendezvous hash first).
fn preferences(name: &str, count: usize) -> Vec<usize> {
    let mut scored: Vec<(u64, usize)> = (0..count)
        .map(|k| {
            let digest = Sha256::digest(format!("{name}\0{k}").as_bytes());
            let score = u64::from_be_bytes(digest[..8].try_into().expect("8 bytes"));
            (score, k)
        })
        .collect();
    scored.sort_by(|a, b| b.cmp(a));
    scored.into_iter().map(|(_, k)| k).collect()
}

/// The services of `shard`, in the order given.
pub(crate) fn select(
    services: Vec<Service>,
    shard: Shard,
    timings: &Timings,
) -> Result<Vec<Service>, Error> {
    let weighted = weigh(&services, timings)?;
    let shard_of = assign(&weighted, shard.count);
    Ok(services
        .into_iter()
        .zip(shard_of)
        .filter(|(_, k)| *k == shard.index - 1)
        .map(|(s, _)| s)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deterministic spread of costs, like real services (a few slow, most quick).
    fn services(n: usize) -> Vec<Weighted> {
        (0..n)
            .map(|i| Weighted {
                name: format!("svc-{i:03}"),
                millis: 300.0
                    + ((i * 7919) % 97) as f64 * 20.0
                    + if i % 23 == 0 { 5000.0 } else { 0.0 },
            })
            .collect()
    }

    #[test]
    fn shards_cover_every_service_once_and_are_balanced() {
        for (n, count) in [(1, 1), (3, 4), (50, 3), (200, 4), (500, 8)] {
            let all = services(n);
            let shard_of = assign(&all, count);
            assert_eq!(shard_of.len(), n);
            assert!(shard_of.iter().all(|&k| k < count));
            let mut load = vec![0.0; count];
            for (s, &k) in all.iter().zip(&shard_of) {
                load[k] += s.millis;
            }
            let total: f64 = load.iter().sum();
            let heaviest = all.iter().map(|s| s.millis).fold(0.0, f64::max);
            let max = load.iter().copied().fold(0.0, f64::max);
            assert!(
                max <= (total / count as f64 * SLACK).max(heaviest) + heaviest,
                "{n} services in {count}: loads {load:?}"
            );
            if n >= 50 {
                assert!(max <= total / count as f64 * 1.2, "{n}/{count}: {load:?}");
            }
        }
    }

    #[test]
    fn adding_a_service_moves_few_others() {
        for (n, count) in [(100, 4), (200, 4), (500, 8)] {
            let before = services(n);
            let mut after = before.clone();
            after.push(Weighted {
                name: "new-service".into(),
                millis: 700.0,
            });
            let (a, b) = (assign(&before, count), assign(&after, count));
            let moved = (0..n).filter(|&i| a[i] != b[i]).count();
            assert!(moved * 20 <= n, "{moved} of {n} services moved");
        }
    }

    #[test]
    fn shard_flags_parse() {
        assert_eq!("2/4".parse::<Shard>(), Ok(Shard { index: 2, count: 4 }));
        for bad in ["0/4", "5/4", "4", "a/b", "1/0"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
    }

    #[test]
    fn timings_come_from_json_or_junit() {
        let json = r#"[{"service":"a","millis":1500,"steps":[]},{"service":"b","millis":20}]"#;
        assert_eq!(json_times(json).unwrap()["a"], 1500.0);
        let xml =
            "<testsuite>\n<testcase classname=\"verify.local\" name=\"a&amp;b\" time=\"1.250\">";
        assert_eq!(junit_times(xml)["a&b"], 1250.0);
    }
}
