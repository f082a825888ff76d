//! Faults: a deployer killed with SIGKILL at each step of the ledger protocol, the server
//! stopped abruptly (`pg_ctl stop -m immediate`) mid-migration, and the connection faults a
//! deploy meets (unreachable host, wrong password, a database it may not create, a held lock).
//! The database holds each migration entirely or not at all, the ledger agrees, the error says
//! what happened with the password redacted, and the next run completes (or, for a migration
//! that had to run statement by statement, says exactly what to do).
//!
//! Each step is reached for real: a trigger on `_prisma_migrations` (or an event trigger for
//! its creation, or a deferred trigger for the commit) sleeps inside the deployer's own
//! statement, and the test kills the deployer while the server shows it in `pg_sleep`.

use std::time::{Duration, Instant};

use shared_migrate::DatabaseUrl;
use shared_migrate::{LocalCluster, Template};
use test_support::{TempRepo, fresh_database};

use crate::common;
use common::{Out, run, spawn, wait_for, xtask};

fn sql(url: &DatabaseUrl, statements: &str) {
    let mut c = shared_migrate::connect(url).unwrap();
    c.batch_execute(statements).unwrap();
}

/// Whether a session of the database other than ours is inside `pg_sleep`.
fn sleeping(url: &DatabaseUrl) -> bool {
    let mut c = shared_migrate::connect(&url.with_dbname("postgres")).unwrap();
    let n: i64 = c
        .query_one(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND wait_event = 'PgSleep' AND pid <> pg_backend_pid()",
            &[&url.dbname],
        )
        .unwrap()
        .get(0);
    n > 0
}

fn exists(url: &DatabaseUrl, relation: &str) -> bool {
    let mut c = shared_migrate::connect(url).unwrap();
    c.query_one("SELECT to_regclass($1) IS NOT NULL", &[&relation])
        .unwrap()
        .get(0)
}

/// (name, finished) of every row not rolled back, by name.
fn ledger(url: &DatabaseUrl) -> Vec<(String, bool)> {
    let mut c = shared_migrate::connect(url).unwrap();
    if !exists(url, "_prisma_migrations") {
        return Vec::new();
    }
    c.query(
        "SELECT migration_name, finished_at IS NOT NULL FROM _prisma_migrations WHERE rolled_back_at IS NULL ORDER BY migration_name",
        &[],
    )
    .unwrap()
    .iter()
    .map(|r| (r.get(0), r.get(1)))
    .collect()
}

fn row(name: &str, finished: bool) -> (String, bool) {
    (name.to_string(), finished)
}

fn migrate(repo: &TempRepo, url: &DatabaseUrl, extra: &[&str]) -> Out {
    run(xtask(repo.root())
        .arg("migrate")
        .args(extra)
        .env("SVC_DATABASE_URL", url.expose()))
}

/// Starts `migrate`, waits until it is inside a `pg_sleep`, and kills it with SIGKILL. Then
/// waits for the server to end the orphaned session (client_connection_check_interval), so
/// that the next deploy does not wait 60 s for its lock.
fn kill_during_sleep(repo: &TempRepo, url: &DatabaseUrl) {
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
    wait_for(Duration::from_secs(30), Duration::from_millis(20), || {
        !sleeping(url)
    });
    assert!(
        killed.elapsed() < Duration::from_secs(10),
        "the orphaned session lived {:?}",
        killed.elapsed()
    );
}

/// Where the deployer is killed, and the hook that holds it there.
#[derive(Clone, Copy, Debug)]
enum Step {
    /// `CREATE TABLE _prisma_migrations` on a new database.
    CreateLedger,
    /// The INSERT of the migration's row.
    InsertRow,
    /// Inside the migration's own statements.
    Script,
    /// `applied_steps_count + 1`.
    Count,
    /// `finished_at = now`.
    Finish,
    /// The COMMIT that makes the migration and its row durable.
    Commit,
}

