//! The monorepo on disk: its services, where each keeps its Prisma files (schema, migrations,
//! `prisma.config.ts`) and what its datasource says, their migration folders in order, one
//! folder's file and checksum, the naming convention of folders, and creating a new folder.
//! No database.

mod create;
pub mod git;
mod layout;
mod members;
mod migration;
pub mod naming;
pub mod package;
pub mod prisma_config;
mod services;

pub use create::{create_migration, create_migration_with};
pub use layout::{Datasource, Declared, DeclaredValue, Layout, SchemaPath};
pub use migration::{Migration, Replaced, SQUASH_FILE, checksum};
pub use services::{Service, Workspace, is_prisma_project};
