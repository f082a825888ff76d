//! The integration tests of this crate, one binary (one link, one shared test cluster
//! per run): a module per subject.

mod discovery;
mod drift_kinds;
mod generated;
mod migrate;
mod production;
mod real_world;
mod template_cache;
mod tls;
mod workflows;
