//! The local migration folders set against the ledger's rows: what is applied, pending, failed,
//! edited or missing. Pure: `migrate` plans from it, `status` shows it.

use super::ledger::Row;
use crate::workspace::Migration;

/// The local folders set against the ledger rows.
#[derive(Debug, Default)]
pub(crate) struct History {
    /// Indexes into the local migrations that are applied.
    pub applied: Vec<usize>,
    /// Indexes of the local migrations deploy would apply, in order.
    pub pending: Vec<usize>,
    /// Failed rows (neither finished nor rolled back).
    pub failed: Vec<Row>,
    /// Applied migrations whose file changed since (line endings aside).
    pub edited: Vec<String>,
    /// Applied in the database, no folder here.
    pub missing_locally: Vec<String>,
    /// Pending migrations that sort before the newest applied one (merged late).
    pub late: Vec<String>,
    /// Pending migrations that were applied before and then resolved as rolled back.
    pub rolled_back: Vec<String>,
    /// Pending squashes whose replaced migrations this database applied, every one: migrate
    /// records them as applied without running them (also in `pending`).
    pub absorbed: Vec<usize>,
    /// Squashes of which this database applied only some migrations (not in `pending`: migrate
    /// refuses them).
    pub partial: Vec<PartialSquash>,
    /// Applied rows with no folder because a local squash replaced them: (row, squash).
    pub replaced: Vec<(String, String)>,
}

/// A squash a database is halfway through: it applied some of the migrations the squash
/// replaced, not all.
#[derive(Debug, Clone)]
pub(crate) struct PartialSquash {
    pub squash: String,
    pub applied: Vec<String>,
    pub missing: Vec<String>,
}

impl PartialSquash {
    /// What is wrong, and what to do.
    pub(crate) fn explain(&self, service: &str) -> String {
        format!(
            "squash `{}` replaces {} migrations, and this database applied {} of them (the first not applied: `{}`): it can neither run the squash (its tables exist) nor record it as applied (it lacks the rest). Check out the commit before the one that added the squash (`git log --diff-filter=A --format=%h -- '*/{}/migration.sql'` names that one; take its parent, `<commit>^`), run `cargo xtask migrate -s {service}` there to apply the rest, then migrate again on this commit",
            self.squash,
            self.applied.len() + self.missing.len(),
            self.applied.len(),
            self.missing[0],
            self.squash,
        )
    }
}

impl History {
    /// Problems that deploy warns about (errors under `--strict`).
    pub(crate) fn warnings(&self) -> Vec<String> {
        let mut w = Vec::new();

        for name in &self.edited {
            w.push(format!(
                "migration `{name}` was edited after it was applied (checksum differs): the databases keep the version they ran, so restore that one (`git log -p` of its migration.sql shows it) and put the change in a new migration (`cargo xtask new`)"
            ));
        }
        for name in &self.missing_locally {
            w.push(format!(
                "migration `{name}` is applied in the database but has no local folder"
            ));
        }
        for name in &self.late {
            w.push(format!(
                "migration `{name}` is pending but older than the newest applied migration (merged late?)"
            ));
        }
        w
    }
}

pub(crate) fn compare(local: &[Migration], rows: &[Row]) -> History {
    let mut h = History::default();
    let applied = |name: &str| {
        rows.iter()
            .any(|r| r.migration_name == name && r.is_applied())
    };
    let newest_applied = rows
        .iter()
        .filter(|r| r.is_applied() && local.iter().any(|m| m.name == r.migration_name))
        .map(|r| r.migration_name.as_str())
        .max();
    for (i, m) in local.iter().enumerate() {
        let mine: Vec<&Row> = rows.iter().filter(|r| r.migration_name == m.name).collect();
        if let Some(row) = mine.iter().rev().find(|r| r.is_applied()) {
            h.applied.push(i);
            if !m.checksum_matches(&row.checksum) {
                h.edited.push(m.name.clone());
            }
        } else if !mine.iter().any(|r| r.rolled_back_at.is_none()) {
            // A squash: recorded where all it replaces ran, run where none did, refused between.
            let (done, missing): (Vec<&str>, Vec<&str>) = m
                .replaces
                .iter()
                .map(|r| r.name.as_str())
                .partition(|n| applied(n));
            if !done.is_empty() && !missing.is_empty() {
                h.partial.push(PartialSquash {
                    squash: m.name.clone(),
                    applied: done.iter().map(|s| s.to_string()).collect(),
                    missing: missing.iter().map(|s| s.to_string()).collect(),
                });
                continue;
            }
            h.pending.push(i);
            if !done.is_empty() {
                h.absorbed.push(i);
            } else if newest_applied.is_some_and(|newest| m.name.as_str() < newest) {
                h.late.push(m.name.clone());
            }
            if !mine.is_empty() {
                h.rolled_back.push(m.name.clone());
            }
        }
    }
    h.failed = rows.iter().filter(|r| r.is_failed()).cloned().collect();
    let squash_of = |name: &str| {
        local
            .iter()
            .find(|m| m.replaces.iter().any(|r| r.name == name))
            .map(|m| m.name.clone())
    };
    for r in rows.iter().filter(|r| r.is_applied()) {
        let name = &r.migration_name;
        if local.iter().any(|m| &m.name == name)
            || h.missing_locally.contains(name)
            || h.replaced.iter().any(|(n, _)| n == name)
        {
            continue;
        }
        match squash_of(name) {
            Some(squash) => h.replaced.push((name.clone(), squash)),
            None => h.missing_locally.push(name.clone()),
        }
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workspace::Replaced;

    fn migration(name: &str, replaces: &[&str]) -> Migration {
        let mut m =
            Migration::from_text(name, format!("{name}/migration.sql").into(), String::new());
        m.replaces = replaces
            .iter()
            .map(|n| Replaced {
                name: n.to_string(),
                checksum: String::new(),
            })
            .collect();
        m
    }

    fn applied(name: &str) -> Row {
        Row {
            id: name.into(),
            checksum: crate::workspace::checksum(b""),
            migration_name: name.into(),
            started_at: String::new(),
            finished_at: Some("now".into()),
            rolled_back_at: None,
            logs: None,
            applied_steps_count: 1,
        }
    }

    #[test]
    fn a_squash_is_recorded_where_all_it_replaces_ran_and_refused_where_some_did() {
        let local = [
            migration("3_squash", &["1_a", "2_b"]),
            migration("4_c", &[]),
        ];
        let all = compare(&local, &[applied("1_a"), applied("2_b")]);
        assert_eq!(
            (all.pending.clone(), all.absorbed.clone()),
            (vec![0, 1], vec![0])
        );
        assert!(all.missing_locally.is_empty() && all.late.is_empty());
        assert_eq!(all.replaced.len(), 2);

        let some = compare(&local, &[applied("1_a")]);
        assert_eq!(some.pending, vec![1]);
        assert_eq!(some.partial[0].missing, ["2_b"]);

        let none = compare(&local, &[]);
        assert_eq!((none.pending, none.absorbed), (vec![0, 1], vec![]));

        // Once recorded, it is an applied migration like any other.
        let recorded = compare(
            &local,
            &[applied("1_a"), applied("2_b"), applied("3_squash")],
        );
        assert_eq!((recorded.applied, recorded.pending), (vec![0], vec![1]));
        assert!(recorded.missing_locally.is_empty());
    }
}
