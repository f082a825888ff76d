//! shared-migrate: Prisma-compatible migrations for a monorepo of PostgreSQL services.
//!
//! Follow a migration from the command line to the database:
//! [`source`] finds the services and their folders, [`migration`] reads one folder,
//! [`database_url`] finds the service's database, [`migrator`] applies what is pending (using
//! [`connection`], [`lock`], [`script`] and [`ledger`]). [`status`] and [`resolve`] read and
//! repair the ledger; [`naming`] and [`new`] keep folder names in shape; [`local_cluster`]
//! provides throwaway servers.

pub mod backend;
pub mod backup;
pub mod baseline;
pub mod bench;
pub mod cleanup;
pub mod command;
pub mod config;
pub mod connection;
pub mod database_url;
pub mod docker;
pub mod error;
pub mod junit;
pub mod ledger;
pub mod lint;
pub mod local_cluster;
pub mod lock;
pub mod migration;
pub mod migrator;
pub mod naming;
pub mod new;
pub mod report;
pub mod reset;
pub mod resolve;
pub mod revert;
pub mod script;
pub mod source;
pub mod status;
#[cfg(feature = "testing")]
pub mod testing;
pub mod verify;

pub use error::{Error, ExitCode};
