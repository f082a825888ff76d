//! `edited-migration` (with `--since`): a migration that exists on the base revision was
//! changed. Databases that applied it keep the old version, and `migrate` reports a checksum
//! mismatch.

use super::{MigrationCx, Place, Rule, Sink};

pub(super) struct EditedMigration;

impl Rule for EditedMigration {
    fn name(&self) -> &'static str {
        "edited-migration"
    }
    fn about(&self) -> &'static str {
        "with --since: a migration on the base revision was edited"
    }
    fn check_migration(&self, cx: &MigrationCx, out: &mut Sink) {
        let Some(baseline) = cx.service.baseline else {
            return;
        };
        let name = &cx.migration.name;
        let sql = &cx.migration.sql;
        if baseline.edited(name, sql.as_bytes()) != Some(true) {
            return;
        }
        let old = String::from_utf8_lossy(&baseline.migrations[name]).replace('\r', "");
        // Point at the first changed line.
        let mut offset = 0;
        let mut old_lines = old.lines();
        let mut range = None;
        for line in sql.split_inclusive('\n') {
            if old_lines.next() != Some(line.trim_end_matches(['\n', '\r'])) {
                range = Some(offset..offset + line.trim_end_matches(['\n', '\r']).len());
                break;
            }
            offset += line.len();
        }
        let range = range.unwrap_or(sql.len()..sql.len());
        out.report(
            Place::Migration(cx.index),
            Some(range),
            format!("migration `{name}` exists on {} and was edited: databases that applied it keep the old version, and migrate reports its checksum as changed", baseline.rev),
            "revert the edit and make the change in a new migration (`cargo xtask new`)",
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::history::Baseline;
    use crate::lint::rules::test_support::check_with;

    fn base(sql: &str) -> Baseline {
        let mut base = Baseline {
            rev: "origin/main".into(),
            ..Baseline::default()
        };
        base.migrations
            .insert("20250101000000_init".into(), sql.as_bytes().to_vec());
        base
    }

    #[test]
    fn fires_on_an_edited_line() {
        let old = "CREATE TABLE \"a\" (\"id\" TEXT);\nCREATE TABLE \"b\" (\"id\" TEXT);\n";
        let new = "CREATE TABLE \"a\" (\"id\" TEXT);\nCREATE TABLE \"b\" (\"id\" INTEGER);\n";
        insta::assert_snapshot!(check_with(
            &Default::default(),
            &[("20250101000000_init", new)],
            Some(&base(old)),
            false
        ));
    }

    #[test]
    fn quiet_on_line_endings_alone() {
        let old = "CREATE TABLE \"a\" (\"id\" TEXT);\n";
        let new = "CREATE TABLE \"a\" (\"id\" TEXT);\r\n";
        assert_eq!(
            check_with(
                &Default::default(),
                &[("20250101000000_init", new)],
                Some(&base(old)),
                false
            ),
            ""
        );
    }
}
