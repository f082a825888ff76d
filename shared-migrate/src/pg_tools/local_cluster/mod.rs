//! A throwaway PostgreSQL cluster from the `initdb`/`postgres` binaries of this machine.
//!
//! A [`Template`] is `initdb`'d once (~0.5 s); each [`LocalCluster`] is a copy of it (~0.1 s on
//! tmpfs) started on a free 127.0.0.1 port and a private socket directory. When run as root,
//! the server runs as the `postgres` OS user (PostgreSQL refuses root). Everything lives in
//! a temporary directory (on /dev/shm when there is one) that is removed on drop. Servers get
//! a parent-death signal, so a killed owner does not leave them running; directories left by a
//! killed owner are swept by the next [`Template::prepare`].

use std::io;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

mod template;

pub use template::Template;
use template::copy_dir;

use crate::db::{self, DatabaseUrl};
use crate::error::Error;

const PREFIX: &str = "xtask-pg-";

/// Server settings of every throwaway cluster (started directly, or kept through pg_ctl):
/// durability off, the data is thrown away.
const SERVER_SETTINGS: &[&str] = &[
    "listen_addresses=127.0.0.1",
    "fsync=off",
    "synchronous_commit=off",
    "full_page_writes=off",
    "autovacuum=off",
    // No replication: tables created and filled in one transaction skip the WAL.
    "wal_level=minimal",
    "max_wal_senders=0",
    "max_connections=200",
    "shared_buffers=32MB",
];

/// The OS user the server runs as: `postgres` when we are root, else ourselves.
#[derive(Debug, Clone, Copy)]
struct RunAs {
    uid: u32,
    gid: u32,
}

fn run_as() -> Result<Option<RunAs>, Error> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return Ok(None);
    }
    let name = c"postgres";
    // SAFETY: getpwnam returns a pointer to static storage or null; read at once.
    let pw = unsafe { libc::getpwnam(name.as_ptr()) };
    if pw.is_null() {
        return Err(Error::Cluster(
            "running as root, and PostgreSQL refuses to run as root, but there is no `postgres` OS user: create one (`useradd postgres`) or run as another user".into(),
        ));
    }
    // SAFETY: pw is non-null and points to a valid passwd record.
    let (uid, gid) = unsafe { ((*pw).pw_uid, (*pw).pw_gid) };
    Ok(Some(RunAs { uid, gid }))
}

/// Where clusters live: /dev/shm (RAM) when writable, else the temp directory.
fn base_dir() -> PathBuf {
    let shm = Path::new("/dev/shm");
    if shm.is_dir()
        && tempfile::Builder::new()
            .prefix(".xtask-probe")
            .tempdir_in(shm)
            .is_ok()
    {
        shm.to_path_buf()
    } else {
        std::env::temp_dir()
    }
}

fn private_dir(
    base: &Path,
    prefix: &str,
    run_as: Option<RunAs>,
) -> Result<tempfile::TempDir, Error> {
    let dir = tempfile::Builder::new()
        .prefix(prefix)
        .tempdir_in(base)
        .map_err(|e| Error::io(base, e))?;
    std::fs::write(dir.path().join("owner.pid"), std::process::id().to_string())
        .map_err(|e| Error::io(dir.path(), e))?;
    if let Some(r) = run_as {
        std::os::unix::fs::chown(dir.path(), Some(r.uid), Some(r.gid))
            .map_err(|e| Error::io(dir.path(), e))?;
    }
    Ok(dir)
}

fn process_exists(pid: i32) -> bool {
    // SAFETY: signal 0 only checks that the process exists.
    let r = unsafe { libc::kill(pid, 0) };
    r == 0 || io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
}