impl Step {
    /// SQL that makes the deployer sleep at this step (None: the migration itself sleeps).
    fn hook(self) -> Option<String> {
        const SLEEP: &str = "CREATE FUNCTION fault_sleep() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(60); RETURN NEW; END $$;";
        let trigger = match self {
            Step::Script => return None,
            Step::CreateLedger => {
                return Some(
                    "CREATE FUNCTION fault_sleep_ddl() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN \
                       IF EXISTS (SELECT 1 FROM pg_event_trigger_ddl_commands() WHERE object_identity LIKE '%._prisma_migrations') \
                       THEN PERFORM pg_sleep(60); END IF; END $$; \
                     CREATE EVENT TRIGGER fault_sleep ON ddl_command_end EXECUTE FUNCTION fault_sleep_ddl();"
                        .to_string(),
                );
            }
            Step::InsertRow => {
                "CREATE TRIGGER fault BEFORE INSERT ON _prisma_migrations FOR EACH ROW"
            }
            Step::Count => {
                "CREATE TRIGGER fault BEFORE UPDATE ON _prisma_migrations FOR EACH ROW WHEN (NEW.applied_steps_count <> OLD.applied_steps_count)"
            }
            Step::Finish => {
                "CREATE TRIGGER fault BEFORE UPDATE ON _prisma_migrations FOR EACH ROW WHEN (NEW.finished_at IS NOT NULL AND OLD.finished_at IS NULL)"
            }
            // Deferred: fires at COMMIT.
            Step::Commit => {
                "CREATE CONSTRAINT TRIGGER fault AFTER UPDATE ON _prisma_migrations DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.finished_at IS NOT NULL)"
            }
        };
        Some(format!("{SLEEP} {trigger} EXECUTE FUNCTION fault_sleep();"))
    }

    fn unhook(self) -> &'static str {
        match self {
            Step::CreateLedger => "DROP EVENT TRIGGER fault_sleep;",
            Step::Script => "",
            _ => "DROP TRIGGER fault ON _prisma_migrations;",
        }
    }
}

const FIRST: &str = "20250101000000_first";
const SECOND: &str = "20250101000001_second";

/// A transactional migration killed at `step`: nothing of it persists, the ledger has no row
/// for it, and the next run (hook removed) applies it.
fn kill_transactional_at(step: Step, prefix: &str) {
    let repo = TempRepo::new();
    let url = fresh_database(prefix);
    repo.migration("svc", FIRST, "CREATE TABLE a (id int);\n");
    let second = "CREATE TABLE b (id int);\nCREATE TABLE c (id int);\n";
    if let Step::CreateLedger = step {
        // Killed while creating the ledger of a new database: the first migration is the one.
        sql(&url, &step.hook().unwrap());
    } else {
        assert_eq!(migrate(&repo, &url, &[]).code, 0);
        arm(step, &repo, &url, second);
    }
    kill_during_sleep(&repo, &url);

    if let Step::CreateLedger = step {
        assert!(!exists(&url, "a") && !exists(&url, "_prisma_migrations"));
    } else {
        assert!(exists(&url, "a"));
        assert!(
            !exists(&url, "b") && !exists(&url, "c"),
            "{step:?}: part of the migration persisted"
        );
        assert_eq!(ledger(&url), [row(FIRST, true)], "{step:?}");
    }

    sql(&url, step.unhook());
    repo.migration("svc", SECOND, second);
    let out = migrate(&repo, &url, &["--lock-timeout", "5s"]);
    assert_eq!(out.code, 0, "{step:?}: {}\n{}", out.stdout, out.stderr);
    assert!(exists(&url, "a") && exists(&url, "b") && exists(&url, "c"));
    assert_eq!(ledger(&url), [row(FIRST, true), row(SECOND, true)]);
}

#[test]
fn killed_while_creating_the_ledger() {
    kill_transactional_at(Step::CreateLedger, "kill_ledger");
}

#[test]
fn killed_while_inserting_the_row() {
    kill_transactional_at(Step::InsertRow, "kill_insert");
}

#[test]
fn killed_inside_the_migration() {
    kill_transactional_at(Step::Script, "kill_script");
}

#[test]
fn killed_while_counting_the_step() {
    kill_transactional_at(Step::Count, "kill_count");
}

#[test]
fn killed_while_recording_the_finish() {
    kill_transactional_at(Step::Finish, "kill_finish");
}

#[test]
fn killed_while_committing() {
    kill_transactional_at(Step::Commit, "kill_commit");
}

