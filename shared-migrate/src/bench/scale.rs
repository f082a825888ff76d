//! `bench --scale`: a monorepo of many services (500 x 20 migrations by default) verified on
//! the local backend with database isolation and with cluster isolation, and the same work in
//! shards run one after another, interleaved over the runs. Reports total time, time per
//! service, the xtask process's peak memory and the peak memory of the servers it started
//! (proportional set size of its descendants, sampled, so shared buffers count once).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::generate::{self, Generated, Shape};
use super::measure::{self, PEAK_RSS_ENV, Stats};
use super::{Machine, Scratch, machine};
use crate::ci;
use crate::error::Error;
use crate::workspace::Workspace;

#[derive(Debug, Clone)]
/// What `bench --scale` runs: verify over many generated services.
pub struct ScaleOptions {
    /// The `xtask` binary to run.
    pub exe: PathBuf,
    /// The build profile measured.
    pub build: String,
    /// Where the monorepo is generated.
    pub dir: PathBuf,
    /// The monorepo to generate.
    pub shape: Shape,
    /// Shards to split the services into.
    pub shards: usize,
    /// Runs of each scenario; the figures are their medians.
    pub runs: usize,
    /// Services verified at once.
    pub jobs: usize,
}

/// One way of verifying the whole monorepo.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ScaleFigure {
    pub name: String,
    #[serde(flatten)]
    pub stats: Stats,
    pub per_service_ms: f64,
    /// The highest over the runs: the servers (and containers' processes) it started.
    pub servers_peak_kib: Option<u64>,
    pub samples_ms: Vec<f64>,
}

#[derive(Debug, Clone, serde::Serialize)]
/// The figures of `bench --scale`.
pub struct ScaleResults {
    /// The machine the run was on.
    pub machine: Machine,
    /// The build profile measured.
    pub build: String,
    /// Runs of each scenario.
    pub runs: usize,
    /// Services verified at once.
    pub jobs: usize,
    /// Services in the generated monorepo.
    pub services: usize,
    /// Migrations per service.
    pub migrations_per_service: usize,
    /// The generated monorepo.
    pub monorepo: Generated,
    /// Database isolation, cluster isolation, then each shard's figure.
    pub figures: Vec<ScaleFigure>,
    /// The shards one after another: median over runs of their sum, and of the longest.
    pub shards_sum_ms: f64,
    /// The longest shard: the wall time of a CI run with a job per shard.
    pub shards_max_ms: f64,
    /// Cluster isolation's time per service over database isolation's.
    pub cluster_over_database: f64,
}

/// The contenders: whole runs in each isolation, then each shard (database isolation).
fn contenders(shards: usize) -> Vec<(String, Vec<String>)> {
    let mut list = Vec::new();
    for isolation in ["database", "cluster"] {
        list.push((
            format!("verify, {isolation} isolation"),
            vec!["--isolation".into(), isolation.into()],
        ));
    }
    for k in 1..=shards {
        list.push((
            format!("verify --shard {k}/{shards}"),
            vec!["--shard".into(), format!("{k}/{shards}")],
        ));
    }
    list
}

