//! Test support (feature `testing`): one throwaway cluster per test process, a fresh database
//! per test, and temporary monorepos to put migrations in.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

use crate::db::DatabaseUrl;
use crate::pg_tools::{LocalCluster, Template};
use crate::workspace::{Service, Workspace};

struct Shared {
    cluster: LocalCluster,
    _template: Template,
}

static SHARED: OnceLock<Mutex<Option<Shared>>> = OnceLock::new();

extern "C" fn stop_shared() {
    if let Some(lock) = SHARED.get()
        && let Ok(mut guard) = lock.lock()
    {
        // Dropping stops the server and removes its directory and the template's.
        guard.take();
    }
}

/// The process-wide test cluster, started on first use and stopped at process exit.
pub fn with_cluster<T>(f: impl FnOnce(&LocalCluster) -> T) -> T {
    let lock = SHARED.get_or_init(|| {
        let (cluster, template) =
            LocalCluster::start().unwrap_or_else(|e| panic!("test cluster: {e}"));
        // SAFETY: registering a plain extern "C" function.
        unsafe { libc::atexit(stop_shared) };
        Mutex::new(Some(Shared {
            cluster,
            _template: template,
        }))
    });
    let guard = lock.lock().unwrap_or_else(|p| p.into_inner());
    f(&guard.as_ref().expect("cluster running").cluster)
}

/// A new, empty database on the test cluster.
pub fn fresh_database(prefix: &str) -> DatabaseUrl {
    static N: AtomicUsize = AtomicUsize::new(0);
    let name = format!(
        "{prefix}_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    );
    with_cluster(|c| c.create_database(&name)).unwrap_or_else(|e| panic!("{e}"))
}

/// A temporary monorepo: `services/<svc>/prisma/migrations/...`.
pub struct TempRepo {
    pub dir: tempfile::TempDir,
}

impl Default for TempRepo {
    fn default() -> Self {
        Self::new()
    }
}

impl TempRepo {
    pub fn new() -> TempRepo {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir(dir.path().join("services")).expect("services dir");
        TempRepo { dir }
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    pub fn workspace(&self) -> Workspace {
        Workspace::new(self.root())
    }

    /// Adds (or overwrites) a migration and returns its `migration.sql` path.
    pub fn migration(&self, service: &str, name: &str, sql: &str) -> PathBuf {
        let dir = self
            .root()
            .join("services")
            .join(service)
            .join("prisma/migrations")
            .join(name);
        std::fs::create_dir_all(&dir).expect("migration dir");
        let path = dir.join("migration.sql");
        std::fs::write(&path, sql).expect("write migration");
        path
    }

    pub fn service(&self, name: &str) -> Service {
        let dir = self.root().join("services").join(name);
        std::fs::create_dir_all(dir.join("prisma/migrations")).expect("service dir");
        Service::new(name, dir).expect("service layout")
    }

    /// Copies an example service of this repository into the temp repo.
    pub fn copy_example(&self, name: &str) -> Service {
        let from = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../services")
            .join(name);
        let to = self.root().join("services").join(name);
        let status = std::process::Command::new("cp")
            .arg("-a")
            .arg(&from)
            .arg(&to)
            .status()
            .expect("cp");
        assert!(status.success());
        Service::new(name, to).expect("service layout")
    }
}
