//! Production conditions on real servers: a real PgBouncer in transaction and session mode,
//! tables locked by another session (lock timeouts, retries, the blocker named), and
//! `--to`.

use std::sync::Mutex;
use std::sync::mpsc;
use std::time::Duration;

use postgres::{Client, NoTls};
use shared_migrate::Service;
use shared_migrate::{DatabaseUrl, Waits};
use shared_migrate::{Error, ExitCode};
use shared_migrate::{MigrateOptions, MigrateReport, migrate_service};
use test_support::{BouncerOptions, PgBouncer, TempRepo, fresh_database, with_cluster};

fn client(url: &DatabaseUrl) -> Client {
    url.config().connect(NoTls).expect("connect")
}

fn migrate(service: &Service, url: &DatabaseUrl, options: &MigrateOptions) -> MigrateReport {
    migrate_service(service, Ok(url.clone()), options, &|_, _| {})
}

fn count(url: &DatabaseUrl, sql: &str) -> i64 {
    client(url).query_one(sql, &[]).unwrap().get(0)
}

/// The URL of `dbname` through `bouncer`.
fn through(bouncer: &PgBouncer, dbname: &str) -> DatabaseUrl {
    DatabaseUrl::parse(&format!(
        "postgresql://postgres@127.0.0.1:{}/{dbname}?sslmode=disable",
        bouncer.port
    ))
    .unwrap()
}

#[test]
fn pgbouncer_in_transaction_mode_is_refused_before_anything_is_applied() {
    let repo = TempRepo::new();
    repo.migration("svc", "20250101000000_init", "CREATE TABLE a (id int);");
    let direct = fresh_database("bouncer_tx");
    let upstream = with_cluster(|c| c.port());
    for mode in ["transaction", "statement"] {
        let bouncer = PgBouncer::start(upstream, mode);
        let url = through(&bouncer, &direct.dbname);
        let r = migrate(&repo.service("svc"), &url, &MigrateOptions::default());
        let e = r.result.unwrap_err();
        assert!(matches!(e, Error::Pooler { .. }), "{mode}: {e}");
        let text = e.to_string();
        assert!(text.contains("server sessions"), "{text}");
        assert!(text.contains("directUrl"), "{text}");
        assert_eq!(e.exit_code(), ExitCode::Usage);
        // Nothing applied: no ledger, no table.
        assert_eq!(
            count(
                &direct,
                "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
            ),
            0
        );
    }
    // Prisma's own flag is refused without asking the server.
    let flagged = DatabaseUrl::parse(&format!("{}&pgbouncer=true", direct.expose())).unwrap();
    let e = migrate(&repo.service("svc"), &flagged, &MigrateOptions::default())
        .result
        .unwrap_err()
        .to_string();
    assert!(e.contains("pgbouncer=true"), "{e}");
}

#[test]
fn pgbouncer_in_session_mode_migrates() {
    let repo = TempRepo::new();
    repo.migration("svc", "20250101000000_init", "CREATE TABLE a (id int);");
    repo.migration(
        "svc",
        "20250102000000_index",
        "CREATE INDEX CONCURRENTLY a_id_idx ON a (id);",
    );
    let direct = fresh_database("bouncer_session");
    let bouncer = PgBouncer::start(with_cluster(|c| c.port()), "session");
    let url = through(&bouncer, &direct.dbname);
    let r = migrate(&repo.service("svc"), &url, &MigrateOptions::default());
    r.result.unwrap();
    assert_eq!(r.applied.len(), 2);
    assert_eq!(
        count(
            &direct,
            "SELECT count(*) FROM _prisma_migrations WHERE finished_at IS NOT NULL"
        ),
        2
    );
}

/// Nothing applied to `direct`: no table in its public schema.
fn untouched(direct: &DatabaseUrl) -> bool {
    count(
        direct,
        "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'",
    ) == 0
}

