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
//! 3. nothing stands between us and the server: the client address the server reports for our
//!    session is one of our own sockets (TCP), or our Unix socket's peer is the server's
//!    postmaster (the parent of our backend). Then no pooler can be there, whatever port;
//! 4. otherwise (a proxy, NAT, a container's published port, or a pooler), server sessions
//!    are watched through three connections of ours taking turns, one query (one transaction)
//!    at a time, in the order A B A C A B A C (twelve turns): a pooler that hands server sessions out per
//!    transaction shows it, whatever its order (LIFO gives B the session A just returned;
//!    round robin moves A to another session), so the verdict does not depend on which
//!    backend happens to answer. A pooler in session mode, a proxy or NAT keep one session per
//!    client. When the extra connections cannot be opened, nothing can be shown: refused.

use std::collections::BTreeSet;

use postgres::Client;

use super::connection::connect;
use super::database_url::DatabaseUrl;
use super::socket;
use crate::error::Error;

/// Refuses `url` (on whose session `client` is) when it goes through a pooler that does not
/// keep a server session per client.
pub(crate) fn refuse_transaction_pooling(
    client: &mut Client,
    url: &DatabaseUrl,
) -> Result<(), Error> {
    if let Some(why) = by_name(url) {
        return Err(refusal(url, &why));
    }
    let fail = |e: &postgres::Error| Error::database("checking for a connection pooler", e);
    let row = client
        .query_typed_one(
            "SELECT pg_backend_pid(), host(inet_client_addr()), inet_client_port()",
            &[],
        )
        .map_err(|e| fail(&e))?;
    let (ours, client_host, client_port): (i32, Option<String>, Option<i32>) =
        (row.get(0), row.get(1), row.get(2));
    if direct(ours, client_host.as_deref(), client_port) {
        return Ok(());
    }
    let mut others = Vec::new();
    for _ in 0..2 {
        match connect(url) {
            Ok(c) => others.push(c),
            Err(e) => {
                return Err(refusal(
                    url,
                    &format!(
                        "something stands between us and the server (it does not see our own address), and the two extra connections that would show whether it shares server sessions could not be opened ({e})"
                    ),
                ));
            }
        }
    }
    let [b, c] = &mut others[..] else {
        unreachable!("two connections were opened")
    };
    let mut seen: [BTreeSet<i32>; 3] = Default::default();
    // Twice over: under other clients' load a pooler may keep handing each of ours the same
    // server session for a while (seen with eight deployers at once behind PgBouncer).
    for who in [0, 1, 0, 2, 0, 1, 2, 0, 2, 1, 0, 2] {
        let session: &mut Client = match who {
            0 => client,
            1 => b,
            _ => c,
        };
        let pid: i32 = session
            .query_typed_one("SELECT pg_backend_pid()", &[])
            .map_err(|e| fail(&e))?
            .get(0);
        seen[who].insert(pid);
    }
    let moved = seen.iter().any(|pids| pids.len() > 1);
    let shared = (0..3).any(|i| (i + 1..3).any(|j| !seen[i].is_disjoint(&seen[j])));
    if moved || shared {
        return Err(refusal(
            url,
            &format!(
                "three connections taking turns were served by server sessions {} (ours first): {}, as PgBouncer does in transaction or statement mode",
                seen.iter()
                    .map(|p| format!("{p:?}"))
                    .collect::<Vec<_>>()
                    .join(", "),
                if moved {
                    "one connection moved between server sessions"
                } else {
                    "two connections shared a server session"
                }
            ),
        ));
    }
    Ok(())
}

/// Whether our session reaches the server directly: the client address it reports is one of
/// our TCP sockets, or (Unix socket, no address) our socket's peer is our backend's parent,
/// the postmaster.
fn direct(backend: i32, client_host: Option<&str>, client_port: Option<i32>) -> bool {
    match (client_host, client_port) {
        (Some(host), Some(port)) => match (host.parse(), u16::try_from(port)) {
            (Ok(ip), Ok(port)) => socket::ours_at(ip, port),
            _ => false,
        },
        _ => socket::parent_of(backend).is_some_and(socket::unix_peer_is),
    }
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
