//! Opening a session on a service's database the way Prisma does: the database is created when
//! missing (deploy only), the schema of `?schema=` is created when missing, and `search_path` is
//! set to it so that the ledger and unqualified names land there.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use postgres::config::SslMode as WireMode;
use postgres::error::SqlState;
use postgres::types::Type;
use postgres::{Client, NoTls};

use super::database_url::DatabaseUrl;
use super::socket;
use super::tls::{self, SslMode};
use crate::error::{Error, describe_pg_error};

/// Why a session could not be opened: the server's or the driver's error, and what TLS
/// says about it (a certificate refused, no TLS on the server, a bad key file).
struct OpenError {
    error: Option<postgres::Error>,
    tls: Option<String>,
    /// The start-up did not finish within `connect_timeout`.
    timed_out: bool,
}

impl OpenError {
    fn code(&self) -> Option<&SqlState> {
        self.error.as_ref().and_then(|e| e.code())
    }
}

/// Opens a session, its whole start-up (TCP, TLS, authentication) bounded by
/// `connect_timeout`, and watches its socket when `socket_timeout` is given ([`socket`]).
fn open(url: &DatabaseUrl) -> Result<Client, OpenError> {
    if url.is_socket() {
        return open_now(url);
    }
    let _one = socket::one_connect_at_a_time();
    let before = socket::sockets();
    let (sender, result) = mpsc::channel();
    let for_thread = url.clone();
    let helper = std::thread::Builder::new()
        .name("connect".into())
        .spawn(move || {
            let _ = sender.send(open_now(&for_thread));
        });
    if helper.is_err() {
        return open_now(url);
    }
    match result.recv_timeout(url.connect_timeout) {
        Ok(opened) => {
            let client = opened?;
            if let Some(timeout) = url.net.socket_timeout
                && let Some(s) = socket::made_since(&before, url.port)
            {
                socket::watch(s, timeout, format!("{}:{}", url.host, url.port));
            }
            Ok(client)
        }
        Err(_) => {
            // The helper is still inside the start-up: end its connection so it returns.
            if let Some(s) = socket::made_since(&before, url.port) {
                s.shut_down();
            }
            Err(OpenError {
                error: None,
                tls: None,
                timed_out: true,
            })
        }
    }
}

/// Opens a session with libpq's `sslmode` semantics: `allow` tries without TLS first,
/// `prefer` with TLS first, each falling back when the server's pg_hba.conf refuses that
/// kind of connection; `require` and the verify modes insist. Unix sockets never use TLS.
fn open_now(url: &DatabaseUrl) -> Result<Client, OpenError> {
    let plan = url.tls.plan().map_err(|reason| OpenError {
        error: None,
        tls: Some(reason),
        timed_out: false,
    })?;
    let plain = || {
        let mut c = url.config();
        c.ssl_mode(WireMode::Disable);
        c.connect(NoTls).map_err(|e| OpenError {
            error: Some(e),
            tls: None,
            timed_out: false,
        })
    };
    let refused = |reason: String| OpenError {
        error: None,
        tls: Some(reason),
        timed_out: false,
    };
    let failed = |e: postgres::Error, problem: &Mutex<Option<tls::CertProblem>>| {
        let problem = problem.lock().ok().and_then(|mut p| p.take());
        // Server errors (authentication, pg_hba.conf) are not TLS failures.
        let tls = (e.as_db_error().is_none()
            && (problem.is_some() || e.to_string().contains("TLS")))
        .then(|| tls::describe_failure(&e, problem, &plan, &url.host));
        OpenError {
            error: Some(e),
            tls,
            timed_out: false,
        }
    };
    let secure = |mode: WireMode| {
        let connector = tls::connector(&url.tls, &plan).map_err(refused)?;
        let mut c = url.config();
        c.ssl_mode(mode);
        c.connect(connector.make)
            .map_err(|e| failed(e, &connector.problem))
    };
    // TLS if the server offers it; OpenSSL set up only then.
    let preferred = || {
        let deferred = tls::Deferred::new(&url.tls, &plan);
        let (problem, why) = (deferred.problem.clone(), deferred.refused.clone());
        let mut c = url.config();
        c.ssl_mode(WireMode::Prefer);
        c.connect(deferred)
            .map_err(|e| match why.lock().ok().and_then(|mut r| r.take()) {
                Some(reason) => refused(reason),
                None => failed(e, &problem),
            })
    };
    if url.is_socket() {
        return plain();
    }
    match plan.mode {
        SslMode::Disable => plain(),
        SslMode::Allow => match plain() {
            Err(e) if hba_refuses(&e, "no encryption") => secure(WireMode::Require),
            other => other,
        },
        SslMode::Prefer => match preferred() {
            Err(e) if hba_refuses(&e, "SSL encryption") => plain(),
            other => other,
        },
        SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => secure(WireMode::Require),
    }
}

