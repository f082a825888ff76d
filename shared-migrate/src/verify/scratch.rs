//! Scratch databases: a database of its own for each service, created from template0 on a
//! server shared with other services, and dropped afterwards.
//!
//! On a server this run started ([`SharedServer`], database isolation) a worker thread with
//! its own session keeps one database created ahead and drops finished ones in the
//! background: the run's CPUs are otherwise idle while services wait on their sessions, and
//! a service no longer waits for either. On a server that is not ours (`--backend url`) each
//! database is created and dropped on the spot, and dropped on Ctrl-C too.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::backend::Database;
use crate::cleanup;
use crate::db::{self, DatabaseUrl, quote_ident};
use crate::error::Error;
use crate::pg_tools::{LocalCluster, PostgresContainer};

/// A server this run started (cluster or container) that can outlive it.
pub(super) trait OwnServer: Send {
    /// How to stop and remove it once kept: "stop it with: <command>".
    fn removal(&self) -> String;
    /// Leaves it running after this process ends.
    fn keep(self: Box<Self>);
}

impl OwnServer for LocalCluster {
    fn removal(&self) -> String {
        format!("stop it with: {}", self.stop_command())
    }
    fn keep(self: Box<Self>) {
        if let Err(e) = LocalCluster::keep(*self) {
            eprintln!("could not keep the throwaway server: {e}");
        }
    }
}

impl OwnServer for PostgresContainer {
    fn removal(&self) -> String {
        format!("remove it with: {}", self.remove_command())
    }
    fn keep(self: Box<Self>) {
        PostgresContainer::keep(*self);
    }
}

/// What the worker does.
enum Job {
    /// Create a database ahead, for the next service.
    Create,
    Drop(String),
}

/// A server holding several services' scratch databases. It stops when the backend and the
/// last database are gone, unless a database on it was kept (`--keep`): then it outlives the
/// run (restarting it on the spot would cut the other services' sessions).
pub(super) struct SharedServer {
    pub(super) url: DatabaseUrl,
    server: Mutex<Option<Box<dyn OwnServer>>>,
    keep: AtomicBool,
    /// Creates a database when none is ready (the worker's is busy or failed).
    admin: Mutex<postgres::Client>,
    /// `STRATEGY FILE_COPY` (PostgreSQL 15+): copying template0's files is cheaper than
    /// logging every block, and its checkpoints are cheap on a server without fsync.
    file_copy: bool,
    /// Databases created ahead, not yet given out.
    ready: Arc<Mutex<Vec<(String, bool)>>>,
    worker: Mutex<Option<(mpsc::Sender<Job>, std::thread::JoinHandle<()>)>>,
}

/// A new database's name: `xtask_verify_<pid>_<n>`.
fn next_name() -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    format!(
        "xtask_verify_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    )
}

fn create_sql(name: &str, file_copy: bool) -> String {
    let strategy = if file_copy { " STRATEGY FILE_COPY" } else { "" };
    format!(
        "CREATE DATABASE {} TEMPLATE template0{strategy}",
        quote_ident(name)
    )
}

fn drop_with(c: &mut postgres::Client, name: &str) {
    // No new session first: on Ctrl-C the service's own threads may still be connecting, and a
    // session that arrives between the termination and the drop makes the drop fail.
    let _ = c.batch_execute(&format!(
        "ALTER DATABASE {} WITH ALLOW_CONNECTIONS false",
        quote_ident(name)
    ));
    // WITH (FORCE) ends sessions a test left open (PostgreSQL 13+).
    let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", quote_ident(name));
    if c.batch_execute(&sql).is_err() {
        let _ = c.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1",
            &[&name],
        );
        let _ = c.batch_execute(&format!("DROP DATABASE IF EXISTS {}", quote_ident(name)));
    }
}

impl SharedServer {
    pub(super) fn new(
        url: DatabaseUrl,
        server: Box<dyn OwnServer>,
    ) -> Result<Arc<SharedServer>, Error> {
        let mut admin = db::connect(&url)?;
        let file_copy = db::server_version(&mut admin) >= 150000;
        let ready = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = mpsc::channel::<Job>();
        let worker = {
            let (url, ready) = (url.clone(), ready.clone());
            std::thread::Builder::new()
                .name("scratch-databases".into())
                .spawn(move || {
                    let Ok(mut c) = db::connect(&url) else {
                        return; // Everything is then done on the spot.
                    };
                    for job in rx {
                        match job {
                            Job::Create => {
                                let name = next_name();
                                if c.batch_execute(&create_sql(&name, file_copy)).is_ok() {
                                    // The first session in a database builds its catalog
                                    // cache file: do it here too.
                                    let connected = db::connect(&url.with_dbname(&name)).is_ok();
                                    let mut ready = ready.lock().unwrap_or_else(|p| p.into_inner());
                                    ready.push((name, connected));
                                }
                            }
                            Job::Drop(name) => drop_with(&mut c, &name),
                        }
                    }
                })
                .map_err(|e| Error::Cluster(format!("cannot start a thread: {e}")))?
        };
        Ok(Arc::new(SharedServer {
            url,
            server: Mutex::new(Some(server)),
            keep: AtomicBool::new(false),
            admin: Mutex::new(admin),
            file_copy,
            ready,
            worker: Mutex::new(Some((tx, worker))),
        }))
    }

