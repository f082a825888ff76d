//! Schema drift without Node: the PostgreSQL schema Prisma would create for schema.prisma
//! ([`calculate`]), the schema a database has ([`introspect`]), both in one model ([`model`]),
//! and Prisma Migrate's notion of a difference between two of them ([`compare`]: its
//! [`steps`], in its order, columns compared in `columns.rs`), told as Prisma tells it ([`summary`]) and written as the SQL Prisma writes
//! ([`script`]) with Prisma's data-loss warnings (`warnings.rs`). [`expected`] reads a service's schema.prisma; [`located`] says each difference
//! with where schema.prisma declares it and which migration made it.

pub(crate) mod calculate;
mod columns;
pub(crate) mod compare;
pub(crate) mod expected;
pub(crate) mod introspect;
pub(crate) mod located;
pub(crate) mod model;
pub(crate) mod script;
pub(crate) mod steps;
pub(crate) mod summary;
mod warnings;

pub(crate) use calculate::calculate;
pub(crate) use compare::compare;
pub(crate) use expected::expected;
pub(crate) use introspect::{Introspected, introspect, settle_predicates};
pub use located::Difference;
pub(crate) use located::{Creators, Sides, differences};
pub(crate) use model::SqlSchema;
pub(crate) use script::{Naming, migration_file, script, with_warnings};
pub(crate) use summary::summary;
pub(crate) use warnings::warnings;
