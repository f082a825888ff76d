//! `cargo xtask bench`'s figures: medians, ranges, ratios to baseline (b) and to the floor
//! ((c), or squawk for lint), peak memory.

use std::fmt::Write as _;

use crate::bench::BenchResults;
use crate::bench::scale::ScaleResults;

/// The figures as a table, with the machine and the command's shape.
pub fn bench_figures(r: &BenchResults) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} services x {} migrations ({} migrations, {} statements, {:.1} MB of SQL), {} rows per new table, seed {}; lint also on one history of {} migrations",
        r.services,
        r.migrations_per_service,
        r.monorepo.migrations,
        r.monorepo.statements,
        r.monorepo.bytes as f64 / 1e6,
        r.rows,
        r.seed,
        r.long_history.migrations
    );
    let _ = writeln!(out, "{}", machine_line(&r.machine, &r.build, r.runs));
    let width = r.figures.iter().map(|f| f.name.len()).max().unwrap_or(0);
    let _ = writeln!(
        out,
        "\n{:<width$}  {:>9}  {:>17}  {:>7}  {:>8}  {:>9}",
        "", "median", "min - max", "vs (b)", "vs floor", "peak RSS"
    );
    for f in &r.figures {
        let range = format!("{:.0} - {:.0} ms", f.stats.min_ms, f.stats.max_ms);
        let ratio = f
            .ratio_to_b
            .map_or_else(|| "-".to_string(), |x| format!("{x:.2}x"));
        let floor = f
            .ratio_to_floor
            .map_or_else(|| "-".to_string(), |x| format!("{x:.2}x"));
        let peak = f.stats.peak_rss_kib.map_or_else(
            || "-".to_string(),
            |k| format!("{:.1} MB", k as f64 / 1024.0),
        );
        let _ = writeln!(
            out,
            "{:<width$}  {:>6.0} ms  {:>17}  {:>7}  {:>8}  {:>9}",
            f.name, f.stats.median_ms, range, ratio, floor, peak
        );
    }
    let _ = writeln!(
        out,
        "floor: (c) for what applies migrations, squawk for lint of the one long history"
    );
    if !r.ready.is_empty() {
        let ready: Vec<String> = r
            .ready
            .iter()
            .map(|x| {
                format!(
                    "{} {:.0} ms (min {:.0}, max {:.0}, {} databases)",
                    x.backend, x.median_ms, x.min_ms, x.max_ms, x.samples
                )
            })
            .collect();
        let _ = writeln!(out, "\nstart to database ready: {}", ready.join("; "));
    }
    if !r.connect.is_empty() {
        let connect: Vec<String> = r
            .connect
            .iter()
            .map(|x| {
                format!(
                    "{} {:.1} ms (min {:.1}, max {:.1}, {} connections)",
                    x.backend, x.median_ms, x.min_ms, x.max_ms, x.samples
                )
            })
            .collect();
        let _ = writeln!(out, "connect + SELECT 1: {}", connect.join("; "));
    }
    let d = &r.drift;
    let _ = writeln!(
        out,
        "\ndrift, on a generated Prisma project of {} models and {} migrations:",
        d.models, d.migrations
    );
    let line = |x: &crate::bench::Ready| {
        format!(
            "{:.1} ms (min {:.1}, max {:.1}, {} runs)",
            x.median_ms, x.min_ms, x.max_ms, x.samples
        )
    };
    let _ = writeln!(
        out,
        "  verify's schema step               {}",
        line(&d.schema_step)
    );
    let _ = writeln!(
        out,
        "  verify --no-lint, with the step    {}",
        line(&d.verify_with_step)
    );
    let _ = writeln!(
        out,
        "  verify --no-lint, without it       {} (medians differ by {:+.0} ms)",
        line(&d.verify_without_step),
        d.verify_with_step.median_ms - d.verify_without_step.median_ms
    );
    let _ = writeln!(
        out,
        "  new --from-schema after the replay {} ({} models)",
        line(&d.generation),
        d.models + 1
    );
    let _ = writeln!(
        out,
        "the daily loop on it (whole commands, as `cargo xtask` runs them):"
    );
    for (what, x) in [
        ("migrate, empty database          ", &d.migrate_fresh),
        ("dev, empty dev database          ", &d.dev_fresh),
        ("dev, nothing changed             ", &d.dev_in_sync),
        ("new, nothing changed             ", &d.new_in_sync),
        ("new, nothing changed, no cache   ", &d.new_in_sync_cold),
    ] {
        let _ = writeln!(out, "  {what} {}", line(x));
    }
    for s in &r.skipped {
        let _ = writeln!(out, "skipped: {s}");
    }
    // A benchmark cannot time the build it runs in.
    let _ = writeln!(
        out,
        "the first build (wall, CPU, crates): bash ci/bench-build.sh [REV]"
    );
    out
}

/// `bench --scale`: each contender's median, range, time per service and memory.
pub fn scale_figures(r: &ScaleResults) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} services x {} migrations ({} migrations, {:.1} MB of SQL); verify --backend local --jobs {}",
        r.services,
        r.migrations_per_service,
        r.monorepo.migrations,
        r.monorepo.bytes as f64 / 1e6,
        r.jobs
    );
    let _ = writeln!(out, "{}", machine_line(&r.machine, &r.build, r.runs));
    let width = r.figures.iter().map(|f| f.name.len()).max().unwrap_or(0);
    let _ = writeln!(
        out,
        "\n{:<width$}  {:>10}  {:>21}  {:>11}  {:>11}  {:>12}",
        "", "median", "min - max", "per service", "xtask peak", "servers peak"
    );
    let mb =
        |k: Option<u64>| k.map_or_else(|| "-".into(), |k| format!("{:.1} MB", k as f64 / 1024.0));
    for f in &r.figures {
        let _ = writeln!(
            out,
            "{:<width$}  {:>7.0} ms  {:>21}  {:>8.1} ms  {:>11}  {:>12}",
            f.name,
            f.stats.median_ms,
            format!("{:.0} - {:.0} ms", f.stats.min_ms, f.stats.max_ms),
            f.per_service_ms,
            mb(f.stats.peak_rss_kib),
            mb(f.servers_peak_kib)
        );
    }
    let _ = writeln!(
        out,
        "\nshards one after another: sum {:.0} ms, longest {:.0} ms (medians over runs)",
        r.shards_sum_ms, r.shards_max_ms
    );
    let _ = writeln!(
        out,
        "cluster isolation takes {:.2}x database isolation's time per service",
        r.cluster_over_database
    );
    out
}

/// Where the figures come from: the machine, the build measured, how many runs.
fn machine_line(m: &crate::bench::Machine, build: &str, runs: usize) -> String {
    format!(
        "machine: {} cores ({}), {} GiB, {}, {}; xtask {build} build; {runs} runs, interleaved",
        m.cores, m.cpu, m.memory_gib, m.os, m.postgres
    )
}
