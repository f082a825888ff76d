//! What an adversarial probe broke (issue 29), each through the real binary against real
//! servers: a network that stops answering, parallel first deploys, GitHub output, symbolic
//! links out of the history, passwords in messages, the environment children inherit, leaks
//! of scratch databases, shared URL variables, schemas without models, odd names.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use shared_migrate::DatabaseUrl;
use test_support::{TempRepo, fresh_database};

use crate::common;
use common::{Out, run, spawn, xtask};

fn query_i64(url: &DatabaseUrl, sql: &str) -> i64 {
    shared_migrate::connect(url)
        .unwrap()
        .query_one(sql, &[])
        .unwrap()
        .get(0)
}

fn all(out: &Out) -> String {
    format!("{}{}", out.stdout, out.stderr)
}

// --- 1. a network that stops answering --------------------------------------------------

/// A TCP proxy to `upstream` that can stop forwarding while keeping every connection open:
/// its kernel still acknowledges and answers keepalives, as a stuck middlebox does.
struct Proxy {
    port: u16,
    stalled: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
}

/// Client messages holding `pattern` are held until `count` of them wait, then all go at once
/// (to make racing requests really race).
#[derive(Clone)]
struct Gate {
    pattern: &'static [u8],
    count: usize,
    waiting: Arc<std::sync::atomic::AtomicUsize>,
}

impl Proxy {
    fn start(upstream: u16) -> Proxy {
        Proxy::start_gated(upstream, None)
    }

    fn start_gated(upstream: u16, gate: Option<Gate>) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let stalled = Arc::new(AtomicBool::new(false));
        let stop = Arc::new(AtomicBool::new(false));
        listener.set_nonblocking(true).unwrap();
        let (st, sp) = (stalled.clone(), stop.clone());
        std::thread::spawn(move || {
            while !sp.load(Ordering::SeqCst) {
                let Ok((client, _)) = listener.accept() else {
                    std::thread::sleep(Duration::from_millis(10));
                    continue;
                };
                client.set_nonblocking(false).unwrap();
                let server = TcpStream::connect(("127.0.0.1", upstream)).unwrap();
                for (from, to, gate) in [
                    (
                        client.try_clone().unwrap(),
                        server.try_clone().unwrap(),
                        gate.clone(),
                    ),
                    (server, client, None),
                ] {
                    let (st, sp) = (st.clone(), sp.clone());
                    std::thread::spawn(move || pump(from, to, &st, &sp, gate.as_ref()));
                }
            }
        });
        Proxy {
            port,
            stalled,
            stop,
        }
    }
}

fn pump(
    mut from: TcpStream,
    mut to: TcpStream,
    stalled: &AtomicBool,
    stop: &AtomicBool,
    gate: Option<&Gate>,
) {
    from.set_read_timeout(Some(Duration::from_millis(20)))
        .unwrap();
    let mut buf = [0u8; 16384];
    while !stop.load(Ordering::SeqCst) {
        if stalled.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(20));
            continue;
        }
        match from.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                if let Some(g) = gate
                    && buf[..n].windows(g.pattern.len()).any(|w| w == g.pattern)
                {
                    g.waiting.fetch_add(1, Ordering::SeqCst);
                    let start = Instant::now();
                    while g.waiting.load(Ordering::SeqCst) < g.count
                        && start.elapsed() < Duration::from_secs(20)
                    {
                        std::thread::sleep(Duration::from_millis(1));
                    }
                }
                if to.write_all(&buf[..n]).is_err() {
                    break;
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => break,
        }
    }
    let _ = to.shutdown(std::net::Shutdown::Both);
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// Waits for `child` until `limit` after `start`, then kills it: whether it finished by
/// itself, and what it printed.
fn finish_within(mut child: std::process::Child, start: Instant, limit: Duration) -> (bool, Out) {
    let pid = child.id();
    while child.try_wait().unwrap().is_none() && start.elapsed() < limit {
        std::thread::sleep(Duration::from_millis(50));
    }
    let finished = child.try_wait().unwrap().is_some();
    if !finished {
        let _ = child.kill();
    }
    let o = child.wait_with_output().unwrap();
    let out = Out {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        pid,
    };
    (finished, out)
}

