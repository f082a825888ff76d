//! Connection poolers in transaction or statement mode (PgBouncer, Supavisor, Neon's pooler)
//! hand each transaction to whichever server session is free: a session advisory lock taken
//! through one protects nothing (the next statement may run on another session, and another
//! client may inherit the lock), and a statement-by-statement migration's statements may land
//! on different sessions. Migrations must go to the database directly (Prisma's `directUrl`).
//! Session-mode pooling keeps one server session per client and is fine.
//!
//! Signals, most certain first:
//! 1. the URL says so: Prisma's `pgbouncer=true`;
//! 2. the host is a pooler's by its provider's documented naming (Supabase's pooler on port
//!    6543, Neon's `-pooler` host names);
//! 3. the server session is not ours alone: after our session's statement ends, a second
//!    connection is served by the same backend (same `pg_backend_pid()`) while ours is still
//!    open. Only asked when something stands between us and the server (the server's port is
//!    not the one we dialled, or the URL is a socket), so direct connections pay nothing.

use postgres::Client;

use super::connection::connect;
use super::database_url::DatabaseUrl;
use crate::error::Error;

/// Refuses `url` (on whose session `client` is) when it goes through a pooler that does not
/// keep a server session per client.
pub fn refuse_transaction_pooling(client: &mut Client, url: &DatabaseUrl) -> Result<(), Error> {
    if let Some(why) = by_name(url) {
        return Err(refusal(url, &why));
    }
    let row = client
        .query_typed_one("SELECT pg_backend_pid(), inet_server_port()", &[])
        .map_err(|e| Error::database("checking for a connection pooler", &e))?;
    let (ours, server_port): (i32, Option<i32>) = (row.get(0), row.get(1));
    let direct = match server_port {
        Some(p) => !url.is_socket() && p == i32::from(url.port),
        None => url.is_socket(),
    };
    if direct {
        return Ok(());
    }
    let Ok(mut other) = connect(url) else {
        // A pooler at its connection limit, say: the signals above are all we have.
        return Ok(());
    };
    let theirs: i32 = other
        .query_typed_one("SELECT pg_backend_pid()", &[])
        .map_err(|e| Error::database("checking for a connection pooler", &e))?
        .get(0);
    if theirs == ours {
        return Err(refusal(
            url,
            &format!(
                "a second connection was served by the same server session (pid {ours}) while ours was open: the pooler shares server sessions between clients, as PgBouncer does in transaction or statement mode"
            ),
        ));
    }
    Ok(())
}

/// The URL itself says it is pooled.
fn by_name(url: &DatabaseUrl) -> Option<String> {
    let host = url.host.to_ascii_lowercase();
    if url.pgbouncer {
        Some("the URL has `pgbouncer=true`, Prisma's flag for PgBouncer in transaction mode".into())
    } else if host.ends_with(".pooler.supabase.com") && url.port == 6543 {
        Some(
            "port 6543 of Supabase's pooler is its transaction mode (port 5432 is session mode)"
                .into(),
        )
    } else if host
        .split('.')
        .next()
        .is_some_and(|h| h.ends_with("-pooler"))
    {
        Some(
            "a `-pooler` host name is Neon's pooled endpoint (PgBouncer in transaction mode)"
                .into(),
        )
    } else {
        None
    }
}

fn refusal(url: &DatabaseUrl, why: &str) -> Error {
    Error::Pooler {
        url: url.to_string(),
        why: why.to_string(),
    }
}
