//! `migration-size`: "one logical change per migration". Limits on statements, bytes and
//! distinct tables changed ([lint] max_statements / max_bytes / max_tables); a service's first
//! migration is exempt unless `exempt_first_migration = false`.

use std::collections::BTreeSet;

use super::{MigrationCx, Place, Rule, Sink};
use crate::lint::RuleLevel;

pub(super) struct MigrationSize;

impl Rule for MigrationSize {
    fn name(&self) -> &'static str {
        "migration-size"
    }
    fn default_level(&self) -> RuleLevel {
        RuleLevel::Warning
    }
    fn about(&self) -> &'static str {
        "more statements, bytes or tables changed than the configured limits"
    }
    fn check_migration(&self, cx: &MigrationCx, out: &mut Sink) {
        let config = cx.service.config;
        if cx.index == 0 && config.exempt_first_migration {
            return;
        }
        let analysis = &cx.migration.analysis;
        let tables: BTreeSet<&str> = analysis
            .statements
            .iter()
            .flat_map(|s| s.actions.iter().filter_map(|a| a.kind.table()))
            .collect();
        let mut over = Vec::new();
        for (what, n, limit) in [
            (
                "statements",
                analysis.statements.len(),
                config.max_statements,
            ),
            ("bytes", cx.migration.sql.len(), config.max_bytes),
            ("tables changed", tables.len(), config.max_tables),
        ] {
            if n > limit {
                over.push(format!("{n} {what} (limit {limit})"));
            }
        }
        if over.is_empty() {
            return;
        }
        out.report(
            Place::Migration(cx.index),
            None,
            format!("migration `{}` is large: {}", cx.migration.name, over.join(", ")),
            "split it into migrations of one logical change each (easier to review, and a failure stops less); the limits are [lint] max_statements, max_bytes and max_tables in xtask.toml",
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::config::LintConfig;
    use crate::lint::rules::test_support::check_with;

    #[test]
    fn fires_over_the_limits_but_not_on_the_first_migration() {
        let config = LintConfig {
            max_statements: 2,
            max_tables: 1,
            ..LintConfig::default()
        };
        let big = "CREATE TABLE \"a\" (\"id\" TEXT);\nCREATE TABLE \"b\" (\"id\" TEXT);\nCREATE TABLE \"c\" (\"id\" TEXT);\n";
        insta::assert_snapshot!(check_with(
            &config,
            &[
                ("20250101000000_init", big),
                ("20250102000000_add_tables", big)
            ],
            None,
            false
        ));
    }

    #[test]
    fn quiet_on_a_prisma_model_with_its_indexes_and_keys() {
        let model = "CREATE TABLE \"e\" (\"id\" TEXT NOT NULL, \"s\" TEXT NOT NULL, CONSTRAINT \"e_pkey\" PRIMARY KEY (\"id\"));\nCREATE INDEX \"e_s_idx\" ON \"e\"(\"s\");\nALTER TABLE \"e\" ADD CONSTRAINT \"e_s_fkey\" FOREIGN KEY (\"s\") REFERENCES \"s\"(\"id\");\n";
        assert_eq!(
            check_with(
                &LintConfig::default(),
                &[
                    ("20250101000000_init", "SELECT 1;\n"),
                    ("20250102000000_add_e", model)
                ],
                None,
                false
            ),
            ""
        );
    }
}
