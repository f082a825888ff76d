//! `migrate-incompatible`: what `cargo xtask migrate` (and PostgreSQL) would refuse when the
//! migration runs: unbalanced BEGIN/COMMIT, CONCURRENTLY inside a transaction block, ROLLBACK,
//! two-phase commit, and a new enum value used in the same transaction.

use super::{MigrationCx, Place, Rule, Sink};
use crate::sql::ActionKind;

pub(super) struct MigrateIncompatible;

impl Rule for MigrateIncompatible {
    fn name(&self) -> &'static str {
        "migrate-incompatible"
    }
    fn about(&self) -> &'static str {
        "statements `cargo xtask migrate` cannot run as written (e.g. CONCURRENTLY inside BEGIN/COMMIT)"
    }
    fn check_migration(&self, cx: &MigrationCx, out: &mut Sink) {
        let analysis = &cx.migration.analysis;
        let place = Place::Migration(cx.index);
        if let Some((range, message)) = &analysis.unrunnable {
            out.report(
                place.clone(),
                Some(range.clone()),
                message.clone(),
                "`cargo xtask migrate` checks this before running anything and refuses the migration",
            );
        }
        if !analysis.transactional {
            return;
        }
        let version = cx.service.config.postgres_version;
        for (i, statement) in analysis.statements.iter().enumerate() {
            for action in &statement.actions {
                let ActionKind::AddEnumValue { ty, value } = &action.kind else {
                    continue;
                };
                if version < 12 {
                    out.report(
                        place.clone(),
                        Some(action.range.clone()),
                        format!("ALTER TYPE \"{ty}\" ADD VALUE cannot run inside a transaction before PostgreSQL 12, and this migration runs as one"),
                        "put it in a migration of its own with a statement that cannot run in a transaction, or upgrade to PostgreSQL 12+",
                    );
                    continue;
                }
                let literal = format!("'{}'", value.replace('\'', "''"));
                if let Some(user) = analysis.statements[i + 1..]
                    .iter()
                    .find(|s| cx.migration.sql[s.range.clone()].contains(&literal))
                {
                    out.report(
                        place.clone(),
                        Some(user.range.clone()),
                        format!("uses the enum value {literal} added to \"{ty}\" earlier in this migration: PostgreSQL refuses a new enum value before its transaction commits (55P04 unsafe use of new value)"),
                        "move the statements that use the new value to a later migration",
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::check;

    #[test]
    fn fires_on_concurrently_inside_a_transaction_block() {
        insta::assert_snapshot!(check(&[
            "CREATE TABLE \"t\" (\"a\" TEXT);\n",
            "BEGIN;\nCREATE INDEX CONCURRENTLY \"t_a_idx\" ON \"t\"(\"a\");\nCOMMIT;\n"
        ]));
    }

    #[test]
    fn fires_on_a_new_enum_value_used_in_the_same_migration() {
        insta::assert_snapshot!(check(&[
            "CREATE TYPE \"Role\" AS ENUM ('USER');\nCREATE TABLE \"u\" (\"role\" \"Role\" NOT NULL DEFAULT 'USER');\n",
            "-- AlterEnum\nALTER TYPE \"Role\" ADD VALUE 'ADMIN';\n\n-- AlterTable\nALTER TABLE \"u\" ALTER COLUMN \"role\" SET DEFAULT 'ADMIN';\n"
        ]));
    }

    #[test]
    fn quiet_on_prismas_enum_value_alone_and_on_concurrently_outside_blocks() {
        assert_eq!(
            check(&["-- AlterEnum\nALTER TYPE \"Role\" ADD VALUE 'ADMIN';\n"]),
            ""
        );
        assert!(
            !check(&["CREATE INDEX CONCURRENTLY \"t_a_idx\" ON \"t\"(\"a\");\n"])
                .contains("migrate-incompatible")
        );
    }
}
