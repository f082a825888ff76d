//! The local migration folders set against the ledger's rows: what is applied, pending, failed,
//! edited or missing. Pure: `migrate` plans from it, `status` shows it.

use super::ledger::Row;
use crate::workspace::Migration;

/// The local folders set against the ledger rows.
#[derive(Debug, Default)]
pub struct History {
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
}

impl History {
    /// Problems that deploy warns about (errors under `--strict`).
    pub fn warnings(&self) -> Vec<String> {
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

pub fn compare(local: &[Migration], rows: &[Row]) -> History {
    let mut h = History::default();
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
            h.pending.push(i);
            if newest_applied.is_some_and(|newest| m.name.as_str() < newest) {
                h.late.push(m.name.clone());
            }
            if !mine.is_empty() {
                h.rolled_back.push(m.name.clone());
            }
        }
    }
    h.failed = rows.iter().filter(|r| r.is_failed()).cloned().collect();
    let mut missing: Vec<String> = rows
        .iter()
        .filter(|r| r.is_applied() && !local.iter().any(|m| m.name == r.migration_name))
        .map(|r| r.migration_name.clone())
        .collect();
    missing.dedup();
    h.missing_locally = missing;
    h
}
