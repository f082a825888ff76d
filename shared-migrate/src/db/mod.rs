//! PostgreSQL, as the deploy path talks to it: the database URL and where it comes from, a
//! session opened the way Prisma opens one, the migration lock (released when its guard drops),
//! the `_prisma_migrations` ledger and how the local folders compare with it, and running a
//! planned file in one transaction or statement by statement.
//!
//! Queries on the deploy path give their parameters' types (`query_typed*`): one round trip
//! each, where a prepared statement takes two. Across a network to a managed database the
//! round trips are most of a service's time when nothing is pending.

pub(crate) mod catalog;
mod connection;
mod database_url;
mod execute;
mod history;
pub(crate) mod ledger;
mod lock;
mod pooler;
mod socket;
pub(crate) mod tls;
mod url_sources;
pub use connection::{connect, connect_existing};

pub(crate) use connection::{
    connect_or_create, guard_session, idle_while, quote_ident, server_version, use_schema,
    with_deadline,
};
pub use database_url::DatabaseUrl;
pub(crate) use database_url::{invalid_url, redact};
pub(crate) use execute::Limits;
pub(crate) use execute::{
    Batched, Bookkeeping, RunFailure, Stage, describe_error, run_batched, run_file,
};
pub use execute::{Waits, run_sql_file};
pub(crate) use history::compare;
pub(crate) use lock::{Blocker, blockers, take_lock};
pub use lock::{DEFAULT_LOCK_TIMEOUT, LockMode, MigrationLock};
pub use url_sources::{UrlOrigin, UrlSources};