/// Makes the next deploy of SECOND sleep at `step`: installs the step's hook and writes SECOND,
/// or, for the script itself, writes SECOND with a `pg_sleep` after its first statement.
fn arm(step: Step, repo: &TempRepo, url: &DatabaseUrl, second: &str) {
    match step.hook() {
        Some(hook) => {
            sql(url, &hook);
            repo.migration("svc", SECOND, second);
        }
        None => {
            let (first, rest) = second.split_once('\n').unwrap();
            repo.migration(
                "svc",
                SECOND,
                &format!("{first}\nSELECT pg_sleep(60);\n{rest}"),
            );
        }
    }
}

/// A statement-by-statement migration (CREATE INDEX CONCURRENTLY) killed at `step`. Killed
/// before its row committed (the INSERT), nothing of it ran and the next run applies it;
/// after, the next run stops with P3009 and the resolve commands, and `resolve --applied`
/// (once every statement took effect) lets the deploy go on.
fn kill_statement_by_statement_at(step: Step, prefix: &str) {
    let repo = TempRepo::new();
    let url = fresh_database(prefix);
    repo.migration("svc", FIRST, "CREATE TABLE a (id int);\n");
    assert_eq!(migrate(&repo, &url, &[]).code, 0);
    let second = "CREATE INDEX CONCURRENTLY a_id_idx ON a (id);\nCREATE TABLE c (id int);\n";
    arm(step, &repo, &url, second);
    kill_during_sleep(&repo, &url);
    sql(&url, step.unhook());

    match step {
        Step::InsertRow => {
            assert!(!exists(&url, "a_id_idx") && !exists(&url, "c"));
            assert_eq!(ledger(&url), [row(FIRST, true)]);
            repo.migration("svc", SECOND, second);
            let out = migrate(&repo, &url, &["--lock-timeout", "5s"]);
            assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
        }
        Step::Script | Step::Finish => {
            // Script: statement 1 committed on its own. Finish: every statement did; the
            // finish updates are one transaction, so the row is unfinished, never half-counted.
            let all_ran = matches!(step, Step::Finish);
            assert!(exists(&url, "a_id_idx"));
            assert_eq!(exists(&url, "c"), all_ran);
            assert_eq!(ledger(&url), [row(FIRST, true), row(SECOND, false)]);
            let mut c = shared_migrate::connect(&url).unwrap();
            let steps: i32 = c
                .query_one(
                    "SELECT applied_steps_count FROM _prisma_migrations WHERE migration_name = $1",
                    &[&SECOND],
                )
                .unwrap()
                .get(0);
            assert_eq!(steps, 0, "the step was counted on an unfinished row");
            let out = migrate(&repo, &url, &["--lock-timeout", "5s"]);
            assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
            assert!(
                out.stdout.contains("P3009")
                    && out.stdout.contains("without logs: the deployer stopped")
                    && out.stdout.contains(&format!(
                        "cargo xtask resolve --service svc --applied {SECOND}"
                    )),
                "{}",
                out.stdout
            );
            if !all_ran {
                sql(&url, "CREATE TABLE c (id int);");
            }
            let out = run(xtask(repo.root())
                .args(["resolve", "-s", "svc", "--applied", SECOND])
                .env("SVC_DATABASE_URL", url.expose()));
            assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
            assert_eq!(migrate(&repo, &url, &[]).code, 0);
        }
        _ => unreachable!("{step:?}"),
    }
    assert!(exists(&url, "a_id_idx") && exists(&url, "c"));
    let applied: Vec<_> = ledger(&url).into_iter().filter(|(_, f)| *f).collect();
    assert_eq!(applied, [row(FIRST, true), row(SECOND, true)]);
}

#[test]
fn statement_by_statement_killed_while_inserting_the_row() {
    kill_statement_by_statement_at(Step::InsertRow, "kill_nontx_insert");
}

#[test]
fn statement_by_statement_killed_between_statements() {
    kill_statement_by_statement_at(Step::Script, "kill_nontx_script");
}

#[test]
fn statement_by_statement_killed_while_recording_the_finish() {
    kill_statement_by_statement_at(Step::Finish, "kill_nontx_finish");
}

// --- the server goes away ---------------------------------------------------------------------

const SECRET: &str = "s3cr3t-Fault";

/// A private server (it is stopped and restarted) whose TCP connections need a password,
/// with a role `app` (password SECRET, no CREATEDB) owning database `app`.
struct Server {
    cluster: LocalCluster,
    _template: Template,
}

