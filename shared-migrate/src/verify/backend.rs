//! Where `verify` gets a throwaway database for each service: on a local cluster copied from a
//! template, in a container (docker), or on a given server (url). With database isolation
//! (the default) one server per run holds every service's scratch database; with cluster
//! isolation each service gets a server of its own. One trait, [`Backend`], is the seam;
//! [`choose_backend`] picks one.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::scratch::{ScratchDatabase, SharedServer};
use crate::config::{Isolation, VerifyConfig};
use crate::db::{self, DatabaseUrl};
use crate::error::Error;
use crate::pg_tools::{self, LocalCluster, PostgresContainer, Template};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
/// Where verify's throwaway databases come from.
pub enum BackendKind {
    /// Docker when an engine answers, else local binaries.
    Auto,
    /// A container per cluster on a Docker engine.
    Docker,
    /// A throwaway cluster from this machine's `initdb` and `postgres`.
    Local,
    /// Scratch databases on a server the user names.
    Url,
}

/// A source of fresh, empty databases.
pub trait Backend: Send + Sync {
    /// The backend's name in output.
    fn name(&self) -> &'static str;
    /// The isolation a service that asks for `wanted` gets.
    fn isolation(&self, wanted: Isolation) -> Isolation {
        wanted
    }
    /// A fresh database for `service`, ready (a connection succeeded).
    fn provision(&self, service: &str, config: &VerifyConfig) -> Result<Box<dyn Database>, Error>;
    /// What a replay's result depends on besides the migrations: the server's build (so a
    /// schema read from one of its databases can be kept and reused). None: not known without
    /// connecting (a given server), so nothing is kept.
    fn identity(&self, _config: &VerifyConfig) -> Option<String> {
        None
    }
}

/// A throwaway database; dropping it removes it (server, container or scratch database).
pub trait Database: Send {
    fn url(&self) -> &DatabaseUrl;
    /// From asking for it to the first successful connection.
    fn ready_time(&self) -> Duration;
    /// Leaves it running after this process ends; returns how to reach and remove it.
    fn keep(self: Box<Self>) -> Result<String, Error>;
}

// --- shared servers (database isolation) --------------------------------------------------

/// Started on first use, then shared by the services that isolate by database.
#[derive(Default)]
struct Lazy(Mutex<Option<Arc<SharedServer>>>);

impl Lazy {
    fn get(
        &self,
        start: impl FnOnce() -> Result<Arc<SharedServer>, Error>,
    ) -> Result<Arc<SharedServer>, Error> {
        let mut slot = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(server) = &*slot {
            return Ok(server.clone());
        }
        let server = start()?;
        *slot = Some(server.clone());
        Ok(server)
    }
}

// --- local --------------------------------------------------------------------------------

pub(super) struct LocalBackend {
    template: Template,
    shared: Lazy,
}

impl LocalBackend {
    /// initdb's a template once (or finds it in `cache`, kept between runs); each service then
    /// gets a database on one shared server, or a server of its own copied from the template.
    pub(super) fn new(cache: Option<&Path>) -> Result<LocalBackend, Error> {
        let template = match cache {
            Some(dir) => Template::cached(dir)?,
            None => Template::prepare()?,
        };
        Ok(LocalBackend {
            template,
            shared: Lazy::default(),
        })
    }
}

impl Backend for LocalBackend {
    fn name(&self) -> &'static str {
        "local"
    }

    /// The server binary: its path, size and time (an upgrade changes them).
    fn identity(&self, _config: &VerifyConfig) -> Option<String> {
        let postgres = pg_tools::find_binary("postgres")?;
        let meta = std::fs::metadata(&postgres).ok()?;
        let time = meta
            .modified()
            .ok()?
            .duration_since(std::time::UNIX_EPOCH)
            .ok()?;
        Some(format!(
            "local {} {} {}",
            postgres.display(),
            meta.len(),
            time.as_nanos()
        ))
    }

    fn provision(&self, _service: &str, config: &VerifyConfig) -> Result<Box<dyn Database>, Error> {
        if config.isolation == Isolation::Database {
            let server = self.shared.get(|| {
                let cluster = self.template.start()?;
                SharedServer::new(cluster.url("postgres"), Box::new(cluster))
            })?;
            return ScratchDatabase::on_own(server);
        }
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
    /// Also drops what earlier runs of this tool left on the server (killed before they could
    /// clean up) once older than `sweep_after`: see [`super::scratch::sweep_leftovers`].
    pub fn new(server: DatabaseUrl, sweep_after: Duration) -> Result<UrlBackend, Error> {
        // Fail early, with the connection error, rather than once per service.
        db::connect(&server)?;
        let swept = super::scratch::sweep_leftovers(&server, sweep_after)?;
        if !swept.is_empty() {
            eprintln!(
                "dropped {} left by earlier runs on {server}: {}",
                crate::text::plural(swept.len(), "scratch database"),
                swept.join(", ")
            );
        }
        Ok(UrlBackend { server })
    }
}

