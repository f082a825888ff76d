//! The monorepo on disk: its services, their migration folders in order, one folder's file and
//! checksum, the naming convention of folders, and creating a new folder. No database.

mod create;
mod migration;
pub mod naming;
mod services;

pub use create::create_migration;
pub use migration::{Migration, checksum};
pub use services::{Service, Workspace};