    fn send(&self, job: Job) -> bool {
        let worker = self.worker.lock().unwrap_or_else(|p| p.into_inner());
        worker.as_ref().is_some_and(|(tx, _)| tx.send(job).is_ok())
    }

    /// A new database: one created ahead when there is one (`true` when the worker connected
    /// to it already), else one created now. Either way the worker starts on the next.
    fn take_database(&self) -> Result<(String, bool), Error> {
        let ahead = self.ready.lock().unwrap_or_else(|p| p.into_inner()).pop();
        self.send(Job::Create);
        if let Some(ahead) = ahead {
            return Ok(ahead);
        }
        let name = next_name();
        let mut admin = self.admin.lock().unwrap_or_else(|p| p.into_inner());
        if admin.is_closed() {
            *admin = db::connect(&self.url)?;
        }
        admin
            .batch_execute(&create_sql(&name, self.file_copy))
            .map_err(|e| Error::database(format!("creating scratch database `{name}`"), &e))?;
        Ok((name, false))
    }

    /// Drops `name` in the background (on the spot if the worker is gone).
    fn release(&self, name: String) {
        if !self.send(Job::Drop(name.clone())) {
            let mut admin = self.admin.lock().unwrap_or_else(|p| p.into_inner());
            drop_with(&mut admin, &name);
        }
    }

    /// Marks the server to be kept; returns how to remove it.
    fn keep(&self) -> String {
        self.keep.store(true, Ordering::SeqCst);
        self.server
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .map(|s| s.removal())
            .unwrap_or_default()
    }
}

impl Drop for SharedServer {
    fn drop(&mut self) {
        let keep = self.keep.load(Ordering::SeqCst);
        if let Some((tx, worker)) = self
            .worker
            .get_mut()
            .unwrap_or_else(|p| p.into_inner())
            .take()
        {
            drop(tx);
            // A kept server is restarted: let the drops under way finish first. Otherwise the
            // server goes, and its databases with it.
            if keep {
                let _ = worker.join();
            }
        }
        let server = self
            .server
            .get_mut()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if let Some(server) = server
            && keep
        {
            server.keep();
        }
    }
}

/// A database of its own for one service; dropped when this is.
pub(super) struct ScratchDatabase {
    server: DatabaseUrl,
    name: String,
    url: DatabaseUrl,
    ready: Duration,
    /// On a server that is not ours: drops the database on Ctrl-C.
    guard: Option<cleanup::Guard>,
    /// The server, when this run started it: kept alive while the database exists.
    host: Option<Arc<SharedServer>>,
}

impl ScratchDatabase {
    /// A database on the run's own server.
    pub(super) fn on_own(host: Arc<SharedServer>) -> Result<Box<dyn Database>, Error> {
        let start = Instant::now();
        let (name, connected) = host.take_database()?;
        let url = host.url.with_dbname(&name);
        // A backend start costs the server more than a migration's ledger rows: one per
        // service is saved when the worker has proved the database already.
        if !connected {
            db::connect(&url)?;
        }
        Ok(Box::new(ScratchDatabase {
            server: host.url.clone(),
            name,
            url,
            ready: start.elapsed(),
            guard: None,
            host: Some(host),
        }))
    }

    /// A database on `server`, which is not ours: named after the service and its creation
    /// time, so whoever looks at the server knows what it is, and a later run can tell an old
    /// leftover ([`sweep_leftovers`]). Its undo is registered before it is created, under
    /// [`cleanup::critical`], so Ctrl-C at any moment drops it.
    pub(super) fn on(server: &DatabaseUrl, service: &str) -> Result<Box<dyn Database>, Error> {
        let start = Instant::now();
        let clean: String = service
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '_'
                }
            })
            .take(20)
            .collect();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        let name = format!(
            "{LEFTOVER_PREFIX}{clean}_{now}_{}_{}",
            std::process::id(),
            &db::ledger::new_id()[..6]
        );
        let created = cleanup::critical(|| {
            let guard = {
                let (server, name) = (server.clone(), name.clone());
                cleanup::register(move || {
                    if let Ok(mut c) = db::connect(&server) {
                        drop_with(&mut c, &name);
                    }
                })
            };
            db::connect(server)?
                .batch_execute(&create_sql(&name, false))
                .map_err(|e| Error::database(format!("creating scratch database `{name}`"), &e))?;
            Ok(guard)
        });
        let guard = match created {
            Some(guard) => guard?,
            None => {
                return Err(Error::Cluster(
                    "interrupted: no scratch database was created".into(),
                ));
            }
        };
        let url = server.with_dbname(&name);
        // Owned from here: dropping it (a failed connect included) drops the database.
        let mut database = ScratchDatabase {
            server: server.clone(),
            name,
            url,
            ready: Duration::ZERO,
            guard: Some(guard),
            host: None,
        };
        db::connect(&database.url)?;
        database.ready = start.elapsed();
        Ok(Box::new(database))
    }
}

