//! `invalid-suppression`: a `lint:allow` that names no rule, an unknown rule, or gives no
//! reason. A suppression is a decision; the reason is what a reviewer reads.

use super::{MigrationCx, Place, Rule, Sink, find};

pub(super) struct InvalidSuppression;

impl Rule for InvalidSuppression {
    fn name(&self) -> &'static str {
        "invalid-suppression"
    }
    fn about(&self) -> &'static str {
        "`lint:allow` without a rule or a reason, or naming an unknown rule"
    }
    fn suppressible(&self) -> bool {
        false
    }
    fn check_migration(&self, cx: &MigrationCx, out: &mut Sink) {
        for s in &cx.migration.suppressions {
            let problem = if s.rules.is_empty() {
                "names no rule".to_string()
            } else if let Some(unknown) = s.rules.iter().find(|r| find(r).is_none()) {
                format!("names unknown rule `{unknown}`")
            } else if let Some(fixed) = s
                .rules
                .iter()
                .find(|r| find(r).is_some_and(|r| !r.suppressible()))
            {
                format!("names `{fixed}`, which cannot be suppressed")
            } else if s.reason.is_empty() {
                "gives no reason".to_string()
            } else {
                continue;
            };
            out.report(
                Place::Migration(cx.index),
                Some(s.range.clone()),
                format!("this suppression {problem}"),
                "write `-- lint:allow <rule>: <why this is safe here>` (`cargo xtask lint --list-rules` lists the rules)",
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{STUDENTS, check};

    #[test]
    fn fires_without_reason_or_with_an_unknown_rule() {
        insta::assert_snapshot!(check(&[
            STUDENTS,
            "-- lint:allow drop-table\nDROP TABLE \"courses\";\n-- lint:allow drop-colum: typo\nALTER TABLE \"students\" DROP COLUMN \"name\";\n"
        ]));
    }
}
