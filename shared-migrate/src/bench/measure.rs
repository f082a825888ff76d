//! Timing child processes, and their own peak memory, then median and range over repetitions.
//!
//! Peak memory comes from the measured xtask process itself (`VmHWM` at exit, written to the
//! file [`PEAK_RSS_ENV`] names): the kernel's `ru_maxrss` of a child also counts the parent's
//! size at spawn and every server the child started and reaped, so it would not be our figure.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use crate::error::Error;

/// Set by `bench` for the xtask processes it measures: where to write their peak memory.
pub(crate) const PEAK_RSS_ENV: &str = "XTASK_BENCH_PEAK_RSS_FILE";

/// One timed run.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    pub millis: f64,
    /// The measured xtask process's peak resident memory (KiB); None for the psql baselines.
    pub peak_rss_kib: Option<u64>,
}

/// Runs `cmd` to completion (its output must go to files or null, never to a pipe nobody
/// reads). Returns the wall time and the exit code.
pub(crate) fn run(cmd: &mut Command) -> Result<(f64, i32), Error> {
    let start = Instant::now();
    let status = cmd
        .status()
        .map_err(|e| Error::Bench(format!("cannot run {:?}: {e}", cmd.get_program())))?;
    let millis = start.elapsed().as_secs_f64() * 1000.0;
    use std::os::unix::process::ExitStatusExt;
    let code = status
        .code()
        .unwrap_or_else(|| 128 + status.signal().unwrap_or(0));
    Ok((millis, code))
}

/// Called by the xtask binary as it exits: writes its peak resident memory (KiB) to the file
/// named by [`PEAK_RSS_ENV`], when set.
pub fn report_own_peak() {
    let Some(path) = std::env::var_os(PEAK_RSS_ENV) else {
        return;
    };
    if let Some(kib) = own_peak_kib() {
        let _ = std::fs::write(path, kib.to_string());
    }
}

fn own_peak_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

/// Reads and removes what [`report_own_peak`] wrote.
pub(crate) fn take_peak(path: &Path) -> Option<u64> {
    let kib = std::fs::read_to_string(path).ok()?.trim().parse().ok();
    let _ = std::fs::remove_file(path);
    kib
}

/// Median and range of a contender's samples.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Stats {
    pub median_ms: f64,
    pub min_ms: f64,
    pub max_ms: f64,
    /// The highest over the runs.
    pub peak_rss_kib: Option<u64>,
}

impl Stats {
    pub fn of(samples: &[Sample]) -> Option<Stats> {
        let mut ms: Vec<f64> = samples.iter().map(|s| s.millis).collect();
        ms.sort_by(f64::total_cmp);
        Some(Stats {
            median_ms: median(&ms)?,
            min_ms: *ms.first()?,
            max_ms: *ms.last()?,
            peak_rss_kib: samples.iter().filter_map(|s| s.peak_rss_kib).max(),
        })
    }
}

/// The median of sorted values (the mean of the middle two for an even count).
pub(crate) fn median(sorted: &[f64]) -> Option<f64> {
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2]),
        _ => Some((sorted[n / 2 - 1] + sorted[n / 2]) / 2.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[3.0]), Some(3.0));
        assert_eq!(median(&[1.0, 2.0, 10.0]), Some(2.0));
        assert_eq!(median(&[1.0, 2.0, 4.0, 10.0]), Some(3.0));
    }

    #[test]
    fn a_child_is_timed_and_its_exit_code_seen() {
        // `sleep` runs at least as long as asked; `false` exits 1.
        let (ms, code) = run(Command::new("sleep").arg("0.05")).unwrap();
        assert_eq!(code, 0);
        assert!(ms >= 50.0, "{ms}");
        let (_, code) = run(&mut Command::new("false")).unwrap();
        assert_eq!(code, 1);
    }

    #[test]
    fn our_own_peak_memory_is_read_from_the_kernel() {
        // This test process has at least loaded itself.
        let kib = own_peak_kib().unwrap();
        assert!(kib > 100, "{kib}");
    }
}
