//! `rename-table`: renaming a table breaks every running instance that still uses the old name.

use super::{ActionCx, Rule, Sink};
use crate::sql::ActionKind;

pub(super) struct RenameTable;

impl Rule for RenameTable {
    fn name(&self) -> &'static str {
        "rename-table"
    }
    fn about(&self) -> &'static str {
        "RENAME TO on an existing table (breaks running code)"
    }
    fn check_action(&self, cx: &ActionCx, out: &mut Sink) {
        if let ActionKind::RenameTable { from, to } = &cx.action.kind
            && cx.existing(from)
        {
            cx.report(
                out,
                format!("renaming table \"{from}\" to \"{to}\" breaks running code that still uses \"{from}\""),
                &format!("to rename only the Prisma model keep the table: @@map(\"{from}\"); otherwise rename, and in the same migration CREATE VIEW \"{from}\" AS SELECT * FROM \"{to}\" until no running code uses the old name"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{STUDENTS, check};

    #[test]
    fn fires_on_renaming_an_existing_table() {
        insta::assert_snapshot!(check(&[
            STUDENTS,
            "ALTER TABLE \"courses\" RENAME TO \"classes\";\n"
        ]));
    }
}