impl Server {
    fn start() -> Server {
        let (cluster, template) = LocalCluster::start().expect("private cluster");
        let hba = "local all all trust\nhost all postgres 127.0.0.1/32 trust\nhost all all 127.0.0.1/32 scram-sha-256\n";
        std::fs::write(cluster.dir().join("data/pg_hba.conf"), hba).unwrap();
        let admin = cluster.url("postgres");
        sql(&admin, "SELECT pg_reload_conf()");
        sql(
            &admin,
            &format!("CREATE ROLE app LOGIN PASSWORD '{SECRET}'"),
        );
        sql(&admin, "CREATE DATABASE app OWNER app");
        // The throwaway cluster acknowledges commits before writing them (synchronous_commit
        // off); a crash test needs a committed migration to survive the crash.
        sql(&admin, "ALTER DATABASE app SET synchronous_commit = on");
        Server {
            cluster,
            _template: template,
        }
    }

    /// `app`'s URL of `dbname`, with `password`.
    fn url(&self, dbname: &str, password: &str) -> String {
        format!(
            "postgresql://app:{password}@127.0.0.1:{}/{dbname}?connect_timeout=5",
            self.cluster.port()
        )
    }

    fn admin(&self, dbname: &str) -> DatabaseUrl {
        self.cluster.url(dbname)
    }
}

fn migrate_url(repo: &TempRepo, url: &str, extra: &[&str]) -> Out {
    common::run_hiding(
        "migrate",
        xtask(repo.root())
            .arg("migrate")
            .args(extra)
            .env("SVC_DATABASE_URL", url),
        SECRET,
    )
}

#[test]
fn server_stopped_immediately_mid_migration_then_restarted() {
    let mut server = Server::start();
    let url = server.url("app", SECRET);
    let admin = server.admin("app");
    let repo = TempRepo::new();
    repo.migration("svc", FIRST, "CREATE TABLE a (id int);\n");
    repo.migration(
        "svc",
        SECOND,
        "CREATE TABLE b (id int);\nSELECT pg_sleep(60);\nCREATE TABLE c (id int);\n",
    );
    let stdout = crash_during_sleep(&mut server, &repo, &url);
    assert!(
        stdout.contains("Nothing of this migration persisted")
            && stdout.contains("The connection to the database was lost")
            && stdout.contains("run `cargo xtask migrate --service svc` again"),
        "{stdout}"
    );

    // Crash recovery keeps the first migration and nothing of the second.
    server.cluster.restart().unwrap();
    assert!(exists(&admin, "a") && !exists(&admin, "b"));
    assert_eq!(ledger(&admin), [row(FIRST, true)]);
    repo.migration(
        "svc",
        SECOND,
        "CREATE TABLE b (id int);\nCREATE TABLE c (id int);\n",
    );
    let out = migrate_url(&repo, &url, &[]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(ledger(&admin), [row(FIRST, true), row(SECOND, true)]);

    // A statement-by-statement migration: what committed before the crash stays, the row
    // stays unfinished, and the next deploy stops with the resolve commands.
    const THIRD: &str = "20250101000002_third";
    repo.migration(
        "svc",
        THIRD,
        "CREATE INDEX CONCURRENTLY a_idx ON a (id);\nSELECT pg_sleep(60);\nCREATE TABLE e (id int);\n",
    );
    let stdout = crash_during_sleep(&mut server, &repo, &url);
    assert!(
        stdout.contains("Statements 1 to 1 of 3 were committed")
            && stdout.contains("the migration's row stays unfinished"),
        "{stdout}"
    );
    server.cluster.restart().unwrap();
    assert!(exists(&admin, "a_idx") && !exists(&admin, "e"));
    assert_eq!(
        ledger(&admin),
        [row(FIRST, true), row(SECOND, true), row(THIRD, false)]
    );
    let out = migrate_url(&repo, &url, &[]);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("P3009")
            && out.stdout.contains(&format!(
                "cargo xtask resolve --service svc --rolled-back {THIRD}"
            )),
        "{}",
        out.stdout
    );
}

