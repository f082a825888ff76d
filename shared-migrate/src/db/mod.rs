//! PostgreSQL, as the deploy path talks to it: the database URL and where it comes from, a
//! session opened the way Prisma opens one, the migration lock (released when its guard drops),
//! the `_prisma_migrations` ledger and how the local folders compare with it, and running a
//! planned file in one transaction or statement by statement.
//!
//! Queries on the deploy path give their parameters' types (`query_typed*`): one round trip
//! each, where a prepared statement takes two. Across a network to a managed database the
//! round trips are most of a service's time when nothing is pending.

mod connection;
mod database_url;
mod execute;
mod history;
pub mod ledger;
mod lock;
mod pooler;
mod socket;
pub mod tls;
mod url_sources;

pub use connection::{
    connect, connect_existing, connect_or_create, guard_session, idle_while, quote_ident,
    terminate_sessions, use_schema, with_deadline,
};
pub use database_url::{DatabaseUrl, Network, invalid_url, redact};
pub use execute::{
    Batched, Bookkeeping, Limits, Nothing, RunFailure, Stage, Waits, describe_error, run_batched,
    run_file, run_sql_file,
};
pub use history::{History, PartialSquash, compare};
pub use lock::{
    Blocker, DEFAULT_LOCK_TIMEOUT, LOCK_KEY, LockMode, Locked, MigrationLock, blockers, take_lock,
};
pub use pooler::refuse_transaction_pooling;
pub use tls::{RootCert, SslMode, Tls};
pub use url_sources::{UrlOrigin, UrlSources};
