//! Running a planned SQL file on a session, for migrations and seeds alike: in one transaction
//! together with the caller's bookkeeping (a migration's ledger row), or, when the file holds a
//! statement PostgreSQL refuses inside a transaction block, statement by statement. And telling
//! a server error at its place in the file.

use std::path::Path;
use std::time::Duration;

use postgres::{Client, GenericClient};

use super::connection;
use super::database_url::DatabaseUrl;
use crate::error::{Error, Location, describe_pg_error, snippet};
use crate::sql::{Plan, Statement, error_location};

/// What a run records around the file's statements: a migration's ledger row; nothing for a
/// seed ([`Nothing`]).
pub(crate) trait Bookkeeping {
    /// Before the first statement: inside the file's transaction, or committed on its own when
    /// the file runs statement by statement.
    fn started(&mut self, _client: &mut impl GenericClient) -> Result<(), Error> {
        Ok(())
    }
    /// After the last statement: inside the file's transaction, or in a transaction of its own.
    fn finished(&mut self, _client: &mut impl GenericClient) -> Result<(), Error> {
        Ok(())
    }
}

/// No bookkeeping (seeds).
pub(crate) struct Nothing;

impl Bookkeeping for Nothing {}

/// PostgreSQL's limits for the file's statements (`lock_timeout`, `statement_timeout`);
/// none by default, as with Prisma.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Limits {
    pub lock_timeout: Option<Duration>,
    pub statement_timeout: Option<Duration>,
}

impl Limits {
    /// `SET [LOCAL] ...` for the limits given; empty without any.
    fn set(&self, local: bool) -> String {
        let scope = if local { "LOCAL " } else { "" };
        [
            ("lock_timeout", self.lock_timeout),
            ("statement_timeout", self.statement_timeout),
        ]
        .into_iter()
        .filter_map(|(name, d)| {
            d.map(|d| format!("SET {scope}{name} = '{}ms';", d.as_millis().max(1)))
        })
        .collect()
    }

    fn reset(&self) -> String {
        let mut out = String::new();
        if self.lock_timeout.is_some() {
            out.push_str("RESET lock_timeout;");
        }
        if self.statement_timeout.is_some() {
            out.push_str("RESET statement_timeout;");
        }
        out
    }
}

/// DDL that waits safely on a live database. An `ALTER TABLE` waiting for a table lock queues
/// every later query on that table behind it; `lock_timeout` bounds the wait, and a migration
/// that gives up is rolled back whole and tried again after a pause (`retries`). Nothing is on
/// unless configured: Prisma sets no timeouts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Waits {
    /// PostgreSQL's `lock_timeout` for the migration's statements.
    pub ddl_lock_timeout: Option<Duration>,
    /// PostgreSQL's `statement_timeout` for the migration's statements.
    pub statement_timeout: Option<Duration>,
    /// Further attempts after a lock timeout or a deadlock.
    pub retries: u32,
    /// How long the deploy session may sit idle before the server ends it (and frees the
    /// migration lock): None is [`DEFAULT_IDLE_TIMEOUT`], zero leaves the server's setting.
    pub idle_timeout: Option<Duration>,
    /// Which advisory lock serialises deploys (`[migrate] lock`).
    pub lock: super::LockMode,
}

/// A deployer that vanished frees the lock after this long ([`Waits::idle_timeout`]).
pub(super) const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(60);

impl Waits {
    /// The limits every session of a migration runs under.
    pub fn limits(&self) -> Limits {
        Limits {
            lock_timeout: self.ddl_lock_timeout,
            statement_timeout: self.statement_timeout,
        }
    }

    /// The deploy session's idle limit: None when switched off.
    pub fn idle(&self) -> Option<Duration> {
        match self.idle_timeout {
            None => Some(DEFAULT_IDLE_TIMEOUT),
            Some(d) if d.is_zero() => None,
            Some(d) => Some(d),
        }
    }

    /// How long a request of the deploy session may go unanswered before the connection is
    /// given up: the statement limit plus time for the server's answer to arrive. None
    /// without a statement limit (a migration may run for hours).
    pub fn socket_timeout(&self) -> Option<Duration> {
        self.statement_timeout
            .map(|t| t + Duration::from_secs(10).max(t / 2))
    }