/// Runs verify over a generated monorepo of many services, in both isolations and by shards.
pub fn run_scale(options: &ScaleOptions, progress: &dyn Fn(&str)) -> Result<ScaleResults, Error> {
    if options.runs == 0 {
        return Err(Error::Config("--runs must be at least 1".into()));
    }
    let shape = options.shape;
    let root = options.dir.join(format!(
        "scale-{}x{}-seed{}",
        shape.services, shape.migrations, shape.seed
    ));
    progress(&format!(
        "generating {} services x {} migrations under {}",
        shape.services,
        shape.migrations,
        root.display()
    ));
    if root.exists() {
        std::fs::remove_dir_all(&root).map_err(|e| Error::io(&root, e))?;
    }
    let monorepo = generate::monorepo(&root, shape)?;
    let scratch = Scratch {
        stdout: options.dir.join("scale.stdout"),
        stderr: options.dir.join("scale.stderr"),
        peak: options.dir.join("scale.peak-rss"),
    };
    // A first run builds the initdb template cache (under the monorepo's target/): not measured.
    progress("warming up: the local backend's template cache");
    let mut warm = scratch.command(&options.exe)?;
    warm.arg("--root")
        .arg(&root)
        .args(["verify", "--backend", "local", "--no-lint", "--shard"])
        .arg(format!("1/{}", shape.services.max(1)));
    let (_, code) = measure::run(&mut warm)?;
    if code != 0 {
        return Err(Error::Bench(format!(
            "the warm-up verify exited {code}:\n{}",
            scratch.tail()
        )));
    }
    let contenders = contenders(options.shards);
    let mut samples: Vec<Vec<(f64, Option<u64>, u64)>> = vec![Vec::new(); contenders.len()];
    for run in 0..options.runs {
        for k in 0..contenders.len() {
            let i = (k + run) % contenders.len();
            let (name, args) = &contenders[i];
            let mut cmd = scratch.command(&options.exe)?;
            cmd.arg("--root")
                .arg(&root)
                .args(["verify", "--backend", "local", "--format", "json"])
                .args(["--jobs", &options.jobs.to_string()])
                .args(args)
                .env(PEAK_RSS_ENV, &scratch.peak);
            let (millis, code, servers) = run_sampling(&mut cmd)?;
            let peak = measure::take_peak(&scratch.peak);
            if code != 0 {
                return Err(Error::Bench(format!(
                    "{name} exited {code}:\n{}",
                    scratch.tail()
                )));
            }
            progress(&format!(
                "run {}/{}: {name:<32} {millis:>9.0} ms",
                run + 1,
                options.runs
            ));
            samples[i].push((millis, peak, servers));
        }
    }
    let sizes = shard_sizes(&root, options.shards)?;
    let services_of = |i: usize| -> usize { if i < 2 { shape.services } else { sizes[i - 2] } };
    let figures: Vec<ScaleFigure> = contenders
        .iter()
        .enumerate()
        .map(|(i, (name, _))| {
            let s: Vec<measure::Sample> = samples[i]
                .iter()
                .map(|&(millis, peak, _)| measure::Sample {
                    millis,
                    peak_rss_kib: peak,
                })
                .collect();
            let stats = Stats::of(&s).expect("at least one run");
            ScaleFigure {
                name: name.clone(),
                per_service_ms: stats.median_ms / services_of(i).max(1) as f64,
                stats,
                servers_peak_kib: samples[i].iter().map(|s| s.2).max(),
                samples_ms: samples[i].iter().map(|s| s.0).collect(),
            }
        })
        .collect();
    let per_run = |f: fn(f64, f64) -> f64, start: f64| -> f64 {
        let mut totals: Vec<f64> = (0..options.runs)
            .map(|r| samples[2..].iter().map(|s| s[r].0).fold(start, f))
            .collect();
        totals.sort_by(f64::total_cmp);
        measure::median(&totals).unwrap_or(0.0)
    };
    let shards_sum_ms = per_run(|a, b| a + b, 0.0);
    let shards_max_ms = per_run(f64::max, 0.0);
    let cluster_over_database = figures[1].per_service_ms / figures[0].per_service_ms;
    Ok(ScaleResults {
        machine: machine(),
        build: options.build.clone(),
        runs: options.runs,
        jobs: options.jobs,
        services: shape.services,
        migrations_per_service: shape.migrations,
        monorepo,
        figures,
        shards_sum_ms,
        shards_max_ms,
        cluster_over_database,
    })
}

/// How many services each shard holds (as `verify --shard` picks them).
fn shard_sizes(root: &Path, shards: usize) -> Result<Vec<usize>, Error> {
    let services = Workspace::new(root).services()?;
    let weighted = ci::weigh(&services, &ci::Timings::default())?;
    let shard_of = ci::assign(&weighted, shards);
    Ok((0..shards)
        .map(|k| shard_of.iter().filter(|&&s| s == k).count())
        .collect())
}

/// Runs `cmd`, sampling every 100 ms the memory (PSS, KiB) of the processes it started
/// (itself excluded). Returns the wall time, the exit code and that peak.
fn run_sampling(cmd: &mut Command) -> Result<(f64, i32, u64), Error> {
    let start = Instant::now();
    let mut child = cmd
        .spawn()
        .map_err(|e| Error::Bench(format!("cannot run {:?}: {e}", cmd.get_program())))?;
    let pid = child.id();
    let done = Arc::new(AtomicBool::new(false));
    let peak = Arc::new(AtomicU64::new(0));
    let sampler = {
        let (done, peak) = (done.clone(), peak.clone());
        std::thread::spawn(move || {
            while !done.load(Ordering::SeqCst) {
                peak.fetch_max(descendants_pss_kib(pid), Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(100));
            }
        })
    };
    let status = child
        .wait()
        .map_err(|e| Error::Bench(format!("waiting for {:?}: {e}", cmd.get_program())))?;
    let millis = start.elapsed().as_secs_f64() * 1000.0;
    done.store(true, Ordering::SeqCst);
    let _ = sampler.join();
    use std::os::unix::process::ExitStatusExt;
    let code = status
        .code()
        .unwrap_or_else(|| 128 + status.signal().unwrap_or(0));
    Ok((millis, code, peak.load(Ordering::SeqCst)))
}

/// The summed PSS of every descendant of `root` (not `root` itself).
fn descendants_pss_kib(root: u32) -> u64 {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return 0;
    };
    let parents: Vec<(u32, u32)> = entries
        .flatten()
        .filter_map(|e| {
            let pid: u32 = e.file_name().to_str()?.parse().ok()?;
            let stat = std::fs::read_to_string(e.path().join("stat")).ok()?;
            // `pid (comm) state ppid ...`: comm may hold spaces, so split after the last ')'.
            let ppid = stat
                .rsplit_once(')')?
                .1
                .split_whitespace()
                .nth(1)?
                .parse()
                .ok()?;
            Some((pid, ppid))
        })
        .collect();
    let mut family = vec![root];
    let mut i = 0;
    while i < family.len() {
        let p = family[i];
        family.extend(parents.iter().filter(|(_, pp)| *pp == p).map(|(c, _)| *c));
        i += 1;
    }
    family[1..]
        .iter()
        .filter_map(|pid| {
            let rollup = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).ok()?;
            rollup
                .lines()
                .find_map(|l| l.strip_prefix("Pss:"))?
                .trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<u64>()
                .ok()
        })
        .sum()
}
