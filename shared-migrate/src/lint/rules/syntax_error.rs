//! `syntax-error`: text PostgreSQL's grammar does not accept (as squawk's parser reads it).
//! The other rules cannot see into it, and `migrate` would fail there.

use super::{MigrationCx, Place, Rule, Sink};

pub(super) struct SyntaxError;

impl Rule for SyntaxError {
    fn name(&self) -> &'static str {
        "syntax-error"
    }
    fn about(&self) -> &'static str {
        "SQL the PostgreSQL parser does not accept"
    }
    fn check_migration(&self, cx: &MigrationCx, out: &mut Sink) {
        if let Some((range, message)) = &cx.migration.analysis.syntax_error {
            out.report(
                Place::Migration(cx.index),
                Some(range.clone()),
                format!("not valid PostgreSQL: {message}"),
                "fix the statement; if PostgreSQL does accept it, suppress with `-- lint:allow syntax-error: <why>` above it",
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::check;

    #[test]
    fn fires_on_a_typo() {
        insta::assert_snapshot!(check(&[
            "ALTER TABEL \"students\" ADD COLUMN \"x\" TEXT;\n"
        ]));
    }
}