/// How old a scratch database of an earlier run must be before `--backend url` drops it.
pub const SWEEP_AFTER: Duration = Duration::from_secs(3600);

impl Backend for UrlBackend {
    fn name(&self) -> &'static str {
        "url"
    }

    /// The server is not ours: a database of its own is all it can give.
    fn isolation(&self, _wanted: Isolation) -> Isolation {
        Isolation::Database
    }

    /// Always a database of its own: the server is not ours to isolate by cluster.
    fn provision(&self, service: &str, _config: &VerifyConfig) -> Result<Box<dyn Database>, Error> {
        ScratchDatabase::on(&self.server, service)
    }
}

// --- docker -------------------------------------------------------------------------------

/// A container per image shared by the services that isolate by database; a container of its
/// own for each service that isolates by cluster.
pub(super) struct DockerBackend {
    /// `--image`: overrides every service's configured image.
    image_override: Option<String>,
    shared: Mutex<HashMap<String, Arc<Lazy>>>,
}

impl DockerBackend {
    pub(super) fn new(image_override: Option<String>) -> Result<DockerBackend, Error> {
        if !pg_tools::engine_available() {
            return Err(Error::Config(
                "no Docker engine answers (`docker version` failed): start dockerd, or use --backend local".into(),
            ));
        }
        pg_tools::sweep_containers();
        Ok(DockerBackend {
            image_override,
            shared: Mutex::default(),
        })
    }
}

impl Backend for DockerBackend {
    fn name(&self) -> &'static str {
        "docker"
    }

    /// The image, by name.
    fn identity(&self, config: &VerifyConfig) -> Option<String> {
        let image = self.image_override.as_deref().unwrap_or(&config.image);
        Some(format!("docker {image}"))
    }

    fn provision(&self, service: &str, config: &VerifyConfig) -> Result<Box<dyn Database>, Error> {
        let image = self.image_override.as_deref().unwrap_or(&config.image);
        if config.isolation == Isolation::Database {
            // One lazily started container per image; services of other images do not wait.
            let lazy = self
                .shared
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .entry(image.to_string())
                .or_default()
                .clone();
            let server = lazy.get(|| {
                let container = PostgresContainer::start(image, crate::pg_tools::SHARED_CONTAINER)?;
                SharedServer::new(container.url().clone(), Box::new(container))
            })?;
            return ScratchDatabase::on_own(server);
        }
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

/// The backend `kind` names; the local backend keeps its initdb template in `template_cache`
/// between runs (none: made for this run). `auto`: docker if an engine answers and `image` is present, else
/// local, else an error explaining each option.
pub fn choose_backend(
    kind: BackendKind,
    url: Option<&str>,
    image: &str,
    image_override: Option<String>,
    template_cache: Option<&Path>,
    sweep_after: Duration,
) -> Result<Box<dyn Backend>, Error> {
    match kind {
        BackendKind::Local => Ok(Box::new(LocalBackend::new(template_cache)?)),
        BackendKind::Docker => Ok(Box::new(DockerBackend::new(image_override)?)),
        BackendKind::Url => {
            let text = url.ok_or_else(|| {
                Error::Config("--backend url needs --database-url URL (a server where scratch databases may be created)".into())
            })?;
            let invalid = |reason| db::invalid_url(text, "--database-url", reason);
            let mut server = DatabaseUrl::parse(text).map_err(invalid)?;
            // A flag's certificate paths are relative to where the command runs.
            let cwd = std::env::current_dir().unwrap_or_default();
            server
                .complete(&|k| std::env::var(k).ok(), &cwd)
                .map_err(invalid)?;
            Ok(Box::new(UrlBackend::new(server, sweep_after)?))
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
            match LocalBackend::new(template_cache) {
                Ok(b) => Ok(Box::new(b)),
                Err(local) => Err(Error::Config(format!(
                    "no backend for throwaway databases:\n  docker: {docker}\n  local: {local}\n  url: pass --backend url --database-url URL of a server where scratch databases may be created"
                ))),
            }
        }
    }
}
