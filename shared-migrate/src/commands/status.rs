//! `status`: compares the migration folders with the ledger. Read-only: takes no lock and
//! creates nothing.

use serde::Serialize;

use crate::db::{self, DatabaseUrl, UrlOrigin, ledger};
use crate::error::{Error, ExitCode};
use crate::workspace::Service;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
/// A service's state as `status` reports it.
pub enum State {
    /// Every migration is applied.
    UpToDate,
    /// Migrations wait to be applied; nothing is wrong.
    Pending,
    /// Something needs a person: a failed, edited or missing migration, or no database.
    Problem,
}

impl State {
    /// The exit code `status` ends with for this state.
    pub fn exit_code(self) -> ExitCode {
        match self {
            State::UpToDate => ExitCode::Success,
            State::Pending => ExitCode::Pending,
            State::Problem => ExitCode::Failure,
        }
    }
}

/// A migration whose last attempt failed, as its ledger row says.
#[derive(Debug, Clone, Serialize)]
pub struct FailedMigration {
    /// The migration.
    pub name: String,
    /// When the attempt started.
    pub started_at: String,
    /// The error recorded with it.
    pub logs: Option<String>,
}

#[derive(Debug, Serialize)]
/// What `status` found for one service.
pub struct ServiceStatus {
    /// The service.
    pub service: String,
    /// Redacted.
    pub url: Option<String>,
    /// Where the URL came from: `environment variable EDU_DIRECT (named by directUrl at ...)`.
    pub url_source: Option<String>,
    /// The environment variable that held it, if one did.
    pub url_variable: Option<String>,
    /// Up to date, pending, or a problem.
    pub state: State,
    /// Migration folders of the service (known even when the database cannot be read).
    pub local: usize,
    /// Whether the database was read (the lists below say nothing when it was not).
    pub read: bool,
    /// Migrations the ledger records as applied, in order.
    pub applied: Vec<String>,
    /// Migration folders not applied yet, in order.
    pub pending: Vec<String>,
    /// Migrations whose last attempt failed.
    pub failed: Vec<FailedMigration>,
    /// Applied migrations whose file changed since (their checksum differs).
    pub edited: Vec<String>,
    /// Applied migrations with no folder here.
    pub missing_locally: Vec<String>,
    /// Pending migrations older than the newest applied one.
    pub late: Vec<String>,
    /// Migrations marked rolled back (`resolve --rolled-back`).
    pub rolled_back: Vec<String>,
    /// Pending squashes the next migrate records as applied without running them (this
    /// database applied every migration they replace).
    pub squashes_to_record: Vec<String>,
    /// Applied migrations whose folders a squash replaced: `[row, squash]`.
    pub replaced: Vec<(String, String)>,
    /// Why the state is a problem when the lists above do not say it.
    pub error: Option<String>,
    /// The schema has tables and no ledger (Prisma's P3005): it needs a baseline, or a reset.
    #[serde(skip)]
    pub needs_baseline: bool,
    /// `--drift`: what differs between the database and its migrations (empty: nothing).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drift: Option<Vec<String>>,
    #[serde(skip)]
    /// What the command exits with.
    pub exit_code: ExitCode,
}

impl ServiceStatus {
    /// Records what `--drift` found: differences make the state a problem; a comparison that
    /// could not be made is an error.
    pub fn set_drift(&mut self, differences: Vec<String>, error: Option<String>) {
        if let Some(e) = error {
            self.state = State::Problem;
            self.exit_code = self.exit_code.max(ExitCode::Failure);
            self.error.get_or_insert(format!("drift not checked: {e}"));
        } else if !differences.is_empty() {
            self.state = State::Problem;
            self.exit_code = ExitCode::Failure;
        }
        self.drift = Some(differences);
    }

    /// Says where the URL came from.
    pub fn with_origin(mut self, origin: Option<&UrlOrigin>) -> ServiceStatus {
        self.url_source = origin.map(ToString::to_string);
        self.url_variable = origin.and_then(|o| o.variable().map(str::to_string));
        self
    }
}

/// Reads a service's ledger and compares it with its migration folders (Prisma's `migrate status`).
pub fn status_service(service: &Service, url: Result<DatabaseUrl, Error>) -> ServiceStatus {
    let mut s = ServiceStatus {
        service: service.name.clone(),
        url: url.as_ref().ok().map(ToString::to_string),
        url_source: None,
        url_variable: None,
        state: State::Problem,
        local: service.migration_dirs().map_or(0, |d| d.len()),
        read: false,
        applied: vec![],
        pending: vec![],
        failed: vec![],
        edited: vec![],
        missing_locally: vec![],
        late: vec![],
        rolled_back: vec![],
        squashes_to_record: vec![],
        replaced: vec![],
        error: None,
        needs_baseline: false,
        drift: None,
        exit_code: ExitCode::Failure,
    };
    match url.and_then(|url| fill(service, &url, &mut s)) {
        Ok(()) => s.read = true,
        Err(e) => {
            s.state = State::Problem;
            s.needs_baseline = matches!(e, Error::NotEmpty { .. });
            s.exit_code = e.exit_code().max(ExitCode::Failure);
            s.error = Some(e.to_string());
        }
    }
    s
}

fn fill(service: &Service, url: &DatabaseUrl, s: &mut ServiceStatus) -> Result<(), Error> {
    let local = service.migrations()?;
    let mut client = db::connect(url)?;
    let rows = if db::use_schema(&mut client, &url.schema, false)?
        && ledger::exists(&mut client, &url.schema)?
    {
        ledger::rows(&mut client)?
    } else {
        let tables = if db::use_schema(&mut client, &url.schema, false)? {
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
    let h = db::compare(&local, &rows);
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
    s.squashes_to_record = h.absorbed.iter().map(|&i| local[i].name.clone()).collect();
    s.replaced = h.replaced;
    if let Some(p) = h.partial.first() {
        s.error = Some(p.explain(&service.name));
    }
    s.state = if !s.failed.is_empty()
        || !s.edited.is_empty()
        || !s.missing_locally.is_empty()
        || !h.partial.is_empty()
    {
        State::Problem
    } else if !s.pending.is_empty() {
        State::Pending
    } else {
        State::UpToDate
    };
    s.exit_code = s.state.exit_code();
    Ok(())
}