/// Whether pg_hba.conf refused this kind of connection (`no pg_hba.conf entry ..., SSL
/// encryption`), so that the other kind may be accepted.
fn hba_refuses(e: &OpenError, kind: &str) -> bool {
    e.error
        .as_ref()
        .and_then(|e| e.as_db_error())
        .is_some_and(|d| d.message().contains("no pg_hba.conf entry") && d.message().contains(kind))
}

/// Connects, with an error that names the (redacted) URL and says what to check.
pub fn connect(url: &DatabaseUrl) -> Result<Client, Error> {
    open(url)
        .map(watch_client)
        .map_err(|e| connect_error(url, &e))
}

/// Asks the server to check, during long statements, that we are still there. Without it, a
/// deployer killed inside a long migration leaves its session running (holding the migration
/// lock and its open transaction) until the statement ends, and the next deploy waits for it.
/// PostgreSQL 14+; older servers refuse the setting, which is harmless.
fn watch_client(mut client: Client) -> Client {
    let _ = client.batch_execute("SET client_connection_check_interval = '1s'");
    client
}

/// Connects; `None` when the database does not exist (read-only commands create nothing).
pub fn connect_existing(url: &DatabaseUrl) -> Result<Option<Client>, Error> {
    match open(url) {
        Ok(client) => Ok(Some(watch_client(client))),
        Err(e) if e.code() == Some(&SqlState::INVALID_CATALOG_NAME) => Ok(None),
        Err(e) => Err(connect_error(url, &e)),
    }
}

/// Connects, creating the database first when it does not exist (as `prisma migrate deploy`).
/// Returns whether it was created.
pub(crate) fn connect_or_create(url: &DatabaseUrl) -> Result<(Client, bool), Error> {
    match open(url) {
        Ok(client) => Ok((watch_client(client), false)),
        Err(e) if e.code() == Some(&SqlState::INVALID_CATALOG_NAME) => {
            let mut admin = connect(&url.with_dbname("postgres"))
                .or_else(|_| connect(&url.with_dbname("template1")))
                .map_err(|_| connect_error(url, &e))?;
            let create = format!("CREATE DATABASE {}", quote_ident(&url.dbname));
            let mut pause = Duration::from_millis(20);
            // Not once interrupted: the Ctrl-C cleanup may just have dropped this very database
            // (a scratch database whose service was still migrating).
            let created = crate::cleanup::critical(|| {
                loop {
                    match admin.batch_execute(&create) {
                        Ok(()) => break Ok(true),
                        // Another deployer created it in the meantime: 42P04 once its row is
                        // committed, 23505 (pg_database's unique index) while both were inserting.
                        Err(c)
                            if c.code() == Some(&SqlState::DUPLICATE_DATABASE)
                                || c.code() == Some(&SqlState::UNIQUE_VIOLATION) =>
                        {
                            break Ok(false);
                        }
                        // The template is being copied or connected to by another session for a
                        // moment (55006): wait a little, as the other deployer will be done soon.
                        Err(c)
                            if c.code() == Some(&SqlState::OBJECT_IN_USE)
                                && pause < Duration::from_secs(2) =>
                        {
                            std::thread::sleep(pause);
                            pause *= 2;
                        }
                        Err(c) => {
                            break Err(Error::Connect {
                                url: url.to_string(),
                                reason: format!(
                                    "the database `{}` does not exist and could not be created: {}",
                                    url.dbname,
                                    describe_pg_error(&c)
                                ),
                            });
                        }
                    }
                }
            })
            .ok_or_else(|| Error::Connect {
                url: url.to_string(),
                reason: "interrupted: the database was not created".into(),
            })??;
            Ok((connect(url)?, created))
        }
        Err(e) => Err(connect_error(url, &e)),
    }
}