/// Removes cluster directories whose owning process is gone (it was killed).
fn sweep(base: &Path) {
    let Ok(entries) = std::fs::read_dir(base) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name();
        if !name.to_string_lossy().starts_with(PREFIX) {
            continue;
        }
        let owner = std::fs::read_to_string(e.path().join("owner.pid"))
            .ok()
            .and_then(|s| s.trim().parse::<i32>().ok());
        if let Some(pid) = owner
            && !process_exists(pid)
        {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

impl Template {
    /// Starts a new cluster from a copy of this template.
    pub fn start(&self) -> Result<LocalCluster, Error> {
        let started = Instant::now();
        let dir = private_dir(&self.base, PREFIX, self.run_as)?;
        let data = dir.path().join("data");
        copy_dir(&self.data, &data)?;
        let mut last_error = String::new();
        // A free port can be taken between our probe and the server's bind: try a few.
        for _ in 0..5 {
            let port = free_port().map_err(|e| Error::Cluster(format!("no free port: {e}")))?;
            match spawn_server(&self.postgres, dir.path(), &data, port, self.run_as) {
                Ok(child) => {
                    let guard = server_guard(&child, dir.path());
                    let cluster = LocalCluster {
                        child: Some(child),
                        port,
                        dir: Some(dir),
                        ready_time: Duration::ZERO,
                        run_as: self.run_as,
                        postgres: self.postgres.clone(),
                        _guard: Some(guard),
                    };
                    return cluster.wait_ready(started);
                }
                Err(e) => last_error = e,
            }
        }
        Err(Error::Cluster(format!(
            "PostgreSQL did not start: {last_error}"
        )))
    }
}

/// On Ctrl-C: stops the server and removes its directory.
fn server_guard(server: &Child, dir: &Path) -> crate::cleanup::Guard {
    let pid = server.id() as i32;
    let path = dir.to_path_buf();
    crate::cleanup::register(move || {
        // SAFETY: signalling the server we started.
        unsafe { libc::kill(pid, libc::SIGQUIT) };
        std::thread::sleep(Duration::from_millis(50));
        let _ = std::fs::remove_dir_all(&path);
    })
}

fn free_port() -> io::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

fn spawn_server(
    postgres: &Path,
    dir: &Path,
    data: &Path,
    port: u16,
    run_as: Option<RunAs>,
) -> Result<Child, String> {
    let log = std::fs::File::create(dir.join("postgres.log")).map_err(|e| e.to_string())?;
    if let Some(r) = run_as {
        let _ = std::os::unix::fs::chown(dir.join("postgres.log"), Some(r.uid), Some(r.gid));
    }
    let mut cmd = crate::process::command(postgres);
    cmd.arg("-D")
        .arg(data)
        .arg("-k")
        .arg(dir)
        .arg("-p")
        .arg(port.to_string())
        .args(SERVER_SETTINGS.iter().flat_map(|setting| ["-c", setting]))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .env("LC_ALL", "C");
    if let Some(r) = run_as {
        cmd.uid(r.uid).gid(r.gid);
    }
    // SAFETY: prctl and getppid are async-signal-safe. The closure runs after the uid change
    // (which would clear the death signal), just before exec.
    unsafe {
        let parent = libc::getpid();
        cmd.pre_exec(move || {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGQUIT);
            if libc::getppid() != parent {
                libc::raise(libc::SIGQUIT);
            }
            Ok(())
        });
    }
    spawn_from_keeper(cmd).map_err(|e| format!("cannot run {}: {e}", postgres.display()))
}

/// The parent-death signal fires when the *thread* that spawned the child ends. Spawning from
/// one thread that lives as long as the process ties servers to the process instead.
fn spawn_from_keeper(cmd: Command) -> io::Result<Child> {
    type Request = (Command, mpsc::Sender<io::Result<Child>>);
    static KEEPER: OnceLock<Mutex<mpsc::Sender<Request>>> = OnceLock::new();
    let sender = KEEPER.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<Request>();
        std::thread::Builder::new()
            .name("pg-keeper".into())
            .spawn(move || {
                for (mut cmd, reply) in rx {
                    let _ = reply.send(cmd.spawn());
                }
                // The channel never closes (the sender is static): park forever.
                loop {
                    std::thread::park();
                }
            })
            .expect("spawn keeper thread");
        Mutex::new(tx)
    });
    let (reply_tx, reply_rx) = mpsc::channel();
    sender
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .send((cmd, reply_tx))
        .map_err(|_| io::Error::other("keeper thread gone"))?;
    reply_rx
        .recv()
        .map_err(|_| io::Error::other("keeper thread gone"))?
}

/// A running throwaway server. Stopped and deleted on drop.
pub struct LocalCluster {
    child: Option<Child>,
    port: u16,
    dir: Option<tempfile::TempDir>,
    /// From the start of the copy to the first successful connection.
    pub ready_time: Duration,
    run_as: Option<RunAs>,
    postgres: PathBuf,
    _guard: Option<crate::cleanup::Guard>,
}

impl LocalCluster {
    /// Prepares a template and starts one cluster from it.
    pub fn start() -> Result<(LocalCluster, Template), Error> {
        let template = Template::prepare()?;
        let cluster = template.start()?;
        Ok((cluster, template))
    }

    /// The TCP port it listens on (127.0.0.1).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The directory holding the data directory, the socket and the server log.
    pub fn dir(&self) -> &Path {
        self.dir.as_ref().expect("cluster dir").path()
    }

    /// The URL of `dbname` on this server (user `postgres`, trust authentication).
    pub fn url(&self, dbname: &str) -> DatabaseUrl {
        DatabaseUrl::parse(&format!(
            "postgresql://postgres@127.0.0.1:{}/{dbname}",
            self.port
        ))
        .expect("valid url")
    }

