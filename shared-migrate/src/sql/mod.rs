//! What a migration file says, without a database: its statements and how `migrate` runs them
//! (the [`Plan`]), what each statement does to the schema ([`analyse`]), the schema a history
//! builds when replayed ([`Catalog`]), and positions in the file for error messages.

mod analysis;
mod catalog;
mod plan;
mod position;
pub(crate) use analysis::{Action, ActionKind, Analysis, DefaultValue};

pub(crate) use analysis::analyse;
pub(crate) use catalog::Catalog;
pub(crate) use plan::{Plan, needs_parse};
pub(crate) use plan::{Statement, StatementKind};
pub(crate) use position::error_location;
