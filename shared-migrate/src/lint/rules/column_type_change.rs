//! `column-type-change`: changing a column's type rewrites the table under an ACCESS EXCLUSIVE
//! lock, may fail on existing values, and may break running code. Changes PostgreSQL makes
//! without a rewrite (widening varchar or numeric precision, varchar to text) are quiet.

use super::{ActionCx, Rule, Sink};
use crate::sql::ActionKind;

pub(super) struct ColumnTypeChange;

impl Rule for ColumnTypeChange {
    fn name(&self) -> &'static str {
        "column-type-change"
    }
    fn about(&self) -> &'static str {
        "ALTER COLUMN ... TYPE that rewrites the table or may fail on existing values"
    }
    fn check_action(&self, cx: &ActionCx, out: &mut Sink) {
        let ActionKind::SetType {
            table,
            column,
            ty,
            using,
            ..
        } = &cx.action.kind
        else {
            return;
        };
        if !cx.existing(table) {
            return;
        }
        let old = cx.catalog.column_type(table, column);
        if using.is_none() && old.is_some_and(|old| no_rewrite(old, ty)) {
            return;
        }
        let from = old.map_or(String::new(), |o| format!(" from {o}"));
        cx.report(
            out,
            format!("changing \"{table}\".\"{column}\"{from} to {ty} rewrites the table while blocking reads and writes, fails if a value does not convert, and breaks running code that expects the old type"),
            "expand and contract (guide: Zero-Downtime Migrations): add a column with the new type, write both, backfill, move reads to it, then drop the old one in a later release; widening varchar(n) or numeric(p,s) precision needs no rewrite and is not reported",
        );
    }
}

/// Whether PostgreSQL changes `old` to `new` without rewriting the table or checking rows.
fn no_rewrite(old: &str, new: &str) -> bool {
    if old == new {
        return true;
    }
    let (old_base, old_args) = split(old);
    let (new_base, new_args) = split(new);
    match (old_base, new_base) {
        ("varchar", "text") | ("text", "varchar") => new_args.is_empty(),
        ("varchar", "varchar") | ("varbit", "varbit") | ("bitvarying", "bitvarying") => {
            new_args.is_empty() || (!old_args.is_empty() && new_args[0] >= old_args[0])
        }
        ("numeric", "numeric") => {
            new_args.is_empty()
                || (old_args.len() == new_args.len()
                    && new_args[0] >= old_args[0]
                    && old_args.get(1) == new_args.get(1))
        }
        ("cidr", "inet") => true,
        _ => false,
    }
}

/// `numeric(18,8)` -> (`numeric`, [18, 8]).
fn split(ty: &str) -> (&str, Vec<u32>) {
    match ty.split_once('(') {
        Some((base, args)) => (
            base,
            args.trim_end_matches(')')
                .split(',')
                .filter_map(|a| a.trim().parse().ok())
                .collect(),
        ),
        None => (ty, Vec::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{STUDENTS, check};
    use super::no_rewrite;

    #[test]
    fn fires_on_prismas_decimal_change() {
        insta::assert_snapshot!(check(&[
            STUDENTS,
            "-- AlterTable\nALTER TABLE \"students\" ALTER COLUMN \"balance\" SET DATA TYPE DECIMAL(18,8);\n"
        ]));
    }

    #[test]
    fn fires_on_prismas_enum_rewrite() {
        insta::assert_snapshot!(check(&[
            "CREATE TYPE \"Role\" AS ENUM ('A', 'B');\nCREATE TABLE \"u\" (\"role\" \"Role\" NOT NULL);\n",
            "BEGIN;\nCREATE TYPE \"Role_new\" AS ENUM ('A');\nALTER TABLE \"u\" ALTER COLUMN \"role\" TYPE \"Role_new\" USING (\"role\"::text::\"Role_new\");\nALTER TYPE \"Role\" RENAME TO \"Role_old\";\nALTER TYPE \"Role_new\" RENAME TO \"Role\";\nDROP TYPE \"Role_old\";\nCOMMIT;\n"
        ]));
    }

    #[test]
    fn quiet_on_widening_varchar() {
        assert_eq!(
            check(&[
                STUDENTS,
                "-- AlterTable\nALTER TABLE \"students\" ALTER COLUMN \"name\" SET DATA TYPE VARCHAR(255);\n"
            ]),
            ""
        );
    }

    #[test]
    fn what_needs_no_rewrite() {
        assert!(no_rewrite("varchar(10)", "varchar(20)"));
        assert!(no_rewrite("varchar(10)", "text"));
        assert!(no_rewrite("numeric(10,2)", "numeric(12,2)"));
        assert!(no_rewrite("numeric(10,2)", "numeric"));
        assert!(!no_rewrite("varchar(20)", "varchar(10)"));
        assert!(!no_rewrite("numeric(10,2)", "numeric(18,8)"));
        assert!(!no_rewrite("integer", "bigint"));
        assert!(!no_rewrite("text", "varchar(10)"));
    }
}