    /// Whether anyone should watch for blockers.
    pub fn watched(&self) -> bool {
        self.ddl_lock_timeout.is_some() || self.retries > 0
    }

    /// The pause before attempt `next` (2, 3, ...): 0.5 s, 1 s, 2 s, ... at most 30 s.
    pub fn backoff(next: u32) -> Duration {
        let doubling = 2u32.saturating_pow(next.saturating_sub(2)).min(60);
        Duration::from_millis(500 * u64::from(doubling)).min(Duration::from_secs(30))
    }
}

/// Before the file's statements, or after them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stage {
    Start,
    Finish,
}

/// Why a run failed.
pub(crate) enum RunFailure {
    /// Our own BEGIN or COMMIT failed.
    Transaction {
        stage: Stage,
        error: postgres::Error,
    },
    /// The bookkeeping failed.
    Bookkeeping { stage: Stage, error: Error },
    /// A statement of the file failed on the server: `index` among the statements sent, and
    /// the byte of the file where the text sent started (None: the whole file at once).
    Statement {
        index: usize,
        error: postgres::Error,
        from: Option<usize>,
    },
}

/// Runs `sql` (planned as `plan`) on `client` with `book`'s records around it. Transactional:
/// the statements and both records commit together or not at all. Statement by statement: the
/// start record commits first, then each statement commits on its own (explicit BEGIN ... COMMIT
/// blocks in the file still group theirs), then the finish record in a transaction of its own;
/// a failure part way leaves the earlier statements applied.
pub(crate) fn run_file(
    client: &mut Client,
    plan: &Plan,
    sql: &str,
    book: &mut impl Bookkeeping,
    limits: &Limits,
) -> Result<(), RunFailure> {
    let start_failed = |error| RunFailure::Transaction {
        stage: Stage::Start,
        error,
    };
    if plan.transactional() {
        let mut tx = client.transaction().map_err(start_failed)?;
        let set = limits.set(true);
        if !set.is_empty() {
            tx.batch_execute(&set).map_err(start_failed)?;
        }
        // `SET TRANSACTION ISOLATION LEVEL ...` must come before any query of the transaction:
        // the file's leading SET statements run before the ledger's row is written.
        let lead = if plan.parsed_cleanly {
            leading_settings(plan, sql)
        } else {
            0
        };
        each(&mut tx, plan.executable().take(lead), sql)?;
        book.started(&mut tx)
            .map_err(|error| RunFailure::Bookkeeping {
                stage: Stage::Start,
                error,
            })?;
        in_transaction(&mut tx, plan, sql, lead)?;
        book.finished(&mut tx)
            .map_err(|error| RunFailure::Bookkeeping {
                stage: Stage::Finish,
                error,
            })?;
        tx.commit().map_err(|error| RunFailure::Transaction {
            stage: Stage::Finish,
            error,
        })
    } else {
        book.started(client)
            .map_err(|error| RunFailure::Bookkeeping {
                stage: Stage::Start,
                error,
            })?;
        let (set, reset) = (limits.set(false), limits.reset());
        if !set.is_empty() {
            client.batch_execute(&set).map_err(start_failed)?;
        }
        // Outside any transaction of ours: each statement commits on its own.
        let ran = each(client, plan.statement_by_statement(), sql);
        if let Err(failure) = ran {
            // A failure inside an explicit BEGIN block leaves the session in an aborted
            // transaction: end it before anything else is written.
            let _ = client.batch_execute(&format!("ROLLBACK;{reset}"));
            return Err(failure);
        }
        if !reset.is_empty() {
            let _ = client.batch_execute(&reset);
        }
        // One transaction: the finish is recorded whole or not at all.
        let finish = |error| RunFailure::Transaction {
            stage: Stage::Finish,
            error,
        };
        let mut tx = client.transaction().map_err(finish)?;
        book.finished(&mut tx)
            .map_err(|error| RunFailure::Bookkeeping {
                stage: Stage::Finish,
                error,
            })?;
        tx.commit().map_err(finish)
    }
}

