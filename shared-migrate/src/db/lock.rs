//! The migration lock: by default PostgreSQL advisory lock 72707369, the key the Prisma CLI
//! uses, so that our tool and Prisma exclude each other, and every service of one database
//! waits for the others. `[migrate] lock = "schema"` takes a key of the database and schema
//! instead: services sharing a database (each in its own schema) then migrate in parallel, and
//! a concurrent Prisma CLI is no longer excluded.
//!
//! We poll `pg_try_advisory_lock` instead of blocking in `pg_advisory_lock`: a waiter blocked
//! inside `pg_advisory_lock` holds a transaction open, and a `CREATE INDEX CONCURRENTLY` run by
//! the lock holder then waits for that transaction forever (a deadlock Prisma users hit).

use std::ops::{Deref, DerefMut};
use std::time::{Duration, Instant};

use postgres::Client;
use postgres::types::Type;

use super::database_url::DatabaseUrl;
use crate::error::Error;

pub(crate) const LOCK_KEY: i64 = 72707369;

/// Which advisory lock serialises deploys (`[migrate] lock` in xtask.toml).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LockMode {
    /// Prisma's key: excludes the Prisma CLI, and serialises every service of the database.
    #[default]
    Prisma,
    /// A key of the database and schema: services in other schemas of the same database
    /// migrate in parallel; a concurrent Prisma CLI is not excluded.
    Schema,
}

impl LockMode {
    /// The name used in `xtask.toml` and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            LockMode::Prisma => "prisma",
            LockMode::Schema => "schema",
        }
    }

    /// The advisory key for `url`: Prisma's, or the first 8 bytes of a SHA-256 of the
    /// database and schema (never Prisma's).
    pub fn key(self, url: &DatabaseUrl) -> i64 {
        match self {
            LockMode::Prisma => LOCK_KEY,
            LockMode::Schema => {
                use sha2::{Digest, Sha256};
                let digest = Sha256::digest(
                    format!("cargo-xtask-migrate lock\0{}\0{}", url.dbname, url.schema).as_bytes(),
                );
                let mut bytes = [0u8; 8];
                bytes.copy_from_slice(&digest[..8]);
                match i64::from_be_bytes(bytes) {
                    LOCK_KEY => LOCK_KEY + 1,
                    key => key,
                }
            }
        }
    }
}

/// The lock a command takes: which, and how long it waits for it.
#[derive(Debug, Clone, Copy)]
pub struct MigrationLock {
    /// Which lock is taken.
    pub mode: LockMode,
    /// How long to wait for it.
    pub timeout: Duration,
}

impl MigrationLock {
    /// Prisma's key, waiting `timeout`.
    pub fn prisma(timeout: Duration) -> MigrationLock {
        MigrationLock {
            mode: LockMode::Prisma,
            timeout,
        }
    }
}

/// How long a command waits for another deployer's lock unless told otherwise.
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(10);

/// A session holding the migration lock. Dropping it releases the lock (ending the session
/// releases it too), so no path forgets to.
pub(crate) struct Locked {
    client: Client,
    key: i64,
}

impl Deref for Locked {
    type Target = Client;
    fn deref(&self) -> &Client {
        &self.client
    }
}

impl DerefMut for Locked {
    fn deref_mut(&mut self) -> &mut Client {
        &mut self.client
    }
}

impl Drop for Locked {
    fn drop(&mut self) {
        let _ = self
            .client
            .query_typed("SELECT pg_advisory_unlock($1)", &[(&self.key, Type::INT8)]);
    }
}

/// Takes `lock` on `client`'s session, polling until its timeout. `on_wait` is called once,
/// with a description of the holder, when the lock is not free at once. A session behind a
/// pooler in transaction mode is refused first: the lock would protect nothing there.
pub(crate) fn take_lock(
    mut client: Client,
    url: &DatabaseUrl,
    lock: MigrationLock,
    on_wait: &mut dyn FnMut(&str),
) -> Result<Locked, Error> {
    super::pooler::refuse_transaction_pooling(&mut client, url)?;
    let key = lock.mode.key(url);
    poll(&mut client, url, key, lock.timeout, on_wait)?;
    Ok(Locked { client, key })
}

