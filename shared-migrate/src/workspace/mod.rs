//! The monorepo on disk: its services, where each keeps its Prisma files (schema, migrations,
//! `prisma.config.ts`) and what its datasource says, their migration folders in order, one
//! folder's file and checksum, the naming convention of folders, and creating a new folder.
//! No database.

mod create;
pub(crate) mod git;
mod layout;
mod members;
mod migration;
pub(crate) mod naming;
pub(crate) mod package;
pub(crate) mod prisma_config;
mod services;
pub(crate) use create::{create_migration, create_migration_with};
pub(crate) use layout::Declared;
pub use layout::DeclaredValue;
pub(crate) use migration::SQUASH_FILE;
pub use migration::checksum;
pub(crate) use migration::{Migration, Replaced};
pub use services::{Service, Workspace};
