//! Applying one migration with its ledger row, as Prisma records it: the row is the
//! [`Bookkeeping`] around [`db::run_file`]. In one transaction the migration and its row commit
//! together or not at all; statement by statement, the row is started first and finished last.
//! Every failure is recorded (where the session still allows) and told with what persisted and
//! what to run next ([`super::messages`]).

use std::time::SystemTime;

use postgres::error::SqlState;
use postgres::{Client, GenericClient};

use super::messages::{self, Ending};
use super::waits::{Watcher, blocked_by};
use crate::db::{self, Batched, Bookkeeping, Limits, RunFailure, Stage, Waits, ledger};
use crate::error::{Error, connection_lost};
use crate::parallel::Progress;
use crate::sql::{Plan, StatementKind};
use crate::text::duration_text;
use crate::workspace::{Migration, Service};

/// The ledger row of one run of a migration.
struct Row<'m> {
    id: String,
    migration: &'m Migration,
    started_at: SystemTime,
    /// Committed already (statement by statement, by an earlier attempt).
    inserted: bool,
}

impl Bookkeeping for Row<'_> {
    fn started(&mut self, client: &mut impl GenericClient) -> Result<(), Error> {
        if self.inserted {
            return Ok(());
        }
        let m = self.migration;
        ledger::insert_started(client, &self.id, &m.checksum, &m.name, self.started_at)?;
        // In a transaction this counts only once it commits; a rollback means "not inserted"
        // again, which `apply` restores before a retry.
        self.inserted = true;
        Ok(())
    }
    fn finished(&mut self, client: &mut impl GenericClient) -> Result<(), Error> {
        ledger::mark_finished(client, &self.id)
    }
}

/// How a migration is run: the lock and statement limits, the retries, and who watches for
/// blockers.
pub(crate) struct Attempts<'a> {
    pub waits: Waits,
    pub watcher: Option<&'a Watcher>,
    pub progress: Progress<'a>,
}