fn poll(
    client: &mut Client,
    url: &DatabaseUrl,
    key: i64,
    timeout: Duration,
    on_wait: &mut dyn FnMut(&str),
) -> Result<(), Error> {
    let start = Instant::now();
    let mut pause = Duration::from_millis(10);
    let mut told = false;
    loop {
        let got: bool = client
            .query_typed_one("SELECT pg_try_advisory_lock($1)", &[(&key, Type::INT8)])
            .map_err(|e| Error::database("taking the migration lock", &e))?
            .get(0);
        if got {
            return Ok(());
        }
        if !told {
            told = true;
            on_wait(&holder(client, key).unwrap_or_else(|| "another session".into()));
        }
        if start.elapsed() >= timeout {
            let holder = holder(client, key)
                .map(|h| format!(", held by {h}"))
                .unwrap_or_default();
            return Err(Error::LockTimeout {
                url: url.to_string(),
                key,
                waited: timeout,
                holder,
            });
        }
        std::thread::sleep(pause.min(timeout.saturating_sub(start.elapsed())));
        pause = (pause * 2).min(Duration::from_millis(200));
    }
}

/// Who holds advisory lock `key`, where `pg_stat_activity` shows it: pid, user, application,
/// client, and since when. (A bigint key shows in `pg_locks` as its high and low halves.)
fn holder(client: &mut Client, key: i64) -> Option<String> {
    let row = client
        .query_opt(
            "SELECT a.pid, coalesce(a.usename::text, '?'), coalesce(a.application_name, ''), \
                    coalesce(host(a.client_addr), 'local socket'), \
                    coalesce(to_char(a.backend_start AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'), '?') \
             FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid \
             WHERE l.locktype = 'advisory' AND l.granted AND l.classid = $1 \
               AND l.objid = $2 AND l.objsubid = 1 \
               AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            &[&((key >> 32) as u32), &(key as u32)],
        )
        .ok()??;
    let app: String = row.get(2);
    let app = if app.is_empty() {
        String::new()
    } else {
        format!(" ({app})")
    };
    Some(format!(
        "pid {} of user {}{app} from {}, connected since {} UTC",
        row.get::<_, i32>(0),
        row.get::<_, String>(1),
        row.get::<_, String>(3),
        row.get::<_, String>(4),
    ))
}

/// A session that blocks another: what `pg_blocking_pids` names, described from
/// `pg_stat_activity`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Blocker {
    pub pid: i32,
    pub application: String,
    pub state: String,
    pub query: String,
    /// When its transaction (else its query) started, UTC.
    pub since: String,
}

impl std::fmt::Display for Blocker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let app = if self.application.is_empty() {
            String::new()
        } else {
            format!("{}, ", self.application)
        };
        write!(
            f,
            "pid {} ({app}{}, `{}`, since {} UTC)",
            self.pid,
            self.state,
            crate::text::one_line(&self.query, 80),
            self.since
        )
    }
}

/// The sessions `pid` waits for, now.
pub(crate) fn blockers(client: &mut Client, pid: i32) -> Result<Vec<Blocker>, Error> {
    let rows = client
        .query(
            "SELECT a.pid, coalesce(a.application_name, ''), coalesce(a.state, '?'), \
                    coalesce(a.query, ''), \
                    coalesce(to_char(coalesce(a.xact_start, a.query_start) AT TIME ZONE 'UTC', \
                                     'YYYY-MM-DD HH24:MI:SS'), '?') \
             FROM pg_stat_activity a WHERE a.pid = ANY (pg_blocking_pids($1)) ORDER BY a.pid",
            &[&pid],
        )
        .map_err(|e| Error::database("asking who blocks the migration", &e))?;
    Ok(rows
        .iter()
        .map(|r| Blocker {
            pid: r.get(0),
            application: r.get(1),
            state: r.get(2),
            query: r.get(3),
            since: r.get(4),
        })
        .collect())
}
