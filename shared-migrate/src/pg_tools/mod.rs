//! PostgreSQL beyond a session: throwaway clusters from this machine's `initdb`/`postgres`
//! (with TLS and throwaway certificates when asked), PostgreSQL containers on a Docker engine,
//! and the client programs (`psql`, `pg_dump`).

mod certs;
mod client;
mod docker;
mod local_cluster;

pub use certs::Pki;
pub use client::find_binary;
pub(crate) use client::{ClientEnv, client_command, client_env};
pub(crate) use docker::{
    PostgresContainer, SHARED as SHARED_CONTAINER, engine_available, image_present,
    sweep as sweep_containers,
};
pub use local_cluster::{LocalCluster, Template};
