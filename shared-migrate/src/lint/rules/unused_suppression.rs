//! `unused-suppression`: a `lint:allow` that silences nothing, usually left behind after the
//! statement changed. Decided after every other rule ran, by the runner.

use super::{Place, RawFinding, Rule, ServiceCx, find};
use crate::lint::RuleLevel;

pub(crate) const NAME: &str = "unused-suppression";

pub(super) struct UnusedSuppression;

impl Rule for UnusedSuppression {
    fn name(&self) -> &'static str {
        NAME
    }
    fn about(&self) -> &'static str {
        "`lint:allow` that matches no finding"
    }
    fn suppressible(&self) -> bool {
        false
    }
}

/// Reports the suppressions of migration `index` not marked `used`. Invalid ones are
/// `invalid-suppression`'s, and ones naming a rule that is off matched nothing by design.
pub(crate) fn report_unused(
    cx: &ServiceCx,
    index: usize,
    used: &[bool],
    out: &mut Vec<RawFinding>,
) {
    let migration = &cx.migrations[index];
    for (s, used) in migration.suppressions.iter().zip(used) {
        let valid = !s.rules.is_empty()
            && !s.reason.is_empty()
            && s.rules.iter().all(|r| {
                find(r).is_some_and(|r| r.suppressible() && cx.config.level(r) != RuleLevel::Off)
            });
        if *used || !valid {
            continue;
        }
        out.push(RawFinding {
            rule: &UnusedSuppression,
            place: Place::Migration(index),
            range: Some(s.range.clone()),
            message: format!("this suppression of {} matches no finding", s.rules.join(", ")),
            help: "remove it; a suppression applies to the statement after it, or to the one on its line"
                .into(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{STUDENTS, check};

    #[test]
    fn fires_on_a_suppression_that_silences_nothing() {
        insta::assert_snapshot!(check(&[
            STUDENTS,
            "-- lint:allow drop-table: no longer needed\nALTER TABLE \"students\" ADD COLUMN \"x\" TEXT;\n"
        ]));
    }
}
