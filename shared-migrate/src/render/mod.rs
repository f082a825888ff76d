//! What commands print for people: summary tables and error blocks, JUnit XML, the bench
//! figures. The only layer that knows every report; kept apart from the logic so that the CLI
//! stays thin and the text can be snapshot-tested. (Lint's diagnostics are the linter's own:
//! [`crate::lint::render`].)

mod bench;
mod diff;
mod junit;
mod locks;
mod migrate;
mod status;
mod verify;

pub use bench::{bench_figures, scale_figures};
pub use diff::{diff_github, diff_scripts, diff_summary};
pub use junit::junit;
pub use locks::lock_report;
pub use migrate::{dry_run_summary, migrate_summary};
pub use status::status_summary;
pub use verify::verify_summary;

/// Milliseconds for a table cell: `850 ms`, `12.3 s`.
fn millis(ms: u128) -> String {
    if ms >= 10_000 {
        format!("{:.1} s", ms as f64 / 1000.0)
    } else {
        format!("{ms} ms")
    }
}

/// The width of the service column: the longest name, at least the header's.
fn name_width<'a>(names: impl Iterator<Item = &'a str>) -> usize {
    names.map(str::len).max().unwrap_or(0).max("service".len())
}

#[cfg(test)]
mod tests;