    /// The URL of `dbname` through the server's Unix socket (pg_hba.conf's `local` lines).
    pub fn socket_url(&self, dbname: &str) -> DatabaseUrl {
        DatabaseUrl::parse(&format!(
            "postgresql://postgres@localhost:{}/{dbname}?host={}",
            self.port,
            self.dir().display()
        ))
        .expect("valid url")
    }

    /// Turns TLS on with `pki`'s server certificate (client certificates are checked against
    /// its CA) and replaces pg_hba.conf with `hba`; both take effect for new connections.
    pub fn enable_tls(&self, pki: &super::Pki, hba: &str) -> Result<(), Error> {
        let fail = |e: String| Error::Cluster(format!("enabling TLS: {e}"));
        let owned = |name: &str, from: &Path, mode: u32| -> Result<PathBuf, Error> {
            use std::os::unix::fs::PermissionsExt;
            let to = self.dir().join(name);
            std::fs::copy(from, &to).map_err(|e| fail(format!("{}: {e}", to.display())))?;
            std::fs::set_permissions(&to, std::fs::Permissions::from_mode(mode))
                .map_err(|e| fail(e.to_string()))?;
            if let Some(r) = self.run_as {
                std::os::unix::fs::chown(&to, Some(r.uid), Some(r.gid))
                    .map_err(|e| fail(e.to_string()))?;
            }
            Ok(to)
        };
        let cert = owned("server.crt", &pki.server_cert, 0o644)?;
        let key = owned("server.key", &pki.server_key, 0o600)?;
        let ca = owned("root.crt", &pki.ca, 0o644)?;
        std::fs::write(self.dir().join("data/pg_hba.conf"), hba)
            .map_err(|e| fail(format!("pg_hba.conf: {e}")))?;
        let mut admin = db::connect(&self.socket_url("postgres"))?;
        let literal = |p: &Path| p.display().to_string().replace('\'', "''");
        for setting in [
            "ssl = on".to_string(),
            format!("ssl_cert_file = '{}'", literal(&cert)),
            format!("ssl_key_file = '{}'", literal(&key)),
            format!("ssl_ca_file = '{}'", literal(&ca)),
        ] {
            admin
                .batch_execute(&format!("ALTER SYSTEM SET {setting}"))
                .map_err(|e| Error::database("enabling TLS", &e))?;
        }
        admin
            .batch_execute("SELECT pg_reload_conf()")
            .map_err(|e| Error::database("reloading the configuration", &e))?;
        // The postmaster rereads its files asynchronously: wait until a new session sees it.
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let on = db::connect(&self.socket_url("postgres"))
                .ok()
                .and_then(|mut c| c.query_one("SHOW ssl", &[]).ok())
                .is_some_and(|row| row.get::<_, String>(0) == "on");
            if on {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(fail(format!("ssl is still off: {}", self.log().trim())));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Creates a database (from template0) and returns its URL.
    pub fn create_database(&self, dbname: &str) -> Result<DatabaseUrl, Error> {
        let mut client = db::connect(&self.url("postgres"))?;
        // FILE_COPY (PostgreSQL 15+): copying template0's files is a third of the time of
        // logging every block, and its checkpoints are cheap without fsync (SERVER_SETTINGS).
        let strategy = if db::server_version(&mut client) >= 150000 {
            " STRATEGY FILE_COPY"
        } else {
            ""
        };
        client
            .batch_execute(&format!(
                "CREATE DATABASE {} TEMPLATE template0{strategy}",
                db::quote_ident(dbname)
            ))
            .map_err(|e| Error::database(format!("creating database `{dbname}`"), &e))?;
        Ok(self.url(dbname))
    }

    /// The server's log so far, for error messages.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir().join("postgres.log")).unwrap_or_default()
    }

    /// Stops the server with `pg_ctl stop -m <mode>`, keeping the data directory (`immediate`
    /// is a crash as far as the data is concerned: the next start recovers from the WAL).
    pub fn pg_ctl_stop(&mut self, mode: &str) -> Result<(), Error> {
        let pg_ctl = self.postgres.with_file_name("pg_ctl");
        let mut cmd = crate::process::command(&pg_ctl);
        cmd.args(["stop", "-w", "-m", mode, "-D"])
            .arg(self.dir().join("data"))
            .stdin(Stdio::null());
        if let Some(r) = self.run_as {
            cmd.uid(r.uid).gid(r.gid);
        }
        let out = cmd
            .output()
            .map_err(|e| Error::Cluster(format!("cannot run {}: {e}", pg_ctl.display())))?;
        if let Some(mut child) = self.child.take() {
            let _ = child.wait();
        }
        if out.status.success() {
            Ok(())
        } else {
            Err(Error::Cluster(format!(
                "pg_ctl stop -m {mode} failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            )))
        }
    }

    /// Starts the server again on the same port and data directory after [`Self::pg_ctl_stop`].
    pub fn restart(&mut self) -> Result<(), Error> {
        let started = Instant::now();
        let child = spawn_server(
            &self.postgres,
            self.dir(),
            &self.dir().join("data"),
            self.port,
            self.run_as,
        )
        .map_err(Error::Cluster)?;
        self._guard = Some(server_guard(&child, self.dir()));
        self.child = Some(child);
        self.wait_until_ready(started)
    }

    fn wait_ready(mut self, started: Instant) -> Result<LocalCluster, Error> {
        self.wait_until_ready(started)?;
        Ok(self)
    }

    fn wait_until_ready(&mut self, started: Instant) -> Result<(), Error> {
        let deadline = Instant::now() + Duration::from_secs(30);
        let pid_file = self.dir().join("data").join("postmaster.pid");
        loop {
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                let log = self.log();
                self.child = None;
                return Err(Error::Cluster(format!(
                    "postgres exited ({status}): {}",
                    log.trim()
                )));
            }
            // Line 8 of postmaster.pid says "ready" once connections are accepted; then prove
            // it with a real connection.
            let ready = std::fs::read_to_string(&pid_file)
                .map(|s| s.lines().nth(7).is_some_and(|l| l.trim() == "ready"))
                .unwrap_or(false);
            if ready && db::connect(&self.url("postgres")).is_ok() {
                self.ready_time = started.elapsed();
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(Error::Cluster(format!(
                    "postgres did not accept connections within 30 s: {}",
                    self.log().trim()
                )));
            }
            std::thread::sleep(Duration::from_millis(3));
        }
    }

    /// Leaves the cluster running after this process ends: the server is restarted detached
    /// (through pg_ctl, without the parent-death signal) on the same port, and the directory is
    /// kept. Returns the command that stops and removes it.
    pub fn keep(mut self) -> Result<String, Error> {
        if let Some(mut child) = self.child.take() {
            // SAFETY: signalling our own child; SIGINT is a fast, clean shutdown.
            unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
            let _ = child.wait();
        }
        let dir = self.dir.take().expect("cluster dir").keep();
        let data = dir.join("data");
        let pg_ctl = self.postgres.with_file_name("pg_ctl");
        let mut cmd = crate::process::command(&pg_ctl);
        cmd.arg("start")
            .arg("-w")
            .arg("-D")
            .arg(&data)
            .arg("-l")
            .arg(dir.join("postgres.log"))
            .arg("-o")
            .arg(format!(
                "-p {} -k {} -c {}",
                self.port,
                dir.display(),
                SERVER_SETTINGS.join(" -c ")
            ));
        cmd.stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        if let Some(r) = self.run_as {
            cmd.uid(r.uid).gid(r.gid);
        }
        let out = cmd
            .output()
            .map_err(|e| Error::Cluster(format!("cannot run {}: {e}", pg_ctl.display())))?;
        if !out.status.success() {
            return Err(Error::Cluster(format!(
                "restarting the kept cluster failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            )));
        }
        // The directory now belongs to the detached server, not to us: other runs sweep
        // directories whose owner is gone, and we are about to exit.
        if let Some(pid) = std::fs::read_to_string(data.join("postmaster.pid"))
            .ok()
            .and_then(|s| s.lines().next().map(str::to_string))
        {
            std::fs::write(dir.join("owner.pid"), pid).map_err(|e| Error::io(&dir, e))?;
        }
        self._guard.take();
        Ok(self.stop_command_in(&dir))
    }

    /// The command that stops this server and removes its directory once kept
    /// ([`Self::keep`] returns the same).
    pub fn stop_command(&self) -> String {
        self.stop_command_in(self.dir())
    }

    fn stop_command_in(&self, dir: &Path) -> String {
        let as_user = if self.run_as.is_some() {
            "runuser -u postgres -- "
        } else {
            ""
        };
        format!(
            "{as_user}{} stop -m fast -D {} && rm -rf {}",
            self.postgres.with_file_name("pg_ctl").display(),
            dir.join("data").display(),
            dir.display()
        )
    }

    /// Stops the server (immediate shutdown: the data is thrown away) and deletes the directory.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            // SAFETY: signalling our own child by pid.
            unsafe {
                libc::kill(child.id() as i32, libc::SIGQUIT);
            }
            let _ = child.wait();
        }
        if let Some(dir) = self.dir.take() {
            let _ = dir.close();
        }
        self._guard.take();
    }
}

impl Drop for LocalCluster {
    fn drop(&mut self) {
        self.stop();
    }
}

impl std::fmt::Debug for LocalCluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "LocalCluster(127.0.0.1:{})", self.port)
    }
}