/// Runs `cmd`, killing it after `limit`: (the run, how long it took).
fn run_bounded(cmd: &mut std::process::Command, limit: Duration) -> (Out, Duration) {
    let start = Instant::now();
    let (_, out) = finish_within(spawn(cmd), start, limit);
    (out, start.elapsed())
}

fn one_service_repo(sql: &[(&str, &str)]) -> TempRepo {
    let repo = TempRepo::new();
    for (name, text) in sql {
        repo.migration("svc", name, text);
    }
    repo
}

/// A history whose second migration sleeps `seconds` on the server before creating its table:
/// long enough to cut the network while it runs.
fn slow_history(seconds: &str) -> TempRepo {
    one_service_repo(&[
        ("20250101000000_init", "CREATE TABLE a (id int);\n"),
        (
            "20250102000000_slow",
            &format!("SELECT pg_sleep({seconds});\nCREATE TABLE b (id int);\n"),
        ),
    ])
}

/// Waits until [`slow_history`]'s sleep runs on the server `url` reaches.
fn wait_until_sleeping(url: &DatabaseUrl, seconds: &str) {
    let sql = format!(
        "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep({seconds})%' AND pid <> pg_backend_pid()"
    );
    common::wait_for(Duration::from_secs(10), Duration::from_millis(20), || {
        query_i64(url, &sql) > 0
    });
}

