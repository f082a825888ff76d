//! PostgreSQL beyond a session: throwaway clusters from this machine's `initdb`/`postgres`,
//! PostgreSQL containers on a Docker engine, and the client programs (`psql`, `pg_dump`).

mod client;
mod docker;
mod local_cluster;

pub use client::{ClientEnv, client_command, client_env, find_binary};
pub use docker::{PostgresContainer, engine_available, image_present, sweep as sweep_containers};
pub use local_cluster::{LocalCluster, Template};