/// A warm pool handing sessions out in turn (`server_round_robin`), where one extra connection
/// is often served by another session than ours: refused every time, whichever answers.
#[test]
fn transaction_pooling_is_refused_whichever_session_answers() {
    let repo = TempRepo::new();
    repo.migration("svc", "20250101000000_init", "CREATE TABLE a (id int);");
    let direct = fresh_database("bouncer_rr");
    let bouncer = PgBouncer::start_with(
        with_cluster(|c| c.port()),
        "transaction",
        &BouncerOptions {
            extra: "server_round_robin = 1",
            ..BouncerOptions::default()
        },
    );
    let url = through(&bouncer, &direct.dbname);
    // Warm the pool: four server sessions opened at once and returned.
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                client(&url)
                    .batch_execute("BEGIN; SELECT pg_sleep(0.2); COMMIT")
                    .unwrap()
            });
        }
    });
    for run in 0..3 {
        let e = migrate(&repo.service("svc"), &url, &MigrateOptions::default())
            .result
            .unwrap_err();
        assert!(matches!(e, Error::Pooler { .. }), "run {run}: {e}");
    }
    // Eight deployers at once: every one refused.
    let results: Vec<Result<(), Error>> = std::thread::scope(|s| {
        let runs: Vec<_> = (0..8)
            .map(|_| {
                s.spawn(|| migrate(&repo.service("svc"), &url, &MigrateOptions::default()).result)
            })
            .collect();
        runs.into_iter().map(|r| r.join().unwrap()).collect()
    });
    for (i, r) in results.iter().enumerate() {
        assert!(
            matches!(r, Err(Error::Pooler { .. })),
            "deployer {i}: {r:?}"
        );
    }
    assert!(untouched(&direct));
}

/// A PgBouncer on another address with the server's own port number: the port says nothing,
/// the addresses do.
#[test]
fn a_pooler_on_the_servers_port_number_is_still_checked() {
    let repo = TempRepo::new();
    repo.migration("svc", "20250101000000_init", "CREATE TABLE a (id int);");
    let direct = fresh_database("bouncer_port");
    let port = with_cluster(|c| c.port());
    if std::net::TcpListener::bind(("127.0.0.2", port)).is_err() {
        test_support::skip(
            &format!("127.0.0.2:{port} cannot be bound here"),
            std::env::var_os("CI").is_some(),
        );
        return;
    }
    let bouncer = PgBouncer::start_with(
        port,
        "transaction",
        &BouncerOptions {
            listen_addr: "127.0.0.2",
            port: Some(port),
            ..BouncerOptions::default()
        },
    );
    assert_eq!(bouncer.port, port);
    let url = DatabaseUrl::parse(&format!(
        "postgresql://postgres@127.0.0.2:{port}/{}?sslmode=disable",
        direct.dbname
    ))
    .unwrap();
    let e = migrate(&repo.service("svc"), &url, &MigrateOptions::default())
        .result
        .unwrap_err();
    assert!(matches!(e, Error::Pooler { .. }), "{e}");
    assert!(untouched(&direct));
    // The server itself, on 127.0.0.1 (TCP) and on its socket: direct, accepted.
    let tcp = DatabaseUrl::parse(&format!(
        "postgresql://postgres@127.0.0.1:{port}/{}?sslmode=disable",
        direct.dbname
    ))
    .unwrap();
    for url in [tcp, direct.clone()] {
        let r = migrate(&repo.service("svc"), &url, &MigrateOptions::default());
        r.result.unwrap_or_else(|e| panic!("{url}: {e}"));
    }
}