/// What the server does when the deployer vanishes (a network that stops forwarding, a
/// runner killed): `idle_in_transaction_session_timeout` (and `idle_session_timeout` from
/// PostgreSQL 14) end the session, and so free the migration lock it holds, after `idle`;
/// the server's own TCP keepalives find a peer that is gone. `None`: the server's settings.
pub(crate) fn guard_session(client: &mut Client, url: &DatabaseUrl, idle: Option<Duration>) {
    let net = &url.net;
    let mut sets = Vec::new();
    if let Some(idle) = idle.filter(|d| !d.is_zero()) {
        let ms = idle.as_millis();
        sets.push(format!("SET idle_in_transaction_session_timeout = {ms}"));
        if server_version(client) >= 140000 {
            sets.push(format!("SET idle_session_timeout = {ms}"));
        }
    }
    if !url.is_socket() && net.keepalives {
        sets.push(format!(
            "SET tcp_keepalives_idle = {}",
            net.keepalives_idle.as_secs()
        ));
        sets.push(format!(
            "SET tcp_keepalives_interval = {}",
            net.keepalives_interval.as_secs()
        ));
        sets.push(format!(
            "SET tcp_keepalives_count = {}",
            net.keepalives_count
        ));
        if !net.tcp_user_timeout.is_zero() {
            sets.push(format!(
                "SET tcp_user_timeout = {}",
                net.tcp_user_timeout.as_millis()
            ));
        }
    }
    // One round trip; if any is refused (a server that lacks one, a pooler that refuses SET),
    // the batch is rolled back as a whole and each is tried on its own, to keep the rest.
    if sets.is_empty() || client.batch_execute(&sets.join(";")).is_ok() {
        return;
    }
    for set in &sets {
        let _ = client.batch_execute(set);
    }
}

/// Lets the session sit idle for as long as `work` takes (a `--backup` dump runs in another
/// process while the session holds the lock), then restores `idle`.
pub(crate) fn idle_while<T>(
    client: &mut Client,
    idle: Option<Duration>,
    work: impl FnOnce() -> T,
) -> T {
    let guarded = idle.is_some_and(|d| !d.is_zero()) && server_version(client) >= 140000;
    if guarded {
        let _ = client.batch_execute("SET idle_session_timeout = 0");
    }
    let out = work();
    if let (true, Some(idle)) = (guarded, idle) {
        let _ = client.batch_execute(&format!("SET idle_session_timeout = {}", idle.as_millis()));
    }
    out
}

/// The server's `server_version_num` (150004 for 15.4); 0 when it cannot be read.
pub(crate) fn server_version(client: &mut Client) -> i32 {
    client
        .query_typed_one("SELECT current_setting('server_version_num')::int", &[])
        .map(|r| r.get(0))
        .unwrap_or(0)
}

/// Points `search_path` at the URL's schema. With `create`, creates the schema when missing;
/// without, returns false when it does not exist (read-only commands create nothing).
pub(crate) fn use_schema(client: &mut Client, schema: &str, create: bool) -> Result<bool, Error> {
    let exists: bool = client
        .query_typed_one(
            "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)",
            &[(&schema, Type::NAME)],
        )
        .map_err(|e| Error::database("checking the schema", &e))?
        .get(0);
    if !exists {
        if !create {
            return Ok(false);
        }
        match client.batch_execute(&format!(
            "CREATE SCHEMA IF NOT EXISTS {}",
            quote_ident(schema)
        )) {
            Ok(()) => {}
            // A concurrent CREATE SCHEMA IF NOT EXISTS can still collide on the catalog index.
            Err(e) if e.code() == Some(&SqlState::UNIQUE_VIOLATION) => {}
            Err(e) => return Err(Error::database(format!("creating schema `{schema}`"), &e)),
        }
    }
    client
        .batch_execute(&format!("SET search_path TO {}", quote_ident(schema)))
        .map_err(|e| Error::database("setting search_path", &e))?;
    Ok(true)
}

