//! `empty-migration`: a migration without a single statement (`prisma migrate dev
//! --create-only` writes one for you to fill in). Deploying it records a change that changes
//! nothing, and the folder can no longer be edited once applied anywhere.

use super::{MigrationCx, Place, Rule, Sink};
use crate::lint::RuleLevel;

pub(super) struct EmptyMigration;

impl Rule for EmptyMigration {
    fn name(&self) -> &'static str {
        "empty-migration"
    }
    fn default_level(&self) -> RuleLevel {
        RuleLevel::Warning
    }
    fn about(&self) -> &'static str {
        "a migration holding no SQL statement (only whitespace or comments)"
    }
    fn check_migration(&self, cx: &MigrationCx, out: &mut Sink) {
        let analysis = &cx.migration.analysis;
        if !analysis.statements.is_empty() || analysis.syntax_error.is_some() {
            return;
        }
        out.report(
            Place::Migration(cx.index),
            None,
            format!(
                "migration `{}` holds no SQL statement: deploying it changes nothing but is recorded as applied",
                cx.migration.name
            ),
            "write the change it was made for, or delete the folder before it is applied anywhere",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::check;

    #[test]
    fn fires_on_an_empty_file() {
        insta::assert_snapshot!(check(&["CREATE TABLE \"a\" (\"id\" TEXT);\n", ""]));
    }

    #[test]
    fn fires_on_a_comment_only_file() {
        insta::assert_snapshot!(check(&["-- This is an empty migration.\n/* nothing */\n"]));
    }

    #[test]
    fn quiet_on_a_statement() {
        assert_eq!(check(&["SELECT 1;\n"]), "");
    }
}
