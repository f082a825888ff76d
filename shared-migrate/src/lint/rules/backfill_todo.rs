//! `backfill-todo`: a backfill `cargo xtask new --safe` wrote without the value existing rows
//! should get (the field has no `@default`): only a person knows it.

use super::{MigrationCx, Place, Rule, Sink};

/// The marker `new --safe` writes where the backfill's value belongs.
pub(crate) const TODO: &str = "TODO(backfill)";

pub(super) struct BackfillTodo;

impl Rule for BackfillTodo {
    fn name(&self) -> &'static str {
        "backfill-todo"
    }
    fn about(&self) -> &'static str {
        "a required column's backfill still holds a TODO(backfill) marker instead of a value"
    }
    // The marker is the reminder; silencing it would defeat it.
    fn suppressible(&self) -> bool {
        false
    }
    fn check_migration(&self, cx: &MigrationCx, out: &mut Sink) {
        let sql = &cx.migration.sql;
        let mut from = 0;
        while let Some(i) = sql[from..].find(TODO) {
            let start = from + i;
            let end = start + TODO.len();
            out.report(
                Place::Migration(cx.index),
                Some(start..end),
                "this backfill has no value yet: the rows already in the table would get NULL, and the SET NOT NULL after it would fail on them".into(),
                "write the value existing rows should get in place of `NULL /* TODO(backfill) ... */`, or give the field a @default in schema.prisma and generate again",
            );
            from = end;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{STUDENTS, check};

    #[test]
    fn fires_on_a_backfill_without_its_value() {
        insta::assert_snapshot!(check(&[
            STUDENTS,
            "-- AlterTable\nALTER TABLE \"students\" ADD COLUMN \"code\" TEXT;\nUPDATE \"students\" SET \"code\" = NULL /* TODO(backfill): the value of \"code\" for the rows already in \"students\" */ WHERE \"code\" IS NULL;\nALTER TABLE \"students\" ALTER COLUMN \"code\" SET NOT NULL;\n"
        ]));
    }

    #[test]
    fn quiet_once_the_value_is_written() {
        assert_eq!(
            check(&[
                STUDENTS,
                "ALTER TABLE \"students\" ADD COLUMN \"code\" TEXT;\nUPDATE \"students\" SET \"code\" = 'none' WHERE \"code\" IS NULL;\nALTER TABLE \"students\" ALTER COLUMN \"code\" SET NOT NULL;\n"
            ]),
            ""
        );
    }
}
