//! `out-of-order` (with `--since`): a new migration must sort after every migration on the
//! base revision, or databases that applied those see an older migration appear (the guide's
//! "migration conflict").

use super::{MigrationCx, Place, Rule, Sink};

pub(super) struct OutOfOrder;

impl Rule for OutOfOrder {
    fn name(&self) -> &'static str {
        "out-of-order"
    }
    fn about(&self) -> &'static str {
        "with --since: a new migration sorts before the newest one on the base revision"
    }
    fn check_migration(&self, cx: &MigrationCx, out: &mut Sink) {
        let Some(baseline) = cx.service.baseline else {
            return;
        };
        let name = &cx.migration.name;
        // A squash sorts where the migrations it replaced were.
        if baseline.migrations.contains_key(name) || !cx.migration.replaces.is_empty() {
            return;
        }
        if let Some(newest) = baseline.migrations.keys().next_back()
            && name < newest
        {
            out.report(
                Place::Migration(cx.index),
                None,
                format!("new migration `{name}` sorts before `{newest}`, which is already on {}: databases that applied `{newest}` get an older migration after it", baseline.rev),
                &format!("`cargo xtask rebase -s {} --onto {}` gives it a timestamp after `{newest}` (the folder renamed, the file unchanged) and verifies the service; it refuses when migrations on {} change the same tables", cx.service.service, baseline.rev, baseline.rev),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::history::Baseline;
    use crate::lint::rules::test_support::check_with;

    #[test]
    fn fires_on_a_migration_older_than_the_base() {
        let mut base = Baseline {
            rev: "origin/main".into(),
            ..Baseline::default()
        };
        base.migrations
            .insert("20250105000000_add_wallets".into(), b"SELECT 1;\n".to_vec());
        let history = [
            ("20250103000000_add_grades", "SELECT 2;\n"),
            ("20250105000000_add_wallets", "SELECT 1;\n"),
            ("20250106000000_add_badges", "SELECT 3;\n"),
        ];
        insta::assert_snapshot!(check_with(
            &Default::default(),
            &history,
            Some(&base),
            false
        ));
    }
}
