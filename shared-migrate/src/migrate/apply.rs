//! Applying one migration with its ledger row, as Prisma records it: the row is the
//! [`Bookkeeping`] around [`db::run_file`]. In one transaction the migration and its row commit
//! together or not at all; statement by statement, the row is started first and finished last.
//! Every failure is recorded (where the session still allows) and told with what persisted and
//! what to run next ([`super::messages`]).

use std::time::SystemTime;

use postgres::{Client, GenericClient};

use super::messages::{self, Ending};
use crate::db::{self, Bookkeeping, RunFailure, Stage, ledger};
use crate::error::{Error, connection_lost};
use crate::sql::{Plan, StatementKind};
use crate::workspace::{Migration, Service};

/// The ledger row of one run of a migration.
struct Row<'m> {
    id: String,
    migration: &'m Migration,
    started_at: SystemTime,
}

impl Bookkeeping for Row<'_> {
    fn started(&mut self, client: &mut impl GenericClient) -> Result<(), Error> {
        let m = self.migration;
        ledger::insert_started(client, &self.id, &m.checksum, &m.name, self.started_at)
    }
    fn finished(&mut self, client: &mut impl GenericClient) -> Result<(), Error> {
        ledger::mark_finished(client, &self.id)
    }
}

/// Applies one migration and records it in the ledger.
pub fn apply(
    service: &Service,
    client: &mut Client,
    m: &Migration,
    plan: &Plan,
) -> Result<(), Error> {
    let mut row = Row {
        id: ledger::new_id(),
        migration: m,
        started_at: SystemTime::now(),
    };
    let Err(failure) = db::run_file(client, plan, &m.sql, &mut row) else {
        return Ok(());
    };
    if plan.transactional() {
        failed_in_transaction(service, client, m, row.started_at, failure)
    } else {
        failed_statement_by_statement(service, client, m, plan, &row.id, failure)
    }
}

/// Nothing of the migration persisted (its transaction was rolled back); record a failed row
/// as Prisma records it, unless the session is gone.
fn failed_in_transaction(
    service: &Service,
    client: &mut Client,
    m: &Migration,
    started_at: SystemTime,
    failure: RunFailure,
) -> Result<(), Error> {
    let text = messages::failure_text(service, m, &failure);
    if let RunFailure::Transaction { error, .. } = &failure
        && connection_lost(error)
    {
        return Err(messages::transactional(
            service,
            m,
            &text,
            Ending::LostCommitting,
        ));
    }
    if client.is_closed() {
        return Err(messages::transactional(service, m, &text, Ending::Lost));
    }
    let logs = messages::transactional_logs(&text);
    let id = ledger::new_id();
    let recorded = ledger::insert_started(client, &id, &m.checksum, &m.name, started_at)
        .and_then(|()| ledger::mark_failed(client, &id, &logs));
    Err(match recorded {
        Ok(()) => messages::transactional(service, m, &text, Ending::Recorded),
        Err(e) => messages::transactional(service, m, &text, Ending::NotRecorded(e)),
    })
}

/// Earlier statements stay applied: say which, record the failure on the row, and say how to
/// finish or undo the migration.
fn failed_statement_by_statement(
    service: &Service,
    client: &mut Client,
    m: &Migration,
    plan: &Plan,
    id: &str,
    failure: RunFailure,
) -> Result<(), Error> {
    let index = match failure {
        // Nothing ran: the error is the ledger's own.
        RunFailure::Bookkeeping {
            stage: Stage::Start,
            error,
        } => return Err(error),
        RunFailure::Transaction {
            stage: Stage::Start,
            error,
        } => {
            return Err(Error::database(
                format!("recording the start of `{}`", m.name),
                &error,
            ));
        }
        RunFailure::Transaction {
            stage: Stage::Finish,
            error,
        } => {
            let e = Error::database("recording a finished migration", &error);
            return Err(messages::finish_not_recorded(service, m, &e));
        }
        RunFailure::Bookkeeping {
            stage: Stage::Finish,
            error,
        } => return Err(messages::finish_not_recorded(service, m, &error)),
        RunFailure::Statement { index, .. } => index,
    };
    let statements = plan.statement_by_statement();
    // Statements 1..=done ran (the last real statement before the failing one; BEGIN and COMMIT
    // count in the numbering but are not work done).
    let done = statements[..index]
        .iter()
        .rposition(|s| {
            matches!(
                s.kind,
                StatementKind::Other | StatementKind::NoTransaction(_)
            )
        })
        .map_or(0, |j| j + 1);
    let what = match plan.statements[plan.first_no_transaction.unwrap_or(0)].kind {
        StatementKind::NoTransaction(w) => w,
        _ => "a statement",
    };
    let part = messages::Partial {
        what,
        done,
        failed: index + 1,
        total: statements.len(),
    };
    let text = messages::failure_text(service, m, &failure);
    let logs = messages::partial_logs(&text, &part);
    let recorded = ledger::mark_failed(client, id, &logs).is_ok();
    Err(messages::partial(service, m, &text, &part, recorded))
}