/// Ends every session on the database (a step that ran out of time is cut off this way).
pub(crate) fn terminate_sessions(url: &DatabaseUrl) {
    if let Ok(mut c) = connect(&url.with_dbname("postgres")) {
        let _ = c.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
            &[&url.dbname],
        );
    }
}

/// Runs `work`; if it takes longer than `timeout`, every session on the database is ended so
/// that it fails promptly. Returns whether that happened.
pub(crate) fn with_deadline<T>(
    url: &DatabaseUrl,
    timeout: Duration,
    work: impl FnOnce() -> T,
) -> (T, bool) {
    let (done, wait) = mpsc::channel::<()>();
    let fired = Arc::new(AtomicBool::new(false));
    let watchdog = {
        let fired = fired.clone();
        let url = url.clone();
        std::thread::spawn(move || {
            if let Err(mpsc::RecvTimeoutError::Timeout) = wait.recv_timeout(timeout) {
                fired.store(true, Ordering::SeqCst);
                terminate_sessions(&url);
            }
        })
    };
    let result = work();
    drop(done);
    let _ = watchdog.join();
    (result, fired.load(Ordering::SeqCst))
}

/// An identifier quoted for SQL: `a"b` becomes `"a""b"`.
pub(crate) fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn connect_error(url: &DatabaseUrl, open: &OpenError) -> Error {
    let reason = match (&open.tls, &open.error) {
        _ if open.timed_out => format!(
            "the server at {}:{} did not complete the connection's start-up (TLS, authentication) within {}s (connect_timeout): check that PostgreSQL itself answers there, not a proxy or a firewall that accepts and then stays silent",
            url.host,
            url.port,
            url.connect_timeout.as_secs()
        ),
        (Some(tls), _) => tls.clone(),
        (None, Some(e)) => server_refusal(url, e),
        (None, None) => "cannot connect".to_string(),
    };
    Error::Connect {
        url: url.to_string(),
        reason,
    }
}

fn server_refusal(url: &DatabaseUrl, e: &postgres::Error) -> String {
    let code = e.code();
    let message = e.as_db_error().map(|d| d.message()).unwrap_or_default();
    if message.contains("client certificate")
        || message.contains("certificate authentication")
        || message.contains("clientcert")
    {
        format!(
            "{}: the server wants a client certificate whose common name (CN) is the user `{}`: give sslcert and sslkey (or sslidentity)",
            describe_pg_error(e),
            url.user
        )
    } else if code == Some(&SqlState::INVALID_PASSWORD)
        || code == Some(&SqlState::INVALID_AUTHORIZATION_SPECIFICATION)
            && !message.contains("no pg_hba.conf entry")
    {
        format!(
            "authentication failed for user `{}`: check the user name and password of the URL",
            url.user
        )
    } else if message.contains("no pg_hba.conf entry") && message.contains("no encryption") {
        format!(
            "{}: the server accepts only TLS connections from here: use sslmode=require (or verify-full with sslrootcert)",
            describe_pg_error(e)
        )
    } else if code == Some(&SqlState::INVALID_CATALOG_NAME) {
        format!(
            "the database `{}` does not exist (`cargo xtask migrate` creates it, as `prisma migrate deploy` does)",
            url.dbname
        )
    } else if e.as_db_error().is_some() {
        describe_pg_error(e)
    } else {
        format!(
            "{}: check that PostgreSQL runs at {}:{} and accepts connections (timeout {}s)",
            describe_pg_error(e),
            url.host,
            url.port,
            url.connect_timeout.as_secs()
        )
    }
}
