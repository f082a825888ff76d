//! The commands besides `migrate` and `verify`: `status` and `resolve` read and repair the
//! ledger, `baseline` adopts an existing database, `reset` rebuilds a development schema, `new`
//! (and `new --revert`) write migration folders, `rebase` renames a branch's migrations after
//! the base branch's, `lint` checks them with their configuration.

mod baseline;
mod lint;
mod new;
mod rebase;
mod reset;
mod resolve;
mod revert;
mod status;

pub use baseline::{baseline, baseline_preview};
pub use lint::{Accepted, accept_history, lint_services};
pub use new::{new_migration, new_revert};
pub use rebase::{Rebased, rebase};
pub use reset::{Reset, Seeded, check_local, check_reset_allowed, reset, run_seed};
pub use resolve::{Resolution, resolve};
pub use revert::create_revert;
pub(crate) use revert::reverse;
pub use status::{FailedMigration, ServiceStatus, State, status_service};
