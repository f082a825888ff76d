//! `drop-table`: dropping a table that earlier migrations created deletes its rows.

use super::{ActionCx, Rule, Sink};
use crate::sql::ActionKind;

pub(super) struct DropTable;

impl Rule for DropTable {
    fn name(&self) -> &'static str {
        "drop-table"
    }
    fn about(&self) -> &'static str {
        "DROP TABLE of a table created by an earlier migration (data loss)"
    }
    fn check_action(&self, cx: &ActionCx, out: &mut Sink) {
        if let ActionKind::DropTable { table } = &cx.action.kind
            && cx.existing(table)
        {
            cx.report(
                out,
                format!("dropping table \"{table}\" deletes it and every row in it"),
                "keep the data until nothing needs it: deploy code that no longer uses the table, copy it first if it may be needed (CREATE TABLE ... AS TABLE ...), and drop it in a later release; if the loss is intended, say so: `-- lint:allow drop-table: <why>`",
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{STUDENTS, check};

    #[test]
    fn fires_on_dropping_an_existing_table() {
        insta::assert_snapshot!(check(&[
            STUDENTS,
            "-- DropTable\nDROP TABLE \"courses\";\n"
        ]));
    }

    #[test]
    fn quiet_on_a_table_created_in_the_same_migration() {
        assert_eq!(
            check(&["CREATE TABLE \"tmp\" (\"id\" INTEGER);\nDROP TABLE \"tmp\";\n"]),
            ""
        );
    }

    #[test]
    fn quiet_when_suppressed_with_a_reason() {
        assert_eq!(
            check(&[
                STUDENTS,
                "-- lint:allow drop-table: courses moved to the catalog service in 20250101000000\nDROP TABLE \"courses\";\n"
            ]),
            ""
        );
    }
}
