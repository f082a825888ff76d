//! Where `verify` gets a throwaway database for each service: a local cluster copied from a
//! template, a container (docker), or a scratch database on a given server (url). One trait,
//! [`Backend`], is the seam; [`choose_backend`] picks one.

use std::time::{Duration, Instant};

use crate::cleanup;
use crate::config::VerifyConfig;
use crate::db::{self, DatabaseUrl, quote_ident};
use crate::error::Error;
use crate::pg_tools::{self, LocalCluster, PostgresContainer, Template};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackendKind {
    Auto,
    Docker,
    Local,
    Url,
}

/// A source of fresh, empty databases.
pub trait Backend: Send + Sync {
    fn name(&self) -> &'static str;
    /// A fresh database for `service`, ready (a connection succeeded).
    fn provision(&self, service: &str, config: &VerifyConfig) -> Result<Box<dyn Database>, Error>;
}

/// A throwaway database; dropping it removes it (server, container or scratch database).
pub trait Database: Send {
    fn url(&self) -> &DatabaseUrl;
    /// From asking for it to the first successful connection.
    fn ready_time(&self) -> Duration;
    /// Leaves it running after this process ends; returns how to reach and remove it.
    fn keep(self: Box<Self>) -> Result<String, Error>;
}

// --- local --------------------------------------------------------------------------------

pub struct LocalBackend {
    template: Template,
}

impl LocalBackend {
    /// initdb's a template once; each database is then a copy of it on its own server.
    pub fn new() -> Result<LocalBackend, Error> {
        Ok(LocalBackend {
            template: Template::prepare()?,
        })
    }
}

impl Backend for LocalBackend {
    fn name(&self) -> &'static str {
        "local"
    }

    fn provision(
        &self,
        _service: &str,
        _config: &VerifyConfig,
    ) -> Result<Box<dyn Database>, Error> {
        let cluster = self.template.start()?;
        let url = cluster.url("postgres");
        Ok(Box::new(LocalDatabase { cluster, url }))
    }
}

struct LocalDatabase {
    cluster: LocalCluster,
    url: DatabaseUrl,
}

impl Database for LocalDatabase {
    fn url(&self) -> &DatabaseUrl {
        &self.url
    }
    fn ready_time(&self) -> Duration {
        self.cluster.ready_time
    }
    fn keep(self: Box<Self>) -> Result<String, Error> {
        let url = self.url.clone();
        let stop = self.cluster.keep()?;
        Ok(format!("{url} (stop it with: {stop})"))
    }
}

// --- url ----------------------------------------------------------------------------------

/// Scratch databases on an existing server, dropped afterwards.
pub struct UrlBackend {
    server: DatabaseUrl,
}

impl UrlBackend {
    pub fn new(server: DatabaseUrl) -> Result<UrlBackend, Error> {
        // Fail early, with the connection error, rather than once per service.
        db::connect(&server)?;
        Ok(UrlBackend { server })
    }
}

impl Backend for UrlBackend {
    fn name(&self) -> &'static str {
        "url"
    }

    fn provision(&self, service: &str, _config: &VerifyConfig) -> Result<Box<dyn Database>, Error> {
        let start = Instant::now();
        let clean: String = service
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '_'
                }
            })
            .take(30)
            .collect();
        let name = format!(
            "xtask_verify_{clean}_{}_{}",
            std::process::id(),
            &db::ledger::new_id()[..8]
        );
        let mut admin = db::connect(&self.server)?;
        admin
            .batch_execute(&format!(
                "CREATE DATABASE {} TEMPLATE template0",
                quote_ident(&name)
            ))
            .map_err(|e| Error::database(format!("creating scratch database `{name}`"), &e))?;
        let url = self.server.with_dbname(&name);
        let server = self.server.clone();
        let dropped = name.clone();
        let guard = cleanup::register(move || drop_database(&server, &dropped));
        db::connect(&url)?;
        Ok(Box::new(ScratchDatabase {
            server: self.server.clone(),
            name,
            url,
            ready: start.elapsed(),
            guard: Some(guard),
        }))
    }
}