/// How [`run_batched`] ended.
pub(crate) enum Batched {
    Committed,
    /// The file failed and was rolled back whole, records included: nothing of it persisted.
    /// Run it again statement by statement ([`run_file`]) to locate the failure.
    RolledBack,
    /// A failure that running it again would not explain: the session was lost, or the
    /// records or the commit failed.
    Failed(RunFailure),
}

/// A transactional file that needs no parse ([`crate::sql::needs_parse`]) in two round trips,
/// where [`run_file`] takes one per statement: `BEGIN`, the start record and the whole file in
/// one; the finish record (`finished()`, asked for after the file ran) and `COMMIT` in the
/// other. Nothing is appended to the file's own text, so a file that ends inside a string or a
/// comment cannot swallow a record; it fails and is rolled back.
pub(crate) fn run_batched(
    client: &mut Client,
    sql: &str,
    started: &str,
    finished: impl FnOnce() -> String,
) -> Batched {
    if let Err(error) = client.batch_execute(&format!("BEGIN;{started}\n{sql}")) {
        if client.is_closed() {
            return Batched::Failed(RunFailure::Statement {
                index: 0,
                error,
                from: None,
            });
        }
        let _ = client.batch_execute("ROLLBACK");
        return Batched::RolledBack;
    }
    let Err(error) = client.batch_execute(&format!("{}COMMIT;", finished())) else {
        return Batched::Committed;
    };
    // Either the records' updates failed, and the transaction is still open (aborted: every
    // query fails with 25P02) with the COMMIT not reached; or the COMMIT itself failed (a
    // deferred constraint), and the server rolled back.
    let aborted = !client.is_closed()
        && client.batch_execute("SELECT 1").is_err_and(|e| {
            e.code() == Some(&postgres::error::SqlState::IN_FAILED_SQL_TRANSACTION)
        });
    if aborted {
        let _ = client.batch_execute("ROLLBACK");
        return Batched::Failed(RunFailure::Bookkeeping {
            stage: Stage::Finish,
            error: Error::database("recording a finished migration", &error),
        });
    }
    Batched::Failed(RunFailure::Transaction {
        stage: Stage::Finish,
        error,
    })
}

/// The statements of a transactional plan, inside the caller's transaction. One statement at a
/// time when the file parsed cleanly, so that a failure names its statement even when the server
/// gives no position (a round trip each, as with psql -f); otherwise the whole file at once, and
/// the server is the judge.
fn in_transaction(
    client: &mut impl GenericClient,
    plan: &Plan,
    sql: &str,
    skip: usize,
) -> Result<(), RunFailure> {
    if plan.parsed_cleanly {
        each(client, plan.executable().skip(skip), sql)
    } else {
        client
            .batch_execute(&plan.transactional_text(sql))
            .map_err(|error| RunFailure::Statement {
                index: 0,
                error,
                from: None,
            })
    }
}

/// How many of the file's first statements are `SET ...` (no query, no snapshot yet).
fn leading_settings(plan: &Plan, sql: &str) -> usize {
    plan.executable()
        .take_while(|s| {
            let text = crate::text::one_line(&sql[s.range.clone()], 40).to_ascii_uppercase();
            text.starts_with("SET ") && !text.starts_with("SET CONSTRAINTS")
        })
        .count()
}

/// `statements` one by one, each in its own round trip; the failing one's index among them.
fn each<'p>(
    client: &mut impl GenericClient,
    statements: impl IntoIterator<Item = &'p Statement>,
    sql: &str,
) -> Result<(), RunFailure> {
    for (index, s) in statements.into_iter().enumerate() {
        client
            .batch_execute(&sql[s.range.clone()])
            .map_err(|error| RunFailure::Statement {
                index,
                error,
                from: Some(s.range.start),
            })?;
    }
    Ok(())
}

/// Runs a SQL file (a seed) as migrations run: in one transaction, statement by statement,
/// failures located in the file.
pub fn run_sql_file(url: &DatabaseUrl, path: &Path) -> Result<(), String> {
    let sql = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let plan = Plan::new(path, &sql).map_err(|e| e.to_string())?;
    let mut client = connection::connect(url).map_err(|e| e.to_string())?;
    connection::use_schema(&mut client, &url.schema, true).map_err(|e| e.to_string())?;
    run_file(&mut client, &plan, &sql, &mut Nothing, &Limits::default()).map_err(|failure| {
        match failure {
            RunFailure::Statement { error, from, .. } => format!(
                "{} failed:\n{}",
                path.display(),
                describe_error(path, &sql, &error, from)
            ),
            RunFailure::Transaction { stage, error } => {
                let what = match stage {
                    Stage::Start => "BEGIN",
                    Stage::Finish => "COMMIT",
                };
                Error::database(what, &error).to_string()
            }
            RunFailure::Bookkeeping { error, .. } => error.to_string(),
        }
    })
}

