//! Faults: a deployer killed with SIGKILL in the middle of a long migration. The database holds
//! the migration entirely or not at all, the ledger agrees, and the next run completes (or, for
//! a migration that had to run statement by statement, says exactly what to do).

use std::time::{Duration, Instant};

use shared_migrate::database_url::DatabaseUrl;
use shared_migrate::testing::{TempRepo, fresh_database};

mod common;
use common::{run, spawn, wait_for, xtask};

fn sleeping(url: &DatabaseUrl) -> bool {
    let mut c = shared_migrate::connection::connect(&url.with_dbname("postgres")).unwrap();
    let n: i64 = c
        .query_one(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND query LIKE '%pg_sleep%' AND pid <> pg_backend_pid()",
            &[&url.dbname],
        )
        .unwrap()
        .get(0);
    n > 0
}

fn exists(url: &DatabaseUrl, table: &str) -> bool {
    let mut c = shared_migrate::connection::connect(url).unwrap();
    c.query_one("SELECT to_regclass($1) IS NOT NULL", &[&table])
        .unwrap()
        .get(0)
}

fn ledger(url: &DatabaseUrl) -> Vec<(String, bool)> {
    let mut c = shared_migrate::connection::connect(url).unwrap();
    c.query(
        "SELECT migration_name, finished_at IS NOT NULL FROM _prisma_migrations ORDER BY migration_name",
        &[],
    )
    .unwrap()
    .iter()
    .map(|r| (r.get(0), r.get(1)))
    .collect()
}

/// Starts `migrate`, waits until it is inside the pg_sleep, and kills it with SIGKILL. Returns
/// how long the server took to notice and end the orphaned session.
fn kill_during_sleep(repo: &TempRepo, url: &DatabaseUrl) -> Duration {
    let child = spawn(
        xtask(repo.root())
            .args(["migrate"])
            .env("SVC_DATABASE_URL", url.expose()),
    );
    wait_for(Duration::from_secs(20), Duration::from_millis(20), || {
        sleeping(url)
    });
    assert!(sleeping(url), "migrate never reached the pg_sleep");
    // SAFETY: killing our own child by pid.
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGKILL) };
    let killed = Instant::now();
    let _ = child.wait_with_output();
    // The server notices the dead client during the statement (client_connection_check_interval),
    // not 60 s later when the sleep ends: the next deploy does not wait for its lock.
    wait_for(Duration::from_secs(30), Duration::from_millis(20), || {
        !sleeping(url)
    });
    killed.elapsed()
}

#[test]
fn a_deployer_killed_inside_a_transactional_migration_leaves_nothing_and_the_next_run_completes() {
    let repo = TempRepo::new();
    repo.migration("svc", "20250101000000_first", "CREATE TABLE a (id int);\n");
    repo.migration(
        "svc",
        "20250101000001_long",
        "CREATE TABLE b (id int);\nSELECT pg_sleep(60);\nCREATE TABLE c (id int);\n",
    );
    repo.migration("svc", "20250101000002_after", "CREATE TABLE d (id int);\n");
    let url = fresh_database("fault_kill_tx");
    let took = kill_during_sleep(&repo, &url);
    assert!(
        took < Duration::from_secs(10),
        "the orphaned session lived {took:?}"
    );
    assert!(exists(&url, "a"));
    assert!(
        !exists(&url, "b") && !exists(&url, "c"),
        "half of the migration persisted"
    );
    assert_eq!(ledger(&url), [("20250101000000_first".to_string(), true)]);

    // The next run applies the rest (without the sleep this time).
    repo.migration(
        "svc",
        "20250101000001_long",
        "CREATE TABLE b (id int);\nCREATE TABLE c (id int);\n",
    );
    let out = run(xtask(repo.root())
        .args(["migrate", "--lock-timeout", "5s"])
        .env("SVC_DATABASE_URL", url.expose()));
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(exists(&url, "b") && exists(&url, "c") && exists(&url, "d"));
    assert_eq!(ledger(&url).len(), 3);
}

#[test]
fn a_deployer_killed_inside_a_statement_by_statement_migration_leaves_a_failed_row_and_instructions()
 {
    let repo = TempRepo::new();
    repo.migration("svc", "20250101000000_first", "CREATE TABLE a (id int);\n");
    repo.migration(
        "svc",
        "20250101000001_index",
        "CREATE INDEX CONCURRENTLY a_id_idx ON a (id);\nSELECT pg_sleep(60);\nCREATE TABLE c (id int);\n",
    );
    let url = fresh_database("fault_kill_nontx");
    kill_during_sleep(&repo, &url);
    // Statement 1 committed on its own; the row says the migration started and never finished.
    assert!(exists(&url, "a_id_idx") && !exists(&url, "c"));
    assert_eq!(
        ledger(&url),
        [
            ("20250101000000_first".to_string(), true),
            ("20250101000001_index".to_string(), false)
        ]
    );
    let out = run(xtask(repo.root())
        .args(["migrate", "--lock-timeout", "5s"])
        .env("SVC_DATABASE_URL", url.expose()));
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("P3009")
            && out
                .stdout
                .contains("cargo xtask resolve --service svc --applied 20250101000001_index"),
        "{}",
        out.stdout
    );
}