/// A session holding ACCESS EXCLUSIVE on table `a` until told to let go; its pid.
fn blocker(url: &DatabaseUrl) -> (i32, mpsc::Sender<()>, std::thread::JoinHandle<()>) {
    let (pid_tx, pid_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let url = url.clone();
    let thread = std::thread::spawn(move || {
        let mut c = client(&url);
        c.batch_execute(
            "SET application_name = 'reporting-job'; BEGIN; LOCK TABLE a IN ACCESS EXCLUSIVE MODE",
        )
        .unwrap();
        let pid: i32 = c.query_one("SELECT pg_backend_pid()", &[]).unwrap().get(0);
        pid_tx.send(pid).unwrap();
        let _ = release_rx.recv();
        c.batch_execute("COMMIT").unwrap();
    });
    (pid_rx.recv().unwrap(), release_tx, thread)
}

fn locked_repo() -> (TempRepo, DatabaseUrl) {
    let repo = TempRepo::new();
    repo.migration("svc", "20250101000000_init", "CREATE TABLE a (id int);");
    let url = fresh_database("ddl_wait");
    migrate(&repo.service("svc"), &url, &MigrateOptions::default())
        .result
        .unwrap();
    repo.migration(
        "svc",
        "20250102000000_add_note",
        "ALTER TABLE a ADD COLUMN note text;\nCREATE TABLE b (id int);",
    );
    (repo, url)
}

fn waits(retries: u32) -> MigrateOptions {
    MigrateOptions {
        waits: Waits {
            ddl_lock_timeout: Some(Duration::from_secs(1)),
            statement_timeout: None,
            retries,
            ..Waits::default()
        },
        ..MigrateOptions::default()
    }
}

#[test]
fn a_locked_table_fails_after_every_attempt_naming_the_blocker_with_nothing_applied() {
    let (repo, url) = locked_repo();
    let (pid, release, thread) = blocker(&url);
    let messages = Mutex::new(Vec::<String>::new());
    let r = migrate_service(&repo.service("svc"), Ok(url.clone()), &waits(2), &|_, m| {
        messages.lock().unwrap().push(m.to_string())
    });
    release.send(()).unwrap();
    thread.join().unwrap();
    let e = r.result.unwrap_err();
    assert_eq!(e.exit_code(), ExitCode::LockTimeout);
    let text = e.to_string();
    assert!(
        text.contains("on each of 3 attempts (--ddl-lock-timeout 1s)"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "blocked by pid {pid} (reporting-job, idle in transaction"
        )),
        "{text}"
    );
    assert!(text.contains("migration.sql:1:1"), "{text}");
    assert!(text.contains("stays pending"), "{text}");
    let retries: Vec<String> = messages
        .into_inner()
        .unwrap()
        .into_iter()
        .filter(|m| m.contains("rolled back"))
        .collect();
    assert_eq!(retries.len(), 2, "{retries:?}");
    assert!(
        retries[0].contains("attempt 2 of 3 in 500ms"),
        "{retries:?}"
    );
    assert!(
        retries[0].contains(&format!("blocked by pid {pid}")),
        "{retries:?}"
    );
    // Nothing of it: no column, no table b, no row (failed or otherwise).
    assert_eq!(
        count(
            &url,
            "SELECT count(*) FROM information_schema.columns WHERE table_name = 'a' AND column_name = 'note'"
        ),
        0
    );
    assert_eq!(
        count(&url, "SELECT count(*) FROM pg_tables WHERE tablename = 'b'"),
        0
    );
    assert_eq!(
        count(
            &url,
            "SELECT count(*) FROM _prisma_migrations WHERE migration_name = '20250102000000_add_note'"
        ),
        0
    );
    // Once the blocker is gone, the next deploy applies it.
    let r = migrate(&repo.service("svc"), &url, &waits(0));
    r.result.unwrap();
    assert_eq!(r.applied.len(), 1);
}

#[test]
fn a_retry_succeeds_once_the_blocker_lets_go() {
    let (repo, url) = locked_repo();
    let (_pid, release, thread) = blocker(&url);
    let release = Mutex::new(Some(release));
    let r = migrate_service(&repo.service("svc"), Ok(url.clone()), &waits(2), &|_, m| {
        if m.contains("rolled back")
            && let Some(tx) = release.lock().unwrap().take()
        {
            tx.send(()).unwrap();
        }
    });
    thread.join().unwrap();
    r.result.unwrap();
    assert_eq!(r.applied.len(), 1);
    assert_eq!(
        count(
            &url,
            "SELECT count(*) FROM _prisma_migrations WHERE migration_name = '20250102000000_add_note' AND finished_at IS NOT NULL"
        ),
        1
    );
}

/// A repo whose first migration made tables `a` and `c`, applied; then `second`.
fn statement_by_statement_repo(second: &str) -> (TempRepo, DatabaseUrl) {
    let repo = TempRepo::new();
    repo.migration(
        "svc",
        "20250101000000_init",
        "CREATE TABLE a (id int);\nCREATE TABLE c (id int);",
    );
    let url = fresh_database("ddl_wait_nontx");
    migrate(&repo.service("svc"), &url, &MigrateOptions::default())
        .result
        .unwrap();
    repo.migration("svc", "20250102000000_second", second);
    (repo, url)
}

fn unfinished_rows(url: &DatabaseUrl) -> i64 {
    count(
        url,
        "SELECT count(*) FROM _prisma_migrations WHERE migration_name = '20250102000000_second' AND finished_at IS NULL AND rolled_back_at IS NULL",
    )
}

#[test]
fn a_statement_by_statement_migration_is_retried_while_nothing_of_it_committed() {
    let (repo, url) = statement_by_statement_repo(
        "ALTER TABLE a ADD COLUMN note text;\nCREATE INDEX CONCURRENTLY c_id_idx ON c (id);",
    );
    let (_pid, release, thread) = blocker(&url);
    let release = Mutex::new(Some(release));
    let r = migrate_service(&repo.service("svc"), Ok(url.clone()), &waits(2), &|_, m| {
        if m.contains("rolled back")
            && let Some(tx) = release.lock().unwrap().take()
        {
            tx.send(()).unwrap();
        }
    });
    thread.join().unwrap();
    r.result.unwrap();
    // One row, finished: the first attempt's row was reused.
    assert_eq!(
        count(
            &url,
            "SELECT count(*) FROM _prisma_migrations WHERE migration_name = '20250102000000_second'"
        ),
        1
    );
    assert_eq!(unfinished_rows(&url), 0);
}

