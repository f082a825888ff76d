//! `migration-timestamp`: the 14 digits are a real UTC date and time, not in the future (a
//! local-time timestamp east of UTC looks like one, and later sorts wrongly).

use super::{MigrationCx, Place, Rule, Sink};
use crate::workspace::naming::{self, NameProblem};

pub(super) struct MigrationTimestamp;

/// The one rule whose findings depend on the clock (lint's cache keeps none of them).
pub(crate) const NAME: &str = "migration-timestamp";

impl Rule for MigrationTimestamp {
    fn name(&self) -> &'static str {
        NAME
    }
    fn about(&self) -> &'static str {
        "timestamp that is not a real UTC date-time, or lies in the future"
    }
    fn check_migration(&self, cx: &MigrationCx, out: &mut Sink) {
        let name = &cx.migration.name;
        let message = match naming::split(name) {
            Err(problem @ NameProblem::BadTimestamp(_)) => format!("migration `{name}`: {problem}"),
            Ok((time, _)) => {
                let skew = cx.service.config.max_clock_skew;
                let limit = cx.service.now
                    + chrono::Duration::from_std(skew).unwrap_or(chrono::Duration::zero());
                if time <= limit {
                    return;
                }
                format!(
                    "migration `{name}` is dated {} UTC, in the future (now {} UTC): a timestamp in local time, or a wrong clock",
                    time.format("%Y-%m-%d %H:%M:%S"),
                    cx.service.now.format("%Y-%m-%d %H:%M:%S")
                )
            }
            Err(_) => return,
        };
        out.report(
            Place::Migration(cx.index),
            None,
            message,
            "rename it with the current UTC time (`cargo xtask new` does), before it is applied anywhere",
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::test_support::check_with;

    fn check(name: &str) -> String {
        check_with(&Default::default(), &[(name, "SELECT 1;\n")], None, false)
    }

    #[test]
    fn fires_on_impossible_and_future_times() {
        insta::assert_snapshot!(
            [check("20251332120000_add_x"), check("20260101050000_add_x")].join("\n\n")
        );
    }

    #[test]
    fn quiet_within_the_allowed_skew() {
        // "now" is 2026-01-01 00:00:00 in tests; the default skew is 10 minutes.
        assert_eq!(check("20260101000500_add_x"), "");
    }
}
