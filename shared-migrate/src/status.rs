//! `status`: compares the migration folders with the ledger. Read-only: takes no lock and
//! creates nothing.

use serde::Serialize;

use crate::connection;
use crate::database_url::DatabaseUrl;
use crate::error::{Error, ExitCode};
use crate::ledger::{self, Row};
use crate::migration::Migration;
use crate::source::Service;

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
                "migration `{name}` was edited after it was applied (checksum differs)"
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    UpToDate,
    Pending,
    Problem,
}

impl State {
    pub fn exit_code(self) -> ExitCode {
        match self {
            State::UpToDate => ExitCode::Success,
            State::Pending => ExitCode::Pending,
            State::Problem => ExitCode::Failure,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct FailedMigration {
    pub name: String,
    pub started_at: String,
    pub logs: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct ServiceStatus {
    pub service: String,
    /// Redacted.
    pub url: Option<String>,
    pub state: State,
    pub applied: Vec<String>,
    pub pending: Vec<String>,
    pub failed: Vec<FailedMigration>,
    pub edited: Vec<String>,
    pub missing_locally: Vec<String>,
    pub late: Vec<String>,
    pub rolled_back: Vec<String>,
    /// Why the state is a problem when the lists above do not say it.
    pub error: Option<String>,
    #[serde(skip)]
    pub exit_code: ExitCode,
}

pub fn status_service(service: &Service, url: Result<DatabaseUrl, Error>) -> ServiceStatus {
    let mut s = ServiceStatus {
        service: service.name.clone(),
        url: url.as_ref().ok().map(ToString::to_string),
        state: State::Problem,
        applied: vec![],
        pending: vec![],
        failed: vec![],
        edited: vec![],
        missing_locally: vec![],
        late: vec![],
        rolled_back: vec![],
        error: None,
        exit_code: ExitCode::Failure,
    };
    if let Err(e) = url.and_then(|url| fill(service, &url, &mut s)) {
        s.state = State::Problem;
        s.exit_code = e.exit_code().max(ExitCode::Failure);
        s.error = Some(e.to_string());
    }
    s
}

fn fill(service: &Service, url: &DatabaseUrl, s: &mut ServiceStatus) -> Result<(), Error> {
    let local = service.migrations()?;
    let mut client = connection::connect(url)?;
    let rows = if connection::use_schema(&mut client, &url.schema, false)?
        && ledger::exists(&mut client, &url.schema)?
    {
        ledger::rows(&mut client)?
    } else {
        let tables = if connection::use_schema(&mut client, &url.schema, false)? {
            ledger::other_tables(&mut client, &url.schema)?
        } else {
            vec![]
        };
        if !tables.is_empty() {
            s.pending = local.iter().map(|m| m.name.clone()).collect();
            return Err(Error::NotEmpty {
                service: service.name.clone(),
                schema: url.schema.clone(),
                tables: format!("{} tables", tables.len()),
            });
        }
        vec![]
    };
    let h = compare(&local, &rows);
    s.applied = h.applied.iter().map(|&i| local[i].name.clone()).collect();
    s.pending = h.pending.iter().map(|&i| local[i].name.clone()).collect();
    s.failed = h
        .failed
        .iter()
        .map(|r| FailedMigration {
            name: r.migration_name.clone(),
            started_at: r.started_at.clone(),
            logs: r.logs.clone(),
        })
        .collect();
    s.edited = h.edited;
    s.missing_locally = h.missing_locally;
    s.late = h.late;
    s.rolled_back = h.rolled_back;
    s.state = if !s.failed.is_empty() || !s.edited.is_empty() || !s.missing_locally.is_empty() {
        State::Problem
    } else if !s.pending.is_empty() {
        State::Pending
    } else {
        State::UpToDate
    };
    s.exit_code = s.state.exit_code();
    Ok(())
}
