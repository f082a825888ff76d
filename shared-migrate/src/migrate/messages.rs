//! What a failed deploy says: the failure at its place in the file, what persisted, whether the
//! failure is recorded, and the commands that get the service going again. Kept in one file so
//! that the wording of every outcome can be read (and reviewed) together; the ledger's `logs`
//! hold the first part of the same text, as Prisma's do.

use super::backup::Backup;
use crate::db::{self, RunFailure, ledger};
use crate::error::{Error, describe_pg_error};
use crate::remedy;
use crate::text::shell_word;
use crate::workspace::{Migration, Service};

/// The error text of a failed migration: the file, line and column of the server's error
/// position, a snippet, and the server's error with its SQLSTATE.
pub(super) fn failure_text(service: &Service, m: &Migration, failure: &RunFailure) -> String {
    let mut out = format!(
        "Migration `{}` of service `{}` failed to apply.",
        m.name, service.name
    );
    match failure {
        RunFailure::Statement { error, from, .. } => {
            out.push('\n');
            out.push_str(&db::describe_error(&m.path, &m.sql, error, *from));
        }
        RunFailure::Bookkeeping { error, .. } => out.push_str(&format!("\n{error}")),
        RunFailure::Transaction { error, .. } => {
            out.push_str(&format!("\nDatabase error: {}", describe_pg_error(error)))
        }
    }
    out
}

/// How a failed transactional migration ended.
pub(super) enum Ending {
    /// The failed row is recorded, as Prisma records it.
    Recorded,
    /// Recording the failed row failed.
    NotRecorded(Error),
    /// The session was gone before anything could be recorded.
    Lost,
    /// The session went away while committing: the outcome is unknown.
    LostCommitting,
}

const PERSISTED: &str =
    "Nothing of this migration persisted: it ran in one transaction, which was rolled back.";

/// The `logs` recorded on the failed row of a transactional migration.
pub(super) fn transactional_logs(text: &str) -> String {
    format!("{text}\n\n{PERSISTED}")
}

/// The error of a failed transactional migration.
pub(super) fn transactional(
    service: &Service,
    m: &Migration,
    text: &str,
    outcome: Ending,
) -> Error {
    let again = format!(
        "once the server is reachable, run `{}` again",
        remedy::migrate(&service.name)
    );
    match outcome {
        Ending::LostCommitting => Error::ConnectionLost(format!(
            "{text}\n\nThe connection was lost while committing: the migration and its ledger row either both committed or neither did (`cargo xtask status` tells which); {again}."
        )),
        Ending::Lost => Error::ConnectionLost(format!(
            "{text}\n\n{PERSISTED}\nThe connection to the database was lost, so no failure was recorded either: {again}; it applies this migration from the start."
        )),
        Ending::NotRecorded(e) => failed_because(
            &e,
            format!("{text}\n\n{PERSISTED}\nRecording the failure failed too ({e}): {again}."),
        ),
        Ending::Recorded => Error::MigrationFailed(format!(
            "{text}\n\n{PERSISTED}\nThe failure is recorded in _prisma_migrations, as Prisma records it, so later deploys stop until it is resolved:\n  1. fix {path} (nothing of it was applied, so editing it is safe)\n  2. {rolled_back}\n  3. {migrate}",
            path = m.path.display(),
            rolled_back = remedy::resolve_rolled_back(&service.name, &m.name),
            migrate = remedy::migrate(&service.name),
        )),
    }
}

/// A migration that could not take its locks on any attempt: nothing of it persisted and
/// nothing is recorded, so it stays pending.
pub(super) fn locked_out(
    service: &Service,
    text: &str,
    attempts: u32,
    waits: &db::Waits,
    blocked_by: &str,
) -> Error {
    let limit = waits
        .ddl_lock_timeout
        .map(|d| format!(" (--ddl-lock-timeout {})", crate::text::duration_text(d)))
        .unwrap_or_default();
    let tries = if attempts == 1 {
        "and was not retried (--retries)".to_string()
    } else {
        format!("on each of {attempts} attempts")
    };
    Error::LockedOut(format!(
        "{text}\n\nIt gave up waiting for its locks {tries}{limit}{blocked_by}.\nNothing of this migration persisted and no failure is recorded: it stays pending. Run `{}` again once the blocking session is gone, or give it longer (--ddl-lock-timeout, --retries).",
        remedy::migrate(&service.name),
    ))
}

/// How far a statement-by-statement migration got.
pub(super) struct Partial {
    /// The statement that made it run statement by statement (`CREATE INDEX CONCURRENTLY`).
    pub what: &'static str,
    /// Statements 1 to `done` were committed.
    pub done: usize,
    /// The statement that failed (1-based).
    pub failed: usize,
    pub total: usize,
    /// What the failed statement left behind ([`invalid_indexes`]).
    pub failed_leaves: Option<String>,
}

impl Partial {
    fn left(&self) -> String {
        let committed = if self.done == 0 {
            "No statement was committed".to_string()
        } else {
            format!(
                "Statements 1 to {} of {} were committed and remain in the database",
                self.done, self.total
            )
        };
        let mut out = format!(
            "This migration ran statement by statement (it holds {}, which PostgreSQL refuses inside a transaction). {committed}; statement {} failed; the rest did not run.",
            self.what, self.failed,
        );
        if let Some(leftover) = &self.failed_leaves {
            out.push_str(&format!(" {leftover}"));
        }
        out
    }
}

/// Whether a statement of this kind can leave something behind when it fails part way (a
/// CONCURRENTLY index build leaves an INVALID index).
pub(super) fn may_leave_something(kind: &str) -> bool {
    matches!(kind, "CREATE INDEX CONCURRENTLY" | "REINDEX CONCURRENTLY")
}

