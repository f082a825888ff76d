//! `revert-todo`: a statement `cargo xtask new --revert` could not reverse without losing data
//! (or without knowledge the files do not hold), still marked for a person to finish.

use super::{MigrationCx, Place, Rule, Sink};

/// The marker `new --revert` writes on a statement a person must finish.
pub(crate) const TODO: &str = "TODO(revert)";

pub(super) struct RevertTodo;

impl Rule for RevertTodo {
    fn name(&self) -> &'static str {
        "revert-todo"
    }
    fn about(&self) -> &'static str {
        "a reverse migration still holds a TODO(revert) marker"
    }
    // The marker is the reminder; silencing it would defeat it.
    fn suppressible(&self) -> bool {
        false
    }
    fn check_migration(&self, cx: &MigrationCx, out: &mut Sink) {
        let sql = &cx.migration.sql;
        let marker = format!("-- {TODO}:");
        let mut from = 0;
        while let Some(i) = sql[from..].find(&marker) {
            let start = from + i;
            let end = sql[start..].find('\n').map_or(sql.len(), |n| start + n);
            out.report(
                Place::Migration(cx.index),
                Some(start..end),
                "this reversal needs a person: it cannot be done mechanically without losing data".into(),
                "do what the comment says (or decide it need not be undone), then delete the marker line",
            );
            from = end;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::check;

    #[test]
    fn fires_on_each_marker_left() {
        insta::assert_snapshot!(check(&[
            "CREATE TABLE \"t\" (\"id\" INTEGER, \"a\" TEXT);\n",
            "-- Reverts x.\n\n-- TODO(revert): column \"t\".\"a\" was dropped with its values: restore them from a backup.\nALTER TABLE \"t\" ADD COLUMN \"a\" text;\n"
        ]));
    }
}
