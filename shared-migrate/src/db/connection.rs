//! Opening a session on a service's database the way Prisma does: the database is created when
//! missing (deploy only), the schema of `?schema=` is created when missing, and `search_path` is
//! set to it so that the ledger and unqualified names land there.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::time::Duration;

use postgres::config::SslMode as WireMode;
use postgres::error::SqlState;
use postgres::types::Type;
use postgres::{Client, NoTls};

use super::database_url::DatabaseUrl;
use super::tls::{self, SslMode};
use crate::error::{Error, describe_pg_error};

/// Why a session could not be opened: the server's or the driver's error, and what TLS
/// says about it (a certificate refused, no TLS on the server, a bad key file).
struct OpenError {
    error: Option<postgres::Error>,
    tls: Option<String>,
}

impl OpenError {
    fn code(&self) -> Option<&SqlState> {
        self.error.as_ref().and_then(|e| e.code())
    }
}

/// Opens a session with libpq's `sslmode` semantics: `allow` tries without TLS first,
/// `prefer` with TLS first, each falling back when the server's pg_hba.conf refuses that
/// kind of connection; `require` and the verify modes insist. Unix sockets never use TLS.
fn open(url: &DatabaseUrl) -> Result<Client, OpenError> {
    let plan = url.tls.plan().map_err(|reason| OpenError {
        error: None,
        tls: Some(reason),
    })?;
    let plain = || {
        let mut c = url.config();
        c.ssl_mode(WireMode::Disable);
        c.connect(NoTls).map_err(|e| OpenError {
            error: Some(e),
            tls: None,
        })
    };
    let secure = |mode: WireMode| {
        let connector = tls::connector(&url.tls, &plan).map_err(|reason| OpenError {
            error: None,
            tls: Some(reason),
        })?;
        let mut c = url.config();
        c.ssl_mode(mode);
        c.connect(connector.make).map_err(|e| {
            let problem = connector.problem.lock().ok().and_then(|mut p| p.take());
            // Server errors (authentication, pg_hba.conf) are not TLS failures.
            let tls = (e.as_db_error().is_none()
                && (problem.is_some() || e.to_string().contains("TLS")))
            .then(|| tls::describe_failure(&e, problem, &plan, &url.host));
            OpenError {
                error: Some(e),
                tls,
            }
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
        SslMode::Prefer => match secure(WireMode::Prefer) {
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
pub fn connect_or_create(url: &DatabaseUrl) -> Result<(Client, bool), Error> {
    match open(url) {
        Ok(client) => Ok((watch_client(client), false)),
        Err(e) if e.code() == Some(&SqlState::INVALID_CATALOG_NAME) => {
            let mut admin = connect(&url.with_dbname("postgres"))
                .or_else(|_| connect(&url.with_dbname("template1")))
                .map_err(|_| connect_error(url, &e))?;
            match admin.batch_execute(&format!("CREATE DATABASE {}", quote_ident(&url.dbname))) {
                Ok(()) => {}
                // Another deployer created it in the meantime.
                Err(c) if c.code() == Some(&SqlState::DUPLICATE_DATABASE) => {}
                Err(c) => {
                    return Err(Error::Connect {
                        url: url.to_string(),
                        reason: format!(
                            "the database `{}` does not exist and could not be created: {}",
                            url.dbname,
                            describe_pg_error(&c)
                        ),
                    });
                }
            }
            Ok((connect(url)?, true))
        }
        Err(e) => Err(connect_error(url, &e)),
    }
}

/// Points `search_path` at the URL's schema. With `create`, creates the schema when missing;
/// without, returns false when it does not exist (read-only commands create nothing).
pub fn use_schema(client: &mut Client, schema: &str, create: bool) -> Result<bool, Error> {
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
pub fn terminate_sessions(url: &DatabaseUrl) {
    if let Ok(mut c) = connect(&url.with_dbname("postgres")) {
        let _ = c.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
            &[&url.dbname],
        );
    }
}

/// Runs `work`; if it takes longer than `timeout`, every session on the database is ended so
/// that it fails promptly. Returns whether that happened.
pub fn with_deadline<T>(
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
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn connect_error(url: &DatabaseUrl, open: &OpenError) -> Error {
    let reason = match (&open.tls, &open.error) {
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
