//! Test support for the integration tests of both crates: one throwaway cluster per test
//! process, a fresh database per test, and temporary monorepos to put migrations in.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

use shared_migrate::{
    Backend, DatabaseUrl, DiffReport, LocalCluster, Pki, Places, Service, Source, Template,
    UrlBackend, Workspace, diff_service,
};

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

/// Throwaway databases on the test cluster, for replaying migrations.
pub fn test_backend() -> UrlBackend {
    UrlBackend::new(fresh_database("replays"), shared_migrate::SWEEP_AFTER)
        .unwrap_or_else(|e| panic!("{e}"))
}

/// The service's migrations, replayed on `backend`, against its schema.prisma: verify's
/// check, and what `new --from-schema` writes from.
pub fn migrations_against_schema(
    ws: &Workspace,
    service: &Service,
    backend: &dyn Backend,
) -> DiffReport {
    let places = Places {
        ws,
        url: None,
        backend,
    };
    diff_service(service, Source::Migrations, Source::Schema, &places)
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
        // The examples are packages of this repository's npm workspace: their dependencies
        // (installed at its root) are found from the copy too, as Node looks upwards.
        let modules = Path::new(env!("CARGO_MANIFEST_DIR")).join("../node_modules");
        let link = self.root().join("node_modules");
        if modules.is_dir() && !link.exists() {
            let _ = std::os::unix::fs::symlink(&modules, &link);
        }
        Service::new(name, to).expect("service layout")
    }
}

/// A real PgBouncer (Debian's `pgbouncer`) in front of the test cluster, in `pool_mode`
/// (`session`, `transaction` or `statement`). Stopped on drop.
pub struct PgBouncer {
    child: std::process::Child,
    pub port: u16,
    _dir: tempfile::TempDir,
}

/// Where a [`PgBouncer`] listens and what it adds to its configuration.
pub struct BouncerOptions<'a> {
    pub listen_addr: &'a str,
    /// None: a free port.
    pub port: Option<u16>,
    /// More `[pgbouncer]` settings, one per line (e.g. `server_round_robin = 1`).
    pub extra: &'a str,
}

impl Default for BouncerOptions<'_> {
    fn default() -> Self {
        BouncerOptions {
            listen_addr: "127.0.0.1",
            port: None,
            extra: "",
        }
    }
}

impl PgBouncer {
    pub fn start(upstream_port: u16, pool_mode: &str) -> PgBouncer {
        PgBouncer::start_with(upstream_port, pool_mode, &BouncerOptions::default())
    }