/// The prefix of every scratch database this tool creates on a server that is not its own.
const LEFTOVER_PREFIX: &str = "xtask_verify_";

/// Drops this tool's scratch databases that an earlier run left on `server` (killed before it
/// could drop them): our prefix and a creation time older than `older_than` in the name, and
/// no session in `pg_stat_activity`. Nothing else is touched. Returns the names dropped.
pub(super) fn sweep_leftovers(
    server: &DatabaseUrl,
    older_than: Duration,
) -> Result<Vec<String>, Error> {
    let mut c = db::connect(server)?;
    let rows = c
        .query(
            "SELECT d.datname::text FROM pg_database d \
             WHERE d.datname LIKE 'xtask\\_verify\\_%' AND NOT d.datistemplate \
               AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.datname = d.datname)",
            &[],
        )
        .map_err(|e| Error::database("listing leftover scratch databases", &e))?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    let mut dropped = Vec::new();
    for row in rows {
        let name: String = row.get(0);
        let Some(created) = created_at(&name) else {
            continue;
        };
        if now.saturating_sub(created) < older_than.as_secs() {
            continue;
        }
        // No FORCE: a session that arrived since means somebody uses it after all.
        if c.batch_execute(&format!("DROP DATABASE IF EXISTS {}", quote_ident(&name)))
            .is_ok()
        {
            dropped.push(name);
        }
    }
    Ok(dropped)
}

/// The creation time (Unix seconds) in a scratch database's name:
/// `xtask_verify_<service>_<seconds>_<pid>_<6 hex digits>`.
fn created_at(name: &str) -> Option<u64> {
    let rest = name.strip_prefix(LEFTOVER_PREFIX)?;
    let mut parts = rest.rsplitn(4, '_');
    let id = parts.next()?;
    let pid = parts.next()?;
    let seconds = parts.next()?;
    parts.next()?;
    (id.len() == 6 && id.bytes().all(|b| b.is_ascii_hexdigit()) && pid.parse::<u32>().is_ok())
        .then(|| seconds.parse().ok())
        .flatten()
        .filter(|s: &u64| *s > 1_500_000_000)
}

impl Database for ScratchDatabase {
    fn url(&self) -> &DatabaseUrl {
        &self.url
    }
    fn ready_time(&self) -> Duration {
        self.ready
    }
    fn keep(mut self: Box<Self>) -> Result<String, Error> {
        self.guard.take();
        let drop = format!("DROP DATABASE {};", quote_ident(&self.name));
        let msg = match &self.host {
            Some(host) => format!(
                "{} (its server, shared with the run's other services, stays up after this run; to drop only this database: {drop} To remove the server, {})",
                self.url,
                host.keep()
            ),
            None => format!("{} (remove it with: {drop})", self.url),
        };
        self.name.clear();
        Ok(msg)
    }
}

impl Drop for ScratchDatabase {
    fn drop(&mut self) {
        if !self.name.is_empty() {
            let name = std::mem::take(&mut self.name);
            match &self.host {
                Some(host) => host.release(name),
                None => {
                    // Whole or not at all: the exit on Ctrl-C would cut a drop short, and the
                    // server then abandons it (the database stays).
                    let dropped = cleanup::critical(|| {
                        if let Ok(mut c) = db::connect(&self.server) {
                            drop_with(&mut c, &name);
                        }
                    });
                    if dropped.is_none() {
                        // Interrupted: the handler drops it; its undo stays registered.
                        std::mem::forget(self.guard.take());
                    }
                }
            }
        }
        self.guard.take();
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn leftovers_are_known_by_their_name() {
        assert_eq!(
            super::created_at("xtask_verify_pay_api_1765000000_4242_0a1b2c"),
            Some(1765000000)
        );
        for other in [
            "xtask_verify_pay_api_12345_4242_0a1b2c",
            "xtask_verify_pay_1765000000_4242_notid!",
            "xtask_verify_pay_1765000000_x_0a1b2c",
            "xtask_verify_1765000000_0a1b2c",
            "production",
        ] {
            assert_eq!(super::created_at(other), None, "{other}");
        }
    }
}