/// Starts `migrate`, waits until it is inside a `pg_sleep`, stops the server with `pg_ctl stop
/// -m immediate`, and requires exit code 4 with no password shown. Returns stdout.
fn crash_during_sleep(server: &mut Server, repo: &TempRepo, url: &str) -> String {
    let admin = server.admin("app");
    let child = spawn(
        xtask(repo.root())
            .arg("migrate")
            .env("SVC_DATABASE_URL", url),
    );
    wait_for(Duration::from_secs(20), Duration::from_millis(20), || {
        sleeping(&admin)
    });
    assert!(sleeping(&admin), "migrate never reached the pg_sleep");
    server.cluster.pg_ctl_stop("immediate").unwrap();
    let out = child.wait_with_output().unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(out.status.code(), Some(4), "{stdout}\n{stderr}");
    assert!(!stdout.contains(SECRET) && !stderr.contains(SECRET));
    stdout
}

#[test]
fn server_restarted_while_waiting_for_the_lock() {
    let mut server = Server::start();
    let url = server.url("app", SECRET);
    let repo = TempRepo::new();
    repo.migration("svc", FIRST, "CREATE TABLE a (id int);\n");
    let mut holder = shared_migrate::connect(&server.admin("app")).unwrap();
    holder
        .execute("SELECT pg_advisory_lock(72707369)", &[])
        .unwrap();
    let child = spawn(
        xtask(repo.root())
            .args(["migrate", "--lock-timeout", "60s"])
            .env("SVC_DATABASE_URL", &url),
    );
    // Stopped once migrate polls for the lock (its session's last query).
    let mut waiting = || {
        holder
            .query_one(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'cargo-xtask-migrate' \
                 AND query LIKE '%pg_try_advisory_lock%' AND pid <> pg_backend_pid()",
                &[],
            )
            .map(|r| r.get::<_, i64>(0) > 0)
            .unwrap_or(false)
    };
    wait_for(
        Duration::from_secs(20),
        Duration::from_millis(20),
        &mut waiting,
    );
    assert!(waiting(), "migrate never connected to wait for the lock");
    server.cluster.pg_ctl_stop("fast").unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(4), "{stdout}");
    assert!(
        stdout.contains("taking the migration lock: the connection to the database was lost")
            && !stdout.contains(SECRET),
        "{stdout}"
    );
    server.cluster.restart().unwrap();
    let out = migrate_url(&repo, &url, &[]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
}

/// Each connection fault: its exit code, and what the message says (with the URL redacted).
#[test]
fn connection_faults_exit_4_or_5_with_a_redacted_reason() {
    let server = Server::start();
    let repo = TempRepo::new();
    repo.migration("svc", FIRST, "CREATE TABLE a (id int);\n");
    let cases: [(&str, String, &[&str], i32, &str); 4] = [
        (
            "unreachable host",
            format!("postgresql://app:{SECRET}@127.0.0.1:1/app?connect_timeout=2"),
            &[],
            4,
            "cannot connect to postgresql://app:***@127.0.0.1:1/app",
        ),
        (
            "wrong password",
            server.url("app", "not-the-password"),
            &[],
            4,
            "authentication failed for user `app`: check the user name and password of the URL",
        ),
        (
            "missing database, no right to create it",
            server.url("nope", SECRET),
            &[],
            4,
            "the database `nope` does not exist and could not be created: ERROR: permission denied to create database",
        ),
        (
            "lock held by another deployer",
            server.url("app", SECRET),
            &["--lock-timeout", "300ms"],
            5,
            "timed out after 300ms waiting for the migration lock",
        ),
    ];
    let mut holder = shared_migrate::connect(&server.admin("app")).unwrap();
    holder
        .execute("SELECT pg_advisory_lock(72707369)", &[])
        .unwrap();
    for (what, url, extra, code, says) in cases {
        let out = migrate_url(&repo, &url, extra);
        assert_eq!(out.code, code, "{what}: {}\n{}", out.stdout, out.stderr);
        assert!(out.stdout.contains(says), "{what}: {}", out.stdout);
        if code == 4 {
            assert!(
                out.stdout.contains("app:***@127.0.0.1:"),
                "{what}: URL not shown redacted: {}",
                out.stdout
            );
        }
        let json = run(xtask(repo.root())
            .args(["status", "--format", "json"])
            .env("SVC_DATABASE_URL", &url));
        assert!(!json.stdout.contains(SECRET), "{what}: {}", json.stdout);
    }
    // Nothing was applied by any of them.
    assert!(!exists(&server.admin("app"), "a"));
}
