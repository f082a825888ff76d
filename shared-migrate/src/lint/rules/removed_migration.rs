//! `removed-migration` (with `--since`): a migration that exists on the base revision was
//! deleted or renamed. Databases that applied it report it missing, and a renamed one is
//! applied a second time.

use super::{Place, Rule, ServiceCx, Sink};
use crate::lint::history::same_text;
use crate::sql::Catalog;

pub(super) struct RemovedMigration;

impl Rule for RemovedMigration {
    fn name(&self) -> &'static str {
        "removed-migration"
    }
    fn about(&self) -> &'static str {
        "with --since: a migration on the base revision was deleted or renamed"
    }
    fn check_service(&self, cx: &ServiceCx, _catalog: &Catalog, out: &mut Sink) {
        let Some(baseline) = cx.baseline else {
            return;
        };
        for (name, old) in &baseline.migrations {
            // Present, or replaced by a squash (which databases record in its place).
            if cx
                .migrations
                .iter()
                .any(|m| &m.name == name || m.replaces.contains(name))
            {
                continue;
            }
            let renamed = cx.migrations.iter().find(|m| {
                !baseline.migrations.contains_key(&m.name) && same_text(old, m.sql.as_bytes())
            });
            let (message, help) = match renamed {
                Some(m) => (
                    format!(
                        "migration `{name}` on {} was renamed to `{}`: databases that applied it would apply it again under the new name",
                        baseline.rev, m.name
                    ),
                    "keep the old folder name; a name once applied is permanent".to_string(),
                ),
                None => (
                    format!(
                        "migration `{name}` on {} was deleted: databases that applied it report it missing, and new databases lack its changes",
                        baseline.rev
                    ),
                    "restore it; to undo its changes write a new migration (`cargo xtask new`)"
                        .to_string(),
                ),
            };
            out.report(Place::Removed { name: name.clone() }, None, message, &help);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::history::Baseline;
    use crate::lint::rules::test_support::check_with;

    #[test]
    fn fires_on_deleted_and_renamed_migrations() {
        let mut base = Baseline {
            rev: "origin/main".into(),
            ..Baseline::default()
        };
        for (name, sql) in [
            ("20250101000000_init", "SELECT 1;\n"),
            ("20250102000000_add_grades", "SELECT 2;\n"),
            ("20250103000000_add_badges", "SELECT 3;\n"),
        ] {
            base.migrations.insert(name.into(), sql.as_bytes().to_vec());
        }
        let now = [
            ("20250101000000_init", "SELECT 1;\n"),
            ("20250103000000_add_student_badges", "SELECT 3;\n"),
        ];
        insta::assert_snapshot!(check_with(&Default::default(), &now, Some(&base), false));
    }
}
