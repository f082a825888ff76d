//! `drop-column`: dropping a column of an existing table deletes its values, and breaks running
//! code that still reads it.

use super::{ActionCx, Rule, Sink};
use crate::sql::ActionKind;

pub(super) struct DropColumn;

impl Rule for DropColumn {
    fn name(&self) -> &'static str {
        "drop-column"
    }
    fn about(&self) -> &'static str {
        "DROP COLUMN on a table created by an earlier migration (data loss)"
    }
    fn check_action(&self, cx: &ActionCx, out: &mut Sink) {
        if let ActionKind::DropColumn { table, column } = &cx.action.kind
            && cx.existing(table)
        {
            cx.report(
                out,
                format!("dropping column \"{column}\" of \"{table}\" deletes its values, and running code that still reads it fails"),
                "drop it last (guide: Zero-Downtime Migrations): deploy code that no longer uses the column, copy its values if they may be needed, then drop it in a later migration; a Prisma field rename is generated as drop + add: write ALTER TABLE ... RENAME COLUMN or use @map instead. If the loss is intended: `-- lint:allow drop-column: <why>`",
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{STUDENTS, check};

    #[test]
    fn fires_on_prismas_drop_column() {
        insta::assert_snapshot!(check(&[
            STUDENTS,
            "/*\n  Warnings:\n\n  - You are about to drop the column `name` on the `students` table. All the data in the column will be lost.\n\n*/\n-- AlterTable\nALTER TABLE \"students\" DROP COLUMN \"name\";\n"
        ]));
    }

    #[test]
    fn quiet_on_adding_a_column() {
        assert_eq!(
            check(&[
                STUDENTS,
                "-- AlterTable\nALTER TABLE \"students\" ADD COLUMN \"grade\" INTEGER;\n"
            ]),
            ""
        );
    }
}
