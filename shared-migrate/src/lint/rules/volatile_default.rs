//! `volatile-default`: adding a column whose default is computed per row
//! (`gen_random_uuid()`, a serial) rewrites the whole table under an ACCESS EXCLUSIVE lock; so
//! does any default before PostgreSQL 11.

use super::{ActionCx, Rule, Sink};
use crate::lint::RuleLevel;
use crate::sql::{ActionKind, DefaultValue};

pub(super) struct VolatileDefault;

impl Rule for VolatileDefault {
    fn name(&self) -> &'static str {
        "volatile-default"
    }
    fn default_level(&self) -> RuleLevel {
        RuleLevel::Warning
    }
    fn about(&self) -> &'static str {
        "ADD COLUMN with a per-row default (or any default before PostgreSQL 11) on an existing table: a full rewrite"
    }
    fn check_action(&self, cx: &ActionCx, out: &mut Sink) {
        let ActionKind::AddColumn { table, column } = &cx.action.kind else {
            return;
        };
        let version = cx.config().postgres_version;
        let why = match column.default {
            Some(DefaultValue::Volatile) => "its default is computed per row".to_string(),
            Some(DefaultValue::Stable) if version < 11 => {
                format!("PostgreSQL {version} writes any default into every row")
            }
            _ => return,
        };
        if cx.existing(table) {
            cx.report(
                out,
                format!("adding \"{}\" to existing table \"{table}\" rewrites the whole table while blocking reads and writes: {why}", column.name),
                "add the column without the default, SET DEFAULT in the same migration (new rows only), and backfill existing rows in batches",
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{STUDENTS, check};
    use crate::lint::config::LintConfig;
    use crate::lint::rules::test_support::check_with;

    #[test]
    fn fires_on_a_per_row_default() {
        insta::assert_snapshot!(check(&[
            STUDENTS,
            "ALTER TABLE \"students\" ADD COLUMN \"token\" UUID NOT NULL DEFAULT gen_random_uuid();\n"
        ]));
    }

    #[test]
    fn a_constant_default_rewrites_only_before_postgres_11() {
        let add = "ALTER TABLE \"students\" ADD COLUMN \"active\" BOOLEAN NOT NULL DEFAULT true;\n";
        assert_eq!(check(&[STUDENTS, add]), "");
        let old = LintConfig {
            postgres_version: 10,
            ..LintConfig::default()
        };
        let found = check_with(
            &old,
            &[
                ("20250101000000_init", STUDENTS),
                ("20250102000000_add_active", add),
            ],
            None,
            true,
        );
        assert!(
            found.contains("PostgreSQL 10 writes any default"),
            "{found}"
        );
    }
}