/// Applies one migration and records it in the ledger. A migration that cannot take its locks
/// (lock_timeout, deadlock) before anything of it committed is rolled back whole and tried
/// again, `waits.retries` times; then it stays pending, unrecorded.
///
/// `plan` is None for a file that needs no parse ([`crate::sql::needs_parse`]): without limits
/// to honour it is sent whole with its row ([`db::run_batched`], two round trips); if that
/// fails, it was rolled back whole and runs again here statement by statement, which tells the
/// failure as it always does.
pub(crate) fn apply(
    service: &Service,
    client: &mut Client,
    m: &Migration,
    plan: Option<&Plan>,
    how: &Attempts,
) -> Result<(), Error> {
    let mut row = Row {
        id: ledger::new_id(),
        migration: m,
        started_at: SystemTime::now(),
        inserted: false,
    };
    let limits = how.waits.limits();
    let parsed;
    let plan = match plan {
        Some(plan) => plan,
        None => {
            if limits == Limits::default() {
                let started =
                    ledger::insert_started_sql(&row.id, &m.checksum, &m.name, row.started_at);
                let finished = || ledger::mark_finished_sql(&row.id, SystemTime::now());
                match db::run_batched(client, &m.sql, &started, finished) {
                    Batched::Committed => return Ok(()),
                    Batched::Failed(failure) => {
                        return failed_in_transaction(service, client, m, row.started_at, failure);
                    }
                    Batched::RolledBack => {}
                }
            }
            parsed = Plan::new(&m.path, &m.sql)?;
            &parsed
        }
    };
    let mut attempt = 1;
    let failure = loop {
        if let Some(w) = how.watcher {
            w.take();
        }
        let Err(failure) = db::run_file(client, plan, &m.sql, &mut row, &limits) else {
            return Ok(());
        };
        if plan.transactional() {
            row.inserted = false;
        }
        // Who held the lock, for every message about a lock failure, whichever path tells it.
        let blockers = match lock_failure(&failure) {
            Some(_) => how.watcher.map(|w| w.take()).unwrap_or_default(),
            None => Vec::new(),
        };
        let locked_out = lock_failure(&failure).is_some()
            && (plan.transactional() || nothing_left(plan, &failure));
        if !locked_out {
            break (failure, blockers);
        }
        let why = lock_failure(&failure).unwrap_or_default();
        if attempt > how.waits.retries {
            if row.inserted {
                ledger::delete_unstarted(client, &row.id)?;
            }
            let text = messages::failure_text(service, m, &failure);
            return Err(messages::locked_out(
                service,
                &text,
                attempt,
                &how.waits,
                &blocked_by(&blockers),
            ));
        }
        let pause = Waits::backoff(attempt + 1);
        (how.progress)(
            &service.name,
            &format!(
                "{}: {why}{}; rolled back, nothing of it applied; attempt {} of {} in {}",
                m.name,
                blocked_by(&blockers),
                attempt + 1,
                how.waits.retries + 1,
                duration_text(pause)
            ),
        );
        std::thread::sleep(pause);
        attempt += 1;
    };
    let (failure, blockers) = failure;
    if plan.transactional() {
        failed_in_transaction(service, client, m, row.started_at, failure)
    } else {
        failed_statement_by_statement(service, client, m, plan, &row.id, failure, &blockers)
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
    blockers: &[db::Blocker],
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
    let done = done_before(plan, index);
    let what = match plan.statements[plan.first_no_transaction.unwrap_or(0)].kind {
        StatementKind::NoTransaction(w) => w,
        _ => "a statement",
    };
    let part = messages::Partial {
        what,
        done,
        failed: index + 1,
        total: statements.len(),
        failed_leaves: match statements[index].kind {
            StatementKind::NoTransaction(kind) if messages::may_leave_something(kind) => {
                messages::invalid_indexes(&invalid_indexes_named(
                    client,
                    &m.sql[statements[index].range.clone()],
                ))
            }
            _ => None,
        },
    };
    let mut text = messages::failure_text(service, m, &failure);
    if let Some(why) = lock_failure(&failure) {
        let by = blocked_by(blockers);
        if by.is_empty() {
            text.push_str(&format!("\n({why}: no blocking session was seen)"));
        } else {
            text.push_str(&format!("\n({why}{by})"));
        }
    }
    let logs = messages::partial_logs(&text, &part);
    let recorded = ledger::mark_failed(client, id, &logs).is_ok();
    Err(messages::partial(service, m, &text, &part, recorded))
}

/// Statements 1..=n of a statement-by-statement run committed before statement `index`
/// failed (the last real statement before it; BEGIN and COMMIT count in the numbering but are
/// not work done).
fn done_before(plan: &Plan, index: usize) -> usize {
    plan.statement_by_statement()[..index]
        .iter()
        .rposition(|s| {
            matches!(
                s.kind,
                StatementKind::Other | StatementKind::NoTransaction(_)
            )
        })
        .map_or(0, |j| j + 1)
}

/// Whether a statement-by-statement run may start again after `failure`: no statement
/// committed before it, and the failed one left nothing behind (a failed CONCURRENTLY build
/// leaves an invalid index).
fn nothing_left(plan: &Plan, failure: &RunFailure) -> bool {
    match failure {
        RunFailure::Statement { index, .. } => {
            done_before(plan, *index) == 0
                && !matches!(
                    plan.statement_by_statement()[*index].kind,
                    StatementKind::NoTransaction(kind) if messages::may_leave_something(kind)
                )
        }
        _ => false,
    }
}

/// `lock timeout` / `deadlock` when the failure is the server giving up on a lock.
fn lock_failure(failure: &RunFailure) -> Option<&'static str> {
    let RunFailure::Statement { error, .. } = failure else {
        return None;
    };
    match error.code() {
        Some(c) if *c == SqlState::LOCK_NOT_AVAILABLE => Some("lock timeout"),
        Some(c) if *c == SqlState::T_R_DEADLOCK_DETECTED => Some("deadlock"),
        _ => None,
    }
}

/// The INVALID indexes of the current schema that `statement` names (what a failed
/// CONCURRENTLY build leaves).
fn invalid_indexes_named(client: &mut Client, statement: &str) -> Vec<String> {
    let rows = client
        .query(
            "SELECT c.relname::text FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid \
             WHERE NOT i.indisvalid AND c.relnamespace = current_schema()::regnamespace",
            &[],
        )
        .unwrap_or_default();
    rows.iter()
        .map(|r| r.get::<_, String>(0))
        .filter(|name| statement.contains(name.as_str()))
        .collect()
}
