//! Schema drift without Node: the PostgreSQL schema Prisma would create for schema.prisma
//! ([`calculate`]), the schema a database has ([`introspect`]), both in one model ([`model`]),
//! and Prisma Migrate's notion of a difference between two of them ([`compare`]: its
//! [`steps`], in its order, columns compared in `columns.rs`), told as Prisma tells it ([`summary`]) and written as the SQL Prisma writes
//! ([`script`]) with Prisma's data-loss warnings (`warnings.rs`). [`expected`] reads a service's schema.prisma; [`located`] says each difference
//! with where schema.prisma declares it and which migration made it.

pub mod calculate;
mod columns;
pub mod compare;
pub mod expected;
pub mod introspect;
pub mod located;
pub mod model;
pub mod script;
pub mod steps;
pub mod summary;
mod warnings;

pub use calculate::calculate;
pub use compare::compare;
pub use expected::{Expected, expected};
pub use introspect::{Introspected, introspect, settle_predicates};
pub use located::{Creators, Difference, Sides, differences};
pub use model::SqlSchema;
pub use script::{Naming, migration_file, script, with_warnings};
pub use steps::{DiffStep, SchemaDiff};
pub use summary::summary;
pub use warnings::warnings;
