//! What a migration file says, without a database: its statements and how `migrate` runs them
//! (the [`Plan`]), what each statement does to the schema ([`analyse`]), the schema a history
//! builds when replayed ([`Catalog`]), and positions in the file for error messages.

mod analysis;
mod catalog;
mod plan;
mod position;

pub use analysis::{
    Action, ActionKind, Analysis, ColumnDef, DefaultValue, ForeignKey, analyse, normalise_ident,
    normalise_type,
};
pub use catalog::{Catalog, Index, RecordedForeignKey, Table};
pub use plan::{Plan, Refusal, Statement, StatementKind, needs_parse};
pub use position::error_location;
