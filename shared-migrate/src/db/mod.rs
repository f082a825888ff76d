//! PostgreSQL, as the deploy path talks to it: the database URL and where it comes from, a
//! session opened the way Prisma opens one, the migration lock (released when its guard drops),
//! the `_prisma_migrations` ledger and how the local folders compare with it, and running a
//! planned file in one transaction or statement by statement.

mod connection;
mod database_url;
mod execute;
mod history;
pub mod ledger;
mod lock;
pub mod tls;
mod url_sources;

pub use connection::{
    connect, connect_existing, connect_or_create, quote_ident, terminate_sessions, use_schema,
    with_deadline,
};
pub use database_url::{DatabaseUrl, redact};
pub use execute::{
    Bookkeeping, Nothing, RunFailure, Stage, describe_error, run_file, run_sql_file,
};
pub use history::{History, compare};
pub use lock::{DEFAULT_LOCK_TIMEOUT, LOCK_KEY, Locked, take_lock};
pub use tls::{RootCert, SslMode, Tls};
pub use url_sources::{UrlOrigin, UrlSources};
