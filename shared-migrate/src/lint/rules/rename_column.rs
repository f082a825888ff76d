//! `rename-column`: renaming a column breaks every running instance that still uses the old
//! name, for as long as old and new code run side by side.

use super::{ActionCx, Rule, Sink};
use crate::sql::ActionKind;

pub(super) struct RenameColumn;

impl Rule for RenameColumn {
    fn name(&self) -> &'static str {
        "rename-column"
    }
    fn about(&self) -> &'static str {
        "RENAME COLUMN on an existing table (breaks running code)"
    }
    fn check_action(&self, cx: &ActionCx, out: &mut Sink) {
        if let ActionKind::RenameColumn { table, from, to } = &cx.action.kind
            && cx.existing(table)
        {
            cx.report(
                out,
                format!("renaming \"{table}\".\"{from}\" to \"{to}\" breaks running code that still uses \"{from}\""),
                &format!("to rename only the Prisma field keep the column: @map(\"{from}\"); otherwise expand and contract: add \"{to}\", write both, backfill, move reads, then drop \"{from}\" in a later release"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{STUDENTS, check};

    #[test]
    fn fires_on_a_hand_written_rename() {
        insta::assert_snapshot!(check(&[
            STUDENTS,
            "-- AlterTable\nALTER TABLE \"students\" RENAME COLUMN \"name\" TO \"fullName\";\n"
        ]));
    }

    #[test]
    fn quiet_on_a_new_table() {
        assert_eq!(
            check(&[
                "CREATE TABLE \"t\" (\"a\" TEXT);\nALTER TABLE \"t\" RENAME COLUMN \"a\" TO \"b\";\n"
            ]),
            ""
        );
    }
}
