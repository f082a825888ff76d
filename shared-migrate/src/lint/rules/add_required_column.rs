//! `add-required-column`: a NOT NULL column without a default cannot be added to a table that
//! has rows.

use super::{ActionCx, Rule, Sink};
use crate::sql::ActionKind;

pub(super) struct AddRequiredColumn;

impl Rule for AddRequiredColumn {
    fn name(&self) -> &'static str {
        "add-required-column"
    }
    fn about(&self) -> &'static str {
        "ADD COLUMN ... NOT NULL without DEFAULT on an existing table (fails when it has rows)"
    }
    fn check_action(&self, cx: &ActionCx, out: &mut Sink) {
        if let ActionKind::AddColumn { table, column } = &cx.action.kind
            && column.not_null
            && column.default.is_none()
            && !column.generated
            && cx.existing(table)
        {
            cx.report(
                out,
                format!(
                    "adding NOT NULL column \"{}\" without a default to \"{table}\" fails as soon as the table has a row",
                    column.name
                ),
                "give it a DEFAULT (Prisma: @default(...)), or follow the guide's zero-downtime recipe: add it nullable, backfill it (UPDATE ... WHERE ... IS NULL), then SET NOT NULL",
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{STUDENTS, check};

    #[test]
    fn fires_on_prismas_required_field() {
        insta::assert_snapshot!(check(&[
            STUDENTS,
            "-- AlterTable\nALTER TABLE \"students\" ADD COLUMN \"updatedAt\" TIMESTAMP(3) NOT NULL;\n"
        ]));
    }

    #[test]
    fn quiet_with_a_default_nullable_or_generated() {
        assert_eq!(
            check(&[
                STUDENTS,
                "-- AlterTable\nALTER TABLE \"students\" ADD COLUMN \"grade\" INTEGER NOT NULL DEFAULT 0,\nADD COLUMN \"nickname\" TEXT,\nADD COLUMN \"seq\" INTEGER GENERATED ALWAYS AS IDENTITY;\n"
            ]),
            ""
        );
    }

    #[test]
    fn quiet_on_a_table_created_in_the_same_migration() {
        assert_eq!(
            check(&[
                "CREATE TABLE \"t\" (\"id\" TEXT NOT NULL);\nALTER TABLE \"t\" ADD COLUMN \"x\" TEXT NOT NULL;\n"
            ]),
            ""
        );
    }
}