/// A server error in a file, for people: `--> file:line:col`, a snippet, the SQLSTATE and the
/// server's message, detail, hint and context.
pub(crate) fn describe_error(
    path: &Path,
    sql: &str,
    e: &postgres::Error,
    from: Option<usize>,
) -> String {
    let Some(db) = e.as_db_error() else {
        return format!(
            "  --> {}\nDatabase error: {}",
            path.display(),
            describe_pg_error(e)
        );
    };
    let position = match db.position() {
        Some(postgres::error::ErrorPosition::Original(p)) => Some(*p as usize),
        _ => None,
    };
    let loc = match (position, from) {
        (Some(p), _) => Some(error_location(path, sql, from.unwrap_or(0), p)),
        // No position (errors found after parsing): the clause naming what the error is
        // about (its column, constraint, ...) in the failing statement, else its start.
        (None, Some(from)) => Some(Location::of_offset(
            path,
            sql.as_bytes(),
            clause_named(sql, from, db).unwrap_or(from),
        )),
        (None, None) => None,
    };
    let mut out = match loc {
        Some(loc) => format!("  --> {loc}\n{}", snippet(sql, &loc)),
        None => format!("  --> {}", path.display()),
    };
    out.push_str(&format!(
        "\nDatabase error code: {}\nDatabase error: {}: {}",
        db.code().code(),
        db.severity(),
        db.message()
    ));
    for (label, v) in [
        ("DETAIL", db.detail()),
        ("HINT", db.hint()),
        ("CONTEXT", db.where_()),
    ] {
        if let Some(v) = v {
            out.push_str(&format!("\n{label}: {v}"));
        }
    }
    out
}

/// Where the statement starting at `from` names what the server's error is about: the
/// column, constraint, table or the first quoted name of its message, written quoted or not.
fn clause_named(sql: &str, from: usize, db: &postgres::error::DbError) -> Option<usize> {
    let statement = &sql[from..];
    let statement = &statement[..statement.find(';').unwrap_or(statement.len())];
    let mut names: Vec<&str> = [db.column(), db.constraint(), db.datatype()]
        .into_iter()
        .flatten()
        .collect();
    // `column "grade" of relation "students" contains null values`: its quoted names, in order.
    names.extend(db.message().split('"').skip(1).step_by(2));
    names.push(db.table().unwrap_or_default());
    names
        .into_iter()
        .filter(|n| !n.is_empty())
        .find_map(|name| {
            let quoted = connection::quote_ident(name);
            statement
                .find(&quoted)
                .or_else(|| find_word(statement, name))
        })
        .map(|at| from + at)
}

/// The first occurrence of `word` in `text` as a whole word (not inside a longer name).
fn find_word(text: &str, word: &str) -> Option<usize> {
    let is_name = |c: char| c.is_alphanumeric() || c == '_';
    text.match_indices(word).map(|(i, _)| i).find(|&i| {
        let before = text[..i].chars().next_back();
        let after = text[i + word.len()..].chars().next();
        !before.is_some_and(is_name) && !after.is_some_and(is_name)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_whole_word_is_found_not_a_part() {
        assert_eq!(
            find_word(
                "ALTER TABLE students ADD grades int, ADD grade int",
                "grade"
            ),
            Some(41)
        );
        assert_eq!(find_word("grade", "grade"), Some(0));
        assert_eq!(find_word("upgrade", "grade"), None);
    }

    #[test]
    fn backoff_doubles_up_to_thirty_seconds() {
        let b: Vec<u64> = (2..=10)
            .map(|n| Waits::backoff(n).as_millis() as u64)
            .collect();
        assert_eq!(
            b,
            vec![500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]
        );
    }
}