#[test]
fn a_server_that_accepts_and_never_answers_fails_within_connect_timeout() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let held = std::thread::spawn(move || {
        // Accept and hold every connection, saying nothing.
        let mut kept = Vec::new();
        listener.set_nonblocking(true).unwrap();
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(20) {
            if let Ok((s, _)) = listener.accept() {
                kept.push(s);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    });
    let repo = one_service_repo(&[("20250101000000_init", "CREATE TABLE a (id int);\n")]);
    let (out, took) = run_bounded(
        xtask(repo.root()).arg("migrate").env(
            "SVC_DATABASE_URL",
            format!("postgresql://app:pw@127.0.0.1:{port}/db?connect_timeout=2"),
        ),
        Duration::from_secs(15),
    );
    assert_eq!(out.code, 4, "{}", all(&out));
    assert!(took < Duration::from_secs(8), "took {took:?}");
    assert!(
        out.stdout
            .contains("did not complete the connection's start-up")
            && out.stdout.contains("within 2s (connect_timeout)"),
        "{}",
        all(&out)
    );
    drop(held);
}

/// The deploy's network stops forwarding while a migration runs: the deployer ends on its own
/// (`socket_timeout`), and the server ends the stranded session (`--idle-timeout`), so the
/// lock is free for the next deployer at once.
#[test]
fn a_network_that_stops_forwarding_mid_deploy_ends_the_deploy_and_frees_the_lock() {
    let db = fresh_database("stall");
    let proxy = Proxy::start(db.port);
    let repo = slow_history("1.5");
    let through = format!(
        "postgresql://postgres@127.0.0.1:{}/{}?socket_timeout=3",
        proxy.port, db.dbname
    );
    let child = spawn(
        xtask(repo.root())
            .args(["migrate", "--idle-timeout", "2s"])
            .env("SVC_DATABASE_URL", &through),
    );
    let start = Instant::now();
    // Stall once the slow migration is running on the server.
    wait_until_sleeping(&db, "1.5");
    proxy.stalled.store(true, Ordering::SeqCst);
    let (finished, out) = finish_within(child, start, Duration::from_secs(30));
    let text = all(&out);
    assert!(finished, "still running after 30 s:\n{text}");
    assert_eq!(out.code, 4, "{text}");
    assert!(text.contains("socket_timeout"), "{text}");
    // The server ends the stranded session within the idle limit: the lock is free, and the
    // slow migration rolled back whole.
    common::wait_for(Duration::from_secs(10), Duration::from_millis(50), || {
        query_i64(
            &db,
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = 72707369",
        ) == 0
    });
    let direct = run(xtask(repo.root())
        .args(["migrate", "--lock-timeout", "1s"])
        .env("SVC_DATABASE_URL", db.expose()));
    assert_eq!(direct.code, 0, "{}", all(&direct));
    assert_eq!(
        query_i64(
            &db,
            "SELECT count(*) FROM _prisma_migrations WHERE finished_at IS NOT NULL"
        ),
        2
    );
}

/// Packets to the server's port dropped on the loopback (nftables): no RST, no answer, no
/// keepalive acknowledged. Keepalives end the connection.
#[test]
fn a_firewall_dropping_the_servers_packets_ends_the_deploy() {
    // CI (ci/test.sh installs nftables, and runs as root) must run it, not skip it.
    let must_run = std::env::var_os("CI").is_some();
    let Some(nft) = which_nft() else {
        test_support::skip(
            "nft (nftables) is not installed; ci/test.sh installs it",
            must_run,
        );
        return;
    };
    // A server of its own: the rule must not cut the other tests' sessions.
    let (cluster, _template) = shared_migrate::LocalCluster::start().unwrap();
    let db = cluster.create_database("firewalled").unwrap();
    let table = format!("xtask_test_{}", std::process::id());
    let rule = Firewall::drop_port(&nft, &table, db.port);
    let Some(rule) = rule else {
        test_support::skip(
            "nftables rules cannot be added here (no CAP_NET_ADMIN?)",
            must_run,
        );
        return;
    };
    rule.set(false);
    let repo = slow_history("1");
    let url = format!(
        "postgresql://postgres@127.0.0.1:{}/firewalled?keepalives_idle=1&keepalives_interval=1&keepalives_count=2&tcp_user_timeout=3000",
        db.port
    );
    let child = spawn(
        xtask(repo.root())
            .arg("migrate")
            .env("SVC_DATABASE_URL", &url),
    );
    wait_until_sleeping(&cluster.socket_url("firewalled"), "1");
    rule.set(true);
    let start = Instant::now();
    let (finished, out) = finish_within(child, start, Duration::from_secs(30));
    drop(rule);
    let text = all(&out);
    assert!(finished, "still running 30 s after the drop rule:\n{text}");
    assert_eq!(out.code, 4, "{text}");
    assert!(text.contains("connection"), "{text}");
}

fn which_nft() -> Option<std::path::PathBuf> {
    ["/usr/sbin/nft", "/sbin/nft", "/usr/bin/nft"]
        .iter()
        .map(std::path::PathBuf::from)
        .find(|p| p.is_file())
}

/// An nftables table of our own dropping TCP packets to and from one port; removed on drop.
struct Firewall {
    nft: std::path::PathBuf,
    table: String,
    port: u16,
}

impl Firewall {
    fn drop_port(nft: &Path, table: &str, port: u16) -> Option<Firewall> {
        let ok = std::process::Command::new(nft)
            .args(["add", "table", "inet", table])
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| Firewall {
            nft: nft.to_path_buf(),
            table: table.to_string(),
            port,
        })
    }

    /// Drops (true) or passes (false) the port's packets from now on.
    fn set(&self, dropping: bool) {
        let script = if dropping {
            format!(
                "add chain inet {t} out {{ type filter hook output priority 0; }}\nadd rule inet {t} out tcp dport {p} drop\nadd rule inet {t} out tcp sport {p} drop\n",
                t = self.table,
                p = self.port
            )
        } else {
            format!("flush table inet {}\n", self.table)
        };
        let mut child = std::process::Command::new(&self.nft)
            .args(["-f", "-"])
            .stdin(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(script.as_bytes())
            .unwrap();
        assert!(child.wait().unwrap().success(), "nft -f: {script}");
    }
}

impl Drop for Firewall {
    fn drop(&mut self) {
        let _ = std::process::Command::new(&self.nft)
            .args(["delete", "table", "inet", &self.table])
            .status();
    }
}

// --- 2. parallel first deploys ----------------------------------------------------------

#[test]
fn twelve_deployers_racing_to_create_the_database_all_succeed() {
    let server = fresh_database("race_admin");
    let name = format!("race_{}", std::process::id());
    // Every deployer's CREATE DATABASE is held until all twelve are sent: they really race.
    let gate = Gate {
        pattern: b"CREATE DATABASE",
        count: 12,
        waiting: Arc::default(),
    };
    let proxy = Proxy::start_gated(server.port, Some(gate.clone()));
    let url = DatabaseUrl::parse(&format!(
        "postgresql://postgres@127.0.0.1:{}/{name}",
        proxy.port
    ))
    .unwrap();
    let repo = one_service_repo(&[
        ("20250101000000_init", "CREATE TABLE a (id int);\n"),
        ("20250102000000_more", "CREATE TABLE b (id int);\n"),
    ]);
    let children: Vec<_> = (0..12)
        .map(|_| {
            spawn(
                xtask(repo.root())
                    .args(["migrate", "--lock-timeout", "60s"])
                    .env("SVC_DATABASE_URL", url.expose()),
            )
        })
        .collect();
    for (i, child) in children.into_iter().enumerate() {
        let o = child.wait_with_output().unwrap();
        assert_eq!(
            o.status.code(),
            Some(0),
            "deployer {i}: {}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
    }
    assert_eq!(gate.waiting.load(Ordering::SeqCst), 12, "all twelve raced");
    assert_eq!(
        query_i64(
            &server.with_dbname(&name),
            "SELECT count(*) FROM _prisma_migrations"
        ),
        2,
        "each migration applied once"
    );
}

// --- 4. GitHub output ---------------------------------------------------------------------

#[test]
fn github_output_cannot_be_broken_out_of_by_a_path() {
    let outer = tempfile::tempdir().unwrap();
    let root = outer.path().join("repo\n::add-mask::leak\n::error::fake");
    std::fs::create_dir_all(root.join("services/svc/prisma/migrations/20250101000000_init"))
        .unwrap();
    std::fs::write(
        root.join("services/svc/prisma/migrations/20250101000000_init/migration.sql"),
        "CREATE TABLE \"A\" (\"id\" INTEGER NOT NULL, CONSTRAINT \"A_pkey\" PRIMARY KEY (\"id\"));\n",
    )
    .unwrap();
    std::fs::write(
        root.join("services/svc/prisma/schema.prisma"),
        "datasource db {\n  provider = \"postgresql\"\n  url = env(\"DATABASE_URL\")\n}\n\nmodel B {\n  id Int @id\n}\n",
    )
    .unwrap();
    let out = run(xtask(&root).args([
        "diff",
        "-s",
        "svc",
        "--from",
        "migrations",
        "--to",
        "schema",
        "--backend",
        "local",
        "--format",
        "github",
    ]));
    assert!(!out.stdout.is_empty(), "{}", all(&out));
    for line in out.stdout.lines() {
        assert!(line.starts_with("::error "), "a line of its own: {line:?}");
        assert!(!line.contains("\n::"), "{line:?}");
    }
    assert!(!out.stdout.contains("\n::add-mask::"), "{}", out.stdout);
    assert!(out.stdout.contains("%0A%3A%3Aadd-mask"), "{}", out.stdout);
}

// --- 5. symbolic links out of the history -------------------------------------------------

#[test]
fn symbolic_links_out_of_the_migrations_folder_are_refused_unread() {
    let secret = "Sup3r-Secret-DB-Pa55";
    type Setup<'a> = &'a dyn Fn(&TempRepo);
    let cases: [(&str, Setup); 3] = [
        ("a link to the service's .env", &|repo: &TempRepo| {
            let svc = repo.root().join("services/svc");
            std::fs::write(
                svc.join(".env"),
                format!("DATABASE_URL=postgresql://app:{secret}@db/app\n"),
            )
            .unwrap();
            let dir = svc.join("prisma/migrations/20250102000000_linked");
            std::fs::create_dir_all(&dir).unwrap();
            std::os::unix::fs::symlink(svc.join(".env"), dir.join("migration.sql")).unwrap();
        }),
        ("a link to /etc/passwd", &|repo: &TempRepo| {
            let dir = repo
                .root()
                .join("services/svc/prisma/migrations/20250102000000_linked");
            std::fs::create_dir_all(&dir).unwrap();
            std::os::unix::fs::symlink("/etc/passwd", dir.join("migration.sql")).unwrap();
        }),
        ("a folder linked outside", &|repo: &TempRepo| {
            let elsewhere = repo.root().join("elsewhere");
            std::fs::create_dir_all(&elsewhere).unwrap();
            std::fs::write(
                elsewhere.join("migration.sql"),
                "CREATE TABLE bad_outside (id int);\n",
            )
            .unwrap();
            std::os::unix::fs::symlink(
                &elsewhere,
                repo.root()
                    .join("services/svc/prisma/migrations/20250102000000_linked"),
            )
            .unwrap();
        }),
    ];
    for (what, setup) in cases {
        let repo = one_service_repo(&[("20250101000000_init", "CREATE TABLE a (id int);\n")]);
        setup(&repo);
        let db = fresh_database("links");
        for args in [&["migrate"][..], &["lint"], &["status"]] {
            let out = run(xtask(repo.root())
                .args(args)
                .env("SVC_DATABASE_URL", db.expose()));
            let text = all(&out);
            assert_eq!(out.code, 2, "{what}, {args:?}: {text}");
            assert!(text.contains("is a symbolic link to"), "{what}: {text}");
            assert!(
                text.contains("outside the service's migrations folder"),
                "{text}"
            );
            assert!(!text.contains(secret), "{what}: the password shown: {text}");
            assert!(
                !text.contains("root:x:0:0"),
                "{what}: /etc/passwd shown: {text}"
            );
        }
        assert_eq!(
            query_i64(
                &db,
                "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
            ),
            0,
            "{what}: nothing applied"
        );
    }
}

// --- 7. the environment of children ------------------------------------------------------

/// libpq's service file outranks PGHOST: a seed that inherited `PGSERVICE=prod` would write to
/// the production database. Children see our URL and nothing of the caller's.
#[test]
fn seeds_tests_and_pg_dump_ignore_the_callers_database_settings() {
    let prod = fresh_database("prod");
    let dir = tempfile::tempdir().unwrap();
    let service_file = dir.path().join("pg_service.conf");
    std::fs::write(
        &service_file,
        format!(
            "[prod]\nhost=127.0.0.1\nport={}\ndbname={}\nuser=postgres\n",
            prod.port, prod.dbname
        ),
    )
    .unwrap();
    let repo = one_service_repo(&[("20250101000000_init", "CREATE TABLE a (id int);\n")]);
    let svc = repo.root().join("services/svc");
    let env_dump = dir.path().join("env.txt");
    std::fs::write(
        svc.join("xtask.toml"),
        format!(
            "[verify]\nseed = [\"psql\", \"-X\", \"-q\", \"-v\", \"ON_ERROR_STOP=1\", \"-c\", \"CREATE TABLE seeded (id int)\"]\ntest = [\"sh\", \"-c\", \"env > '{}'\"]\n",
            env_dump.display()
        ),
    )
    .unwrap();
    let caller_env = [
        ("PGSERVICE", "prod".to_string()),
        ("PGSERVICEFILE", service_file.display().to_string()),
        ("PGOPTIONS", "-c search_path=prod".to_string()),
        ("PGPASSFILE", "/nonexistent/pgpass".to_string()),
        ("PGHOSTADDR", "127.0.0.9".to_string()),
        ("OTHER_DATABASE_URL", prod.expose()),
        ("SVC_DATABASE_URL", prod.expose()),
    ];
    let mut cmd = xtask(repo.root());
    cmd.args(["verify", "--backend", "local", "--no-lint"]);
    for (k, v) in &caller_env {
        cmd.env(k, v);
    }
    let out = run(&mut cmd);
    assert_eq!(out.code, 0, "{}", all(&out));
    assert_eq!(
        query_i64(
            &prod,
            "SELECT count(*) FROM pg_tables WHERE tablename = 'seeded'"
        ),
        0,
        "the seed wrote to the database PGSERVICE names"
    );
    let seen = std::fs::read_to_string(&env_dump).unwrap();
    for (k, _) in &caller_env {
        assert!(
            !seen.lines().any(|l| l.starts_with(&format!("{k}="))),
            "the test inherited {k}:\n{seen}"
        );
    }
    assert!(seen.contains("DATABASE_URL=postgresql://"), "{seen}");
    assert!(seen.contains("PGHOST="), "{seen}");

    // pg_dump (migrate --backup) dumps the database migrated, not PGSERVICE's.
    let target = fresh_database("backup_target");
    repo.migration("svc", "20250102000000_more", "CREATE TABLE b (id int);\n");
    let backups = dir.path().join("backups");
    let mut cmd = xtask(repo.root());
    cmd.args(["migrate", "--backup"])
        .arg(&backups)
        .env("SVC_DATABASE_URL", target.expose())
        .env("PGSERVICE", "prod")
        .env("PGSERVICEFILE", &service_file);
    let out = run(&mut cmd);
    assert_eq!(out.code, 0, "{}", all(&out));
    assert_eq!(
        query_i64(&target, "SELECT count(*) FROM _prisma_migrations"),
        2
    );
}

// --- 8. scratch databases on a server that is not ours ------------------------------------

fn scratch_databases(server: &DatabaseUrl) -> Vec<String> {
    shared_migrate::connect(server)
        .unwrap()
        .query(
            "SELECT datname::text FROM pg_database WHERE datname LIKE 'xtask\\_verify\\_%' ORDER BY 1",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

#[test]
fn interrupted_url_backend_runs_leave_no_scratch_database() {
    // A server of its own: other tests create scratch databases too.
    let (cluster, _template) = shared_migrate::LocalCluster::start().unwrap();
    let server = cluster.url("postgres");
    let repo = TempRepo::new();
    for svc in ["a", "b", "c", "d"] {
        repo.migration(svc, "20250101000000_init", "CREATE TABLE t (id int);\n");
        repo.migration(
            svc,
            "20250102000000_wait",
            "SELECT pg_sleep(0.05);\nCREATE TABLE u (id int);\n",
        );
    }
    for i in 0..12u64 {
        let child = spawn(xtask(repo.root()).args([
            "verify",
            "--backend",
            "url",
            "--database-url",
            &server.expose(),
            "--no-lint",
            "--jobs",
            "2",
        ]));
        // Interrupt at a different moment each time, from the start to the last service.
        std::thread::sleep(Duration::from_millis(40 + i * 35));
        // SAFETY: signalling our own child, not yet waited for.
        unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) };
        let _ = child.wait_with_output();
        let left = scratch_databases(&server);
        assert!(left.is_empty(), "run {i} left {left:?}");
    }
}

#[test]
fn leftovers_of_earlier_runs_are_swept_and_nothing_else() {
    let (cluster, _template) = shared_migrate::LocalCluster::start().unwrap();
    let server = cluster.url("postgres");
    let mut admin = shared_migrate::connect(&server).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let old = format!("xtask_verify_svc_{}_4242_0a1b2c", now - 7200);
    let recent = format!("xtask_verify_svc_{}_4242_0a1b2d", now - 60);
    let in_use = format!("xtask_verify_svc_{}_4242_0a1b2e", now - 7200);
    let not_ours = "xtask_verify_production".to_string();
    for name in [&old, &recent, &in_use, &not_ours] {
        admin
            .batch_execute(&format!("CREATE DATABASE \"{name}\""))
            .unwrap();
    }
    let _session = shared_migrate::connect(&server.with_dbname(&in_use)).unwrap();
    let repo = one_service_repo(&[("20250101000000_init", "CREATE TABLE a (id int);\n")]);
    let out = run(xtask(repo.root()).args([
        "verify",
        "--backend",
        "url",
        "--database-url",
        &server.expose(),
        "--no-lint",
    ]));
    assert_eq!(out.code, 0, "{}", all(&out));
    assert!(out.stderr.contains(&old), "{}", all(&out));
    let mut expected = vec![recent.clone(), in_use.clone(), not_ours.clone()];
    expected.sort();
    assert_eq!(scratch_databases(&server), expected);
    // --sweep-after 0s: the recent one too; never the one in use, never one not ours.
    let out = run(xtask(repo.root()).args([
        "verify",
        "--backend",
        "url",
        "--database-url",
        &server.expose(),
        "--no-lint",
        "--sweep-after",
        "0s",
    ]));
    assert_eq!(out.code, 0, "{}", all(&out));
    let mut expected = vec![in_use, not_ours];
    expected.sort();
    assert_eq!(scratch_databases(&server), expected);
}

// --- 10, 12. service names ------------------------------------------------------------------

#[test]
fn services_that_would_share_a_url_variable_are_refused_naming_both() {
    let repo = TempRepo::new();
    for svc in ["pay-api", "pay_api"] {
        repo.migration(svc, "20250101000000_init", "CREATE TABLE a (id int);\n");
    }
    let db = fresh_database("shared_var");
    let out = run(xtask(repo.root())
        .arg("migrate")
        .env("PAY_API_DATABASE_URL", db.expose()));
    let text = all(&out);
    assert_eq!(out.code, 2, "{text}");
    assert!(
        text.contains("services `pay-api`")
            && text.contains("`pay_api`")
            && text.contains("PAY_API_DATABASE_URL"),
        "{text}"
    );
    assert_eq!(
        query_i64(
            &db,
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
        ),
        0
    );
}

#[test]
fn service_names_that_reports_and_lists_cannot_carry_are_refused() {
    for (name, why) in [
        ("pay\u{FFFE}", "U+FFFE"),
        ("pay\u{FFFF}", "U+FFFF"),
        ("pay,api", "comma"),
        ("pay\napi", "U+000A"),
    ] {
        let repo = TempRepo::new();
        repo.migration(name, "20250101000000_init", "CREATE TABLE a (id int);\n");
        for args in [&["lint"][..], &["ci-plan"], &["verify", "--junit", "j.xml"]] {
            let out = run(xtask(repo.root()).args(args));
            let text = all(&out);
            assert_eq!(out.code, 2, "{name:?} {args:?}: {text}");
            assert!(
                text.contains(why) && text.contains("rename the directory"),
                "{text}"
            );
            assert!(!text.contains("panicked"), "{text}");
        }
    }
}

// --- 11. a schema without models ------------------------------------------------------------

#[test]
fn new_refuses_a_schema_without_models_unless_asked() {
    let repo = TempRepo::new();
    repo.migration(
        "svc",
        "20250101000000_init",
        "CREATE TABLE \"User\" (\"id\" INTEGER NOT NULL, CONSTRAINT \"User_pkey\" PRIMARY KEY (\"id\"));\n",
    );
    std::fs::write(
        repo.root().join("services/svc/prisma/schema.prisma"),
        "datasource db {\n  provider = \"postgresql\"\n  url = env(\"DATABASE_URL\")\n}\n",
    )
    .unwrap();
    let migrations = repo.root().join("services/svc/prisma/migrations");
    let count = || {
        std::fs::read_dir(&migrations)
            .unwrap()
            .filter(|e| e.as_ref().unwrap().path().is_dir())
            .count()
    };
    let out = run(xtask(repo.root()).args(["new", "-s", "svc", "drop_users"]));
    let text = all(&out);
    assert_eq!(out.code, 2, "{text}");
    assert!(text.contains("defines no model"), "{text}");
    assert!(text.contains("drop every table"), "{text}");
    assert!(text.contains("--allow-empty-schema"), "{text}");
    assert_eq!(count(), 1, "nothing written");
    let out =
        run(xtask(repo.root()).args(["new", "-s", "svc", "drop_users", "--allow-empty-schema"]));
    assert_eq!(out.code, 0, "{}", all(&out));
    assert_eq!(count(), 2);
}

// --- 14. odd migration folders ---------------------------------------------------------------

#[test]
fn a_folder_name_with_a_space_works_in_every_command() {
    let copy = "20250102000000_added_api_keys_to_user copy";
    let repo = one_service_repo(&[
        ("20250101000000_init", "CREATE TABLE a (id int);\n"),
        (copy, "CREATE TABLE b (id int);\n"),
        ("20250103000000_more", "CREATE TABLE c (id int);\n"),
    ]);
    let db = fresh_database("space");
    let cmd = |args: &[&str]| {
        run(xtask(repo.root())
            .args(args)
            .env("SVC_DATABASE_URL", db.expose()))
    };
    let out = cmd(&["migrate", "--to", copy]);
    assert_eq!(out.code, 0, "{}", all(&out));
    let names: Vec<String> = shared_migrate::connect(&db)
        .unwrap()
        .query(
            "SELECT migration_name::text FROM _prisma_migrations ORDER BY 1",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(names, ["20250101000000_init", copy]);
    let out = cmd(&["status"]);
    assert_eq!(out.code, 3, "pending: {}", all(&out));
    let out = cmd(&["migrate"]);
    assert_eq!(out.code, 0, "{}", all(&out));
    let out = cmd(&["status"]);
    assert_eq!(out.code, 0, "{}", all(&out));
    // Lint: a finding about the name, not a failure of the run.
    let out = cmd(&["lint", "--format", "json"]);
    assert_eq!(out.code, 1, "{}", all(&out));
    assert!(out.stdout.contains("migration-name"), "{}", all(&out));
    let out = cmd(&["verify", "--backend", "local", "--no-lint"]);
    assert_eq!(out.code, 0, "{}", all(&out));
}

#[test]
fn a_folder_without_migration_sql_is_a_located_error_everywhere() {
    let repo = one_service_repo(&[("20250101000000_init", "CREATE TABLE a (id int);\n")]);
    let empty = repo
        .root()
        .join("services/svc/prisma/migrations/20250102000000_empty");
    std::fs::create_dir_all(&empty).unwrap();
    let db = fresh_database("p3015");
    for args in [
        &["migrate"][..],
        &["status"],
        &["lint"],
        &["verify", "--backend", "local"],
    ] {
        let out = run(xtask(repo.root())
            .args(args)
            .env("SVC_DATABASE_URL", db.expose()));
        let text = all(&out);
        assert_eq!(out.code, 2, "{args:?}: {text}");
        assert!(
            text.contains(&format!(
                "could not find the migration file at {}",
                empty.join("migration.sql").display()
            )) && text.contains("P3015"),
            "{args:?}: {text}"
        );
    }
}
