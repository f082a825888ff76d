//! The integration tests of this crate, one binary (one link, one shared test cluster
//! per run): a module per subject.

mod common;

mod adoption;
mod bad_inputs;
mod bench;
mod checksum;
mod cli;
mod compat;
mod data;
mod docker;
mod drift;
mod faults;
mod hardening;
mod lint;
mod locks;
mod migration_lock;
mod plan;
mod precheck;
mod production;
mod rebase;
mod rollback;
mod secrets;
mod squash;
mod tidy;
mod verify;
mod workflows;