/// What to say of the INVALID indexes a failed build left.
pub(super) fn invalid_indexes(names: &[String]) -> Option<String> {
    if names.is_empty() {
        return None;
    }
    let list: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    Some(format!(
        "The failed build left the INVALID index {} behind: drop it (DROP INDEX CONCURRENTLY {}) before running the statement again.",
        list.join(", "),
        names
            .iter()
            .map(|n| db::quote_ident(n))
            .collect::<Vec<_>>()
            .join(", ")
    ))
}

/// The `logs` recorded on the failed row of a statement-by-statement migration.
pub(super) fn partial_logs(text: &str, part: &Partial) -> String {
    format!("{text}\n\n{}", part.left())
}

/// The error of a statement-by-statement migration that failed part way; `recorded`: whether
/// the failure reached the ledger.
pub(super) fn partial(
    service: &Service,
    m: &Migration,
    text: &str,
    part: &Partial,
    recorded: bool,
) -> Error {
    let todo = format!(
        "To recover: either finish the migration by hand (run statements {n} to {total} once fixed) and run `{applied}`, or undo statements 1 to {done} by hand, fix the file, and run `{rolled_back}` before migrating again.",
        n = part.failed,
        total = part.total,
        done = part.done,
        applied = remedy::resolve_applied(&service.name, &m.name),
        rolled_back = remedy::resolve_rolled_back(&service.name, &m.name),
    );
    let left = part.left();
    if recorded {
        Error::MigrationFailed(format!(
            "{text}\n\n{left}\nThe failure is recorded in _prisma_migrations.\n{todo}"
        ))
    } else {
        // The row stays unfinished without logs, which counts as failed all the same.
        Error::ConnectionLost(format!(
            "{text}\n\n{left} (Statement {n} may have completed if the connection was lost as it committed: check before resolving.)\nThe connection was lost, so the failure is not recorded, but the migration's row stays unfinished and later deploys stop (P3009) until it is resolved.\n{todo}",
            n = part.failed
        ))
    }
}

/// Every statement of a statement-by-statement migration committed, but its row could not be
/// finished.
pub(super) fn finish_not_recorded(service: &Service, m: &Migration, cause: &Error) -> Error {
    failed_because(
        cause,
        format!(
            "Every statement of migration `{name}` of service `{svc}` ran and committed, but recording it as finished failed: {cause}\nIts row stays unfinished, so later deploys stop (P3009): run `{applied}`.",
            name = shell_word(&m.name),
            svc = shell_word(&service.name),
            applied = remedy::resolve_applied(&service.name, &m.name),
        ),
    )
}

/// A migration failure told by `text`, keeping the exit code of a lost connection (4: run again).
fn failed_because(cause: &Error, text: String) -> Error {
    match cause {
        Error::ConnectionLost(_) => Error::ConnectionLost(text),
        _ => Error::MigrationFailed(text),
    }
}

/// Prisma's P3009: failed rows stop every later deploy until resolved.
pub(super) fn failed_rows(service: &str, failed: &[&ledger::Row]) -> String {
    let mut s = "migrate found failed migrations in the target database, new migrations will not be applied (Prisma P3009).".to_string();
    for r in failed {
        s.push_str(&format!(
            "\nThe `{}` migration started at {} failed",
            r.migration_name, r.started_at
        ));
        match r.logs.as_deref() {
            Some(logs) if !logs.is_empty() => {
                s.push_str(" with the following logs:\n");
                for line in logs.lines() {
                    s.push_str(&format!("    {line}\n"));
                }
            }
            // No logs: the deployer never got to write them.
            _ => s.push_str(
                " without logs: the deployer stopped while applying it (killed, or it lost its connection); check in the database which of its statements took effect before resolving\n",
            ),
        }
    }
    s.push_str("To go on:\n");
    for r in failed {
        if nothing_persisted(r.logs.as_deref()) {
            // Marking it applied would record a change the database does not have.
            s.push_str(&format!(
                "  {}   (nothing of it persisted: fix it, then it will be applied again)\n",
                remedy::resolve_rolled_back(service, &r.migration_name),
            ));
        } else {
            s.push_str(&format!(
                "  {}   (nothing of it remains, or you undid it: it will be applied again)\n  or {}       (you completed it by hand)\n",
                remedy::resolve_rolled_back(service, &r.migration_name),
                remedy::resolve_applied(service, &r.migration_name),
            ));
        }
    }
    s.trim_end().to_string()
}

/// Whether a failed row's logs say the migration ran in one transaction that was rolled
/// back: then `resolve --applied` is never the way out.
pub(crate) fn nothing_persisted(logs: Option<&str>) -> bool {
    logs.is_some_and(|l| l.contains(PERSISTED))
}

/// `N tables: a, b, c, d, e and M more`.
pub(super) fn summarize_names(what: &str, names: &[String]) -> String {
    let shown: Vec<&str> = names.iter().take(5).map(String::as_str).collect();
    let more = names.len().saturating_sub(shown.len());
    let more = if more > 0 {
        format!(" and {more} more")
    } else {
        String::new()
    };
    format!("{} {what}: {}{more}", names.len(), shown.join(", "))
}

/// A failed migration's error, with where the backup taken before it is and how to restore it.
pub(super) fn point_at_backup(e: Error, backup: &Option<Backup>) -> Error {
    match (e, backup) {
        (Error::MigrationFailed(text), Some(b)) => Error::MigrationFailed(format!(
            "{text}\n\nThe schema was backed up before this deploy to {}. To return to it (objects created since the backup are not removed by --clean):\n  {}",
            b.path.display(),
            b.restore_command
        )),
        (e, _) => e,
    }
}
