//! Schema drift without Node: the PostgreSQL schema Prisma would create for schema.prisma
//! ([`calculate`]), the schema a database has ([`introspect`]), both in one model ([`model`]),
//! and Prisma Migrate's notion of a difference between two of them ([`compare`]: its steps, in
//! its order), told as Prisma tells it ([`summary`]) and written as the SQL Prisma writes
//! ([`script`]).

pub mod calculate;
pub mod compare;
pub mod introspect;
pub mod model;
pub mod script;
pub mod summary;

pub use calculate::calculate;
pub use compare::{DiffStep, SchemaDiff, compare};
pub use introspect::{Introspected, introspect};
pub use model::SqlSchema;
pub use script::{Naming, migration_file, script, warnings};
pub use summary::summary;
