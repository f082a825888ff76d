//! Schema drift without Node: the PostgreSQL schema Prisma would create for schema.prisma
//! ([`calculate`]), the schema a database has ([`introspect`]), both in one model ([`model`]),
//! and Prisma Migrate's notion of a difference between two of them ([`compare`]: its steps, in
//! its order), told as Prisma tells it ([`summary`]).

pub mod calculate;
pub mod compare;
pub mod introspect;
pub mod model;
pub mod summary;

pub use calculate::calculate;
pub use compare::{DiffStep, SchemaDiff, compare};
pub use introspect::{Introspected, introspect};
pub use model::SqlSchema;
pub use summary::summary;
