//! `set-not-null`: SET NOT NULL fails if any row holds NULL and scans the table under an
//! ACCESS EXCLUSIVE lock. Quiet when the same migration backfills the column first (the
//! guide's zero-downtime recipe, steps 3 and 4).

use super::{ActionCx, Rule, Sink};
use crate::lint::RuleLevel;
use crate::sql::ActionKind;

pub(super) struct SetNotNull;

impl Rule for SetNotNull {
    fn name(&self) -> &'static str {
        "set-not-null"
    }
    fn default_level(&self) -> RuleLevel {
        RuleLevel::Warning
    }
    fn about(&self) -> &'static str {
        "ALTER COLUMN ... SET NOT NULL on an existing table without a backfill before it"
    }
    fn check_action(&self, cx: &ActionCx, out: &mut Sink) {
        let ActionKind::SetNotNull { table, column } = &cx.action.kind else {
            return;
        };
        let backfilled = cx.earlier_actions().any(|a| match a {
            ActionKind::Update { table: t, columns } => t == table && columns.contains(column),
            ActionKind::AddColumn {
                table: t,
                column: c,
            } => t == table && &c.name == column,
            _ => false,
        });
        if cx.existing(table) && !backfilled {
            cx.report(
                out,
                format!("SET NOT NULL on \"{table}\".\"{column}\" fails if any row holds NULL, and scans the whole table while blocking reads and writes"),
                &format!("backfill first in this migration (UPDATE \"{table}\" SET \"{column}\" = ... WHERE \"{column}\" IS NULL); on a large table add CHECK (\"{column}\" IS NOT NULL) NOT VALID, VALIDATE it in a later migration, then SET NOT NULL, which then skips the scan"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{STUDENTS, check};

    #[test]
    fn fires_on_prismas_optional_to_required() {
        insta::assert_snapshot!(check(&[
            STUDENTS,
            "-- AlterTable\nALTER TABLE \"students\" ALTER COLUMN \"name\" SET NOT NULL;\n"
        ]));
    }

    #[test]
    fn quiet_after_a_backfill() {
        assert_eq!(
            check(&[
                STUDENTS,
                "UPDATE \"students\" SET \"name\" = '' WHERE \"name\" IS NULL;\nALTER TABLE \"students\" ALTER COLUMN \"name\" SET NOT NULL;\n"
            ]),
            ""
        );
    }
}
