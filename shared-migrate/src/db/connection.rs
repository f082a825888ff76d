//! Opening a session on a service's database the way Prisma does: the database is created when
//! missing (deploy only), the schema of `?schema=` is created when missing, and `search_path` is
//! set to it so that the ledger and unqualified names land there.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::time::Duration;

use postgres::error::SqlState;
use postgres::{Client, NoTls};

use super::database_url::DatabaseUrl;
use crate::error::{Error, describe_pg_error};

/// Connects, with an error that names the (redacted) URL and says what to check.
pub fn connect(url: &DatabaseUrl) -> Result<Client, Error> {
    url.config()
        .connect(NoTls)
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
    match url.config().connect(NoTls) {
        Ok(client) => Ok(Some(watch_client(client))),
        Err(e) if e.code() == Some(&SqlState::INVALID_CATALOG_NAME) => Ok(None),
        Err(e) => Err(connect_error(url, &e)),
    }
}

/// Connects, creating the database first when it does not exist (as `prisma migrate deploy`).
/// Returns whether it was created.
pub fn connect_or_create(url: &DatabaseUrl) -> Result<(Client, bool), Error> {
    match url.config().connect(NoTls) {
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
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)",
            &[&schema],
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

fn connect_error(url: &DatabaseUrl, e: &postgres::Error) -> Error {
    let code = e.code();
    let reason = if code == Some(&SqlState::INVALID_PASSWORD)
        || code == Some(&SqlState::INVALID_AUTHORIZATION_SPECIFICATION)
    {
        format!(
            "authentication failed for user `{}`: check the user name and password of the URL",
            url.user
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
    };
    Error::Connect {
        url: url.to_string(),
        reason,
    }
}