    pub fn start_with(upstream_port: u16, pool_mode: &str, o: &BouncerOptions) -> PgBouncer {
        use std::os::unix::process::CommandExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let port = o.port.unwrap_or_else(|| {
            std::net::TcpListener::bind((o.listen_addr, 0))
                .and_then(|l| l.local_addr())
                .expect("free port")
                .port()
        });
        let d = dir.path().display();
        let (listen, extra) = (o.listen_addr, o.extra);
        let ini = format!(
            "[databases]\n* = host=127.0.0.1 port={upstream_port}\n\n[pgbouncer]\nlisten_addr = {listen}\nlisten_port = {port}\nunix_socket_dir =\nauth_type = trust\nauth_file = {d}/users.txt\npool_mode = {pool_mode}\ndefault_pool_size = 4\nignore_startup_parameters = extra_float_digits,options\nlogfile = {d}/pgbouncer.log\npidfile = {d}/pgbouncer.pid\nadmin_users = postgres\n{extra}\n"
        );
        std::fs::write(dir.path().join("pgbouncer.ini"), ini).expect("ini");
        std::fs::write(dir.path().join("users.txt"), "\"postgres\" \"\"\n").expect("users");
        let program = shared_migrate::find_binary("pgbouncer")
            .or_else(|| Some(PathBuf::from("/usr/sbin/pgbouncer")).filter(|p| p.is_file()))
            .expect("pgbouncer is not installed (Debian: apt-get install pgbouncer)");
        let mut cmd = std::process::Command::new(program);
        cmd.arg(dir.path().join("pgbouncer.ini"))
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        // PgBouncer refuses to run as root: run it as the server's user.
        if let Some((uid, gid)) = server_user() {
            for f in ["", "pgbouncer.ini", "users.txt"] {
                let _ = std::os::unix::fs::chown(dir.path().join(f), Some(uid), Some(gid));
            }
            cmd.uid(uid).gid(gid);
        }
        let child = cmd.spawn().expect("spawn pgbouncer");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while std::net::TcpStream::connect((o.listen_addr, port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "pgbouncer did not start: {}",
                std::fs::read_to_string(dir.path().join("pgbouncer.log")).unwrap_or_default()
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        PgBouncer {
            child,
            port,
            _dir: dir,
        }
    }
}

impl Drop for PgBouncer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The `postgres` OS user's ids when we are root (servers refuse to run as root).
fn server_user() -> Option<(u32, u32)> {
    // SAFETY: geteuid has no preconditions; getpwnam returns static storage or null.
    unsafe {
        if libc::geteuid() != 0 {
            return None;
        }
        let pw = libc::getpwnam(c"postgres".as_ptr());
        (!pw.is_null()).then(|| ((*pw).pw_uid, (*pw).pw_gid))
    }
}

/// pg_hba.conf of [`TlsServer`]: TLS only over TCP; role `certuser` must also present a client
/// certificate whose CN is its name.
pub const TLS_ONLY_HBA: &str = "\
local all all trust
hostssl all certuser 127.0.0.1/32 trust clientcert=verify-full
hostssl all certuser ::1/128 trust clientcert=verify-full
hostssl all all 127.0.0.1/32 trust
hostssl all all ::1/128 trust
";

/// A private server with `ssl = on`, certificates from a throwaway CA ([`Pki`]; the server's
/// is for `localhost` only, so `127.0.0.1` is a name mismatch) and [`TLS_ONLY_HBA`], with a
/// login role `certuser` (CREATEDB) that owns a database `app`.
pub struct TlsServer {
    pub cluster: LocalCluster,
    _template: Template,
    pub pki: Pki,
    _dir: tempfile::TempDir,
}

impl TlsServer {
    pub fn start() -> TlsServer {
        let dir = tempfile::tempdir().expect("tempdir");
        let pki = Pki::generate(&dir.path().join("pki"), &["localhost"], "certuser")
            .unwrap_or_else(|e| panic!("{e}"));
        let (cluster, template) = LocalCluster::start().unwrap_or_else(|e| panic!("{e}"));
        cluster
            .enable_tls(&pki, TLS_ONLY_HBA)
            .unwrap_or_else(|e| panic!("{e}"));
        let mut admin = shared_migrate::connect(&cluster.socket_url("postgres"))
            .unwrap_or_else(|e| panic!("{e}"));
        for sql in [
            "CREATE ROLE certuser LOGIN CREATEDB",
            "CREATE DATABASE app OWNER certuser",
        ] {
            admin
                .batch_execute(sql)
                .unwrap_or_else(|e| panic!("{sql}: {e}"));
        }
        TlsServer {
            cluster,
            _template: template,
            pki,
            _dir: dir,
        }
    }
}

/// A test that cannot run here says so: on stderr, and as a line `test: why` in the file
/// `XTASK_TEST_SKIPS` names (ci/test.sh sets it and lists the skipped tests at the end, so a
/// skip never reads as a pass). `must_run`: where the test has to run (CI), skipping fails it.
/// The test is named by its thread, which libtest names after it.
pub fn skip(why: &str, must_run: bool) {
    let thread = std::thread::current();
    let test = thread.name().unwrap_or("a test");
    assert!(!must_run, "{test} must run here, but cannot: {why}");
    eprintln!("skipped: {why}");
    if let Some(path) = std::env::var_os("XTASK_TEST_SKIPS") {
        use std::io::Write;
        let line = format!("{test}: {why}\n");
        let _ = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .and_then(|mut f| f.write_all(line.as_bytes()));
    }
}

static TEMPLATE_CACHE: OnceLock<PathBuf> = OnceLock::new();

extern "C" fn remove_template_cache() {
    if let Some(dir) = TEMPLATE_CACHE.get() {
        let _ = std::fs::remove_dir_all(dir);
    }
}

/// One initdb template cache for every command a test run starts (`XTASK_TEMPLATE_CACHE`),
/// rather than one per temporary repository: `/dev/shm/xtask-pg-templates-<pid>` (else in the
/// temporary directory), removed at exit, and marked as this process's so that a later run
/// sweeps it if this one was killed.
pub fn template_cache() -> &'static Path {
    TEMPLATE_CACHE.get_or_init(|| {
        let shm = Path::new("/dev/shm");
        let base = if shm.is_dir() {
            shm.to_path_buf()
        } else {
            std::env::temp_dir()
        };
        let dir = base.join(format!("xtask-pg-templates-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("owner.pid"), std::process::id().to_string()).unwrap();
        // SAFETY: registering a plain extern "C" function.
        unsafe { libc::atexit(remove_template_cache) };
        dir
    })
}