fn drop_database(server: &DatabaseUrl, name: &str) {
    if let Ok(mut c) = db::connect(server) {
        // WITH (FORCE) ends sessions a test left open (PostgreSQL 13+).
        let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", quote_ident(name));
        if c.batch_execute(&sql).is_err() {
            let _ = c.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1",
                &[&name],
            );
            let _ = c.batch_execute(&format!("DROP DATABASE IF EXISTS {}", quote_ident(name)));
        }
    }
}

struct ScratchDatabase {
    server: DatabaseUrl,
    name: String,
    url: DatabaseUrl,
    ready: Duration,
    guard: Option<cleanup::Guard>,
}

impl Database for ScratchDatabase {
    fn url(&self) -> &DatabaseUrl {
        &self.url
    }
    fn ready_time(&self) -> Duration {
        self.ready
    }
    fn keep(mut self: Box<Self>) -> Result<String, Error> {
        self.guard.take();
        let msg = format!(
            "{} (remove it with: DROP DATABASE {};)",
            self.url,
            quote_ident(&self.name)
        );
        self.name.clear();
        Ok(msg)
    }
}

impl Drop for ScratchDatabase {
    fn drop(&mut self) {
        if !self.name.is_empty() {
            drop_database(&self.server, &self.name);
        }
        self.guard.take();
    }
}

// --- docker -------------------------------------------------------------------------------

/// A container per service.
pub struct DockerBackend {
    /// `--image`: overrides every service's configured image.
    image_override: Option<String>,
}

impl DockerBackend {
    pub fn new(image_override: Option<String>) -> Result<DockerBackend, Error> {
        if !pg_tools::engine_available() {
            return Err(Error::Config(
                "no Docker engine answers (`docker version` failed): start dockerd, or use --backend local".into(),
            ));
        }
        pg_tools::sweep_containers();
        Ok(DockerBackend { image_override })
    }
}

impl Backend for DockerBackend {
    fn name(&self) -> &'static str {
        "docker"
    }

    fn provision(&self, service: &str, config: &VerifyConfig) -> Result<Box<dyn Database>, Error> {
        let image = self.image_override.as_deref().unwrap_or(&config.image);
        Ok(Box::new(PostgresContainer::start(image, service)?))
    }
}

impl Database for PostgresContainer {
    fn url(&self) -> &DatabaseUrl {
        PostgresContainer::url(self)
    }
    fn ready_time(&self) -> Duration {
        PostgresContainer::ready_time(self)
    }
    fn keep(self: Box<Self>) -> Result<String, Error> {
        Ok(PostgresContainer::keep(*self))
    }
}

/// The backend `kind` names. `auto`: docker if an engine answers and `image` is present, else
/// local, else an error explaining each option.
pub fn choose_backend(
    kind: BackendKind,
    url: Option<&str>,
    image: &str,
    image_override: Option<String>,
) -> Result<Box<dyn Backend>, Error> {
    match kind {
        BackendKind::Local => Ok(Box::new(LocalBackend::new()?)),
        BackendKind::Docker => Ok(Box::new(DockerBackend::new(image_override)?)),
        BackendKind::Url => {
            let text = url.ok_or_else(|| {
                Error::Config("--backend url needs --database-url URL (a server where scratch databases may be created)".into())
            })?;
            let invalid = |reason| Error::InvalidUrl {
                url: db::redact(text),
                origin: "--database-url".into(),
                reason,
            };
            let mut server = DatabaseUrl::parse(text).map_err(invalid)?;
            // A flag's certificate paths are relative to where the command runs.
            let cwd = std::env::current_dir().unwrap_or_default();
            server
                .complete(&|k| std::env::var(k).ok(), &cwd)
                .map_err(invalid)?;
            Ok(Box::new(UrlBackend::new(server)?))
        }
        BackendKind::Auto => {
            let docker = if !pg_tools::engine_available() {
                "no Docker engine answers".to_string()
            } else if !pg_tools::image_present(image) {
                format!(
                    "the engine answers but image `{image}` is not present (docker pull {image}, or build one with ci/postgres-image/build.sh and pass --image)"
                )
            } else {
                return Ok(Box::new(DockerBackend::new(image_override)?));
            };
            match LocalBackend::new() {
                Ok(b) => Ok(Box::new(b)),
                Err(local) => Err(Error::Config(format!(
                    "no backend for throwaway databases:\n  docker: {docker}\n  local: {local}\n  url: pass --backend url --database-url URL of a server where scratch databases may be created"
                ))),
            }
        }
    }
}