#[test]
fn a_statement_by_statement_migration_is_not_retried_once_a_statement_committed() {
    let (repo, url) = statement_by_statement_repo(
        "CREATE TABLE d (id int);\nALTER TABLE a ADD COLUMN note text;\nCREATE INDEX CONCURRENTLY c_id_idx ON c (id);",
    );
    let (pid, release, thread) = blocker(&url);
    let messages = Mutex::new(0);
    let r = migrate_service(&repo.service("svc"), Ok(url.clone()), &waits(3), &|_, m| {
        if m.contains("rolled back") {
            *messages.lock().unwrap() += 1;
        }
    });
    release.send(()).unwrap();
    thread.join().unwrap();
    let text = r.result.unwrap_err().to_string();
    assert_eq!(*messages.lock().unwrap(), 0, "retried");
    assert!(
        text.contains("Statements 1 to 1 of 3 were committed"),
        "{text}"
    );
    assert!(text.contains("55P03"), "{text}");
    // The session that held the table is named, as on the one-transaction path.
    assert!(
        text.contains(&format!(
            "lock timeout; blocked by pid {pid} (reporting-job"
        )),
        "{text}"
    );
    let logs: String = client(&url)
        .query_one(
            "SELECT logs FROM _prisma_migrations WHERE finished_at IS NULL",
            &[],
        )
        .unwrap()
        .get(0);
    assert!(logs.contains(&format!("blocked by pid {pid}")), "{logs}");
    assert_eq!(unfinished_rows(&url), 1);
}

#[test]
fn a_concurrent_index_that_timed_out_is_not_retried_and_its_invalid_index_is_named() {
    // CREATE INDEX CONCURRENTLY waits for every older transaction, the blocker's included.
    let (repo, url) = statement_by_statement_repo("CREATE INDEX CONCURRENTLY c_id_idx ON c (id);");
    let (_pid, release, thread) = blocker(&url);
    let r = migrate(&repo.service("svc"), &url, &waits(3));
    release.send(()).unwrap();
    thread.join().unwrap();
    let text = r.result.unwrap_err().to_string();
    assert!(
        text.contains("No statement was committed; statement 1 failed"),
        "{text}"
    );
    assert!(
        text.contains("left the INVALID index `c_id_idx` behind: drop it (DROP INDEX CONCURRENTLY \"c_id_idx\")"),
        "{text}"
    );
    assert_eq!(
        count(&url, "SELECT count(*) FROM pg_index WHERE NOT indisvalid"),
        1
    );
}

#[test]
fn to_applies_up_to_a_migration_and_refuses_an_unknown_one() {
    let repo = TempRepo::new();
    for (i, name) in ["a", "b", "c"].iter().enumerate() {
        repo.migration(
            "svc",
            &format!("2025010{}000000_create_{name}", i + 1),
            &format!("CREATE TABLE {name} (id int);"),
        );
    }
    let url = fresh_database("to");
    let to = |name: &str| MigrateOptions {
        to: Some(name.to_string()),
        ..MigrateOptions::default()
    };
    let r = migrate(&repo.service("svc"), &url, &to("20250102000000_create_b"));
    r.result.unwrap();
    let names: Vec<&str> = r.applied.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(
        names,
        ["20250101000000_create_a", "20250102000000_create_b"]
    );
    assert_eq!(
        count(&url, "SELECT count(*) FROM pg_tables WHERE tablename = 'c'"),
        0
    );
    // Already applied: nothing to do.
    let r = migrate(&repo.service("svc"), &url, &to("20250101000000_create_a"));
    r.result.unwrap();
    assert!(r.applied.is_empty());
    let e = migrate(&repo.service("svc"), &url, &to("create_c"))
        .result
        .unwrap_err();
    assert_eq!(e.exit_code(), ExitCode::Usage);
    assert!(
        e.to_string()
            .contains("did you mean `20250103000000_create_c`"),
        "{e}"
    );
    let r = migrate(&repo.service("svc"), &url, &to("20250103000000_create_c"));
    assert_eq!(r.applied.len(), 1);
}
