//! `migrate` against a real PostgreSQL: every ledger transition, failures, the statement-by-
//! statement path, history warnings, and taking over a database the Prisma CLI wrote.

use postgres::Client;
use shared_migrate::DatabaseUrl;
use shared_migrate::ExitCode;
use shared_migrate::Service;
use shared_migrate::connect;
use shared_migrate::migrate_service;
use shared_migrate::{MigrateOptions, MigrateReport, MigrateTarget, MigrationLock, migrate_all};
use shared_migrate::{Resolution, State, resolve, status_service};
use test_support::{TempRepo, fresh_database};

fn quiet(_: &str, _: &str) {}

fn migrate(service: &Service, url: &DatabaseUrl) -> MigrateReport {
    migrate_service(service, Ok(url.clone()), &MigrateOptions::default(), &quiet)
}

fn client(url: &DatabaseUrl) -> Client {
    let mut c = connect(url).unwrap();
    c.batch_execute(&format!("SET search_path TO \"{}\"", url.schema))
        .unwrap();
    c
}

#[derive(Debug)]
struct LedgerRow {
    id: String,
    checksum: String,
    name: String,
    finished: bool,
    rolled_back: bool,
    logs: Option<String>,
    steps: i32,
    started_eq_finished: bool,
}

fn ledger(url: &DatabaseUrl) -> Vec<LedgerRow> {
    client(url)
        .query(
            "SELECT id, checksum, migration_name, finished_at IS NOT NULL, rolled_back_at IS NOT NULL, logs, \
                    applied_steps_count, started_at = finished_at FROM _prisma_migrations ORDER BY started_at, migration_name",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| LedgerRow {
            id: r.get(0),
            checksum: r.get(1),
            name: r.get(2),
            finished: r.get(3),
            rolled_back: r.get(4),
            logs: r.get(5),
            steps: r.get(6),
            started_eq_finished: r.get::<_, Option<bool>>(7).unwrap_or(false),
        })
        .collect()
}

fn table_exists(url: &DatabaseUrl, table: &str) -> bool {
    client(url)
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM pg_tables WHERE schemaname = $1 AND tablename = $2)",
            &[&url.schema, &table],
        )
        .unwrap()
        .get(0)
}

fn is_uuid_v4(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.iter().map(|p| p.len()).collect::<Vec<_>>() == [8, 4, 4, 4, 12]
        && s.chars()
            .all(|c| c == '-' || c.is_ascii_digit() || ('a'..='f').contains(&c))
        && parts[2].starts_with('4')
}

#[test]
fn success_rows_are_written_as_prisma_writes_them() {
    let repo = TempRepo::new();
    let sql = "CREATE TABLE \"a\" (\"id\" INTEGER NOT NULL);\n";
    repo.migration("svc", "20250101000000_create_a", sql);
    let url = fresh_database("rows");
    let r = migrate(&repo.service("svc"), &url);
    r.result.unwrap();
    assert_eq!(r.applied.len(), 1);
    assert!(r.applied[0].transactional);
    let rows = ledger(&url);
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    assert!(is_uuid_v4(&row.id), "{}", row.id);
    assert_eq!(row.checksum, shared_migrate::checksum(sql.as_bytes()));
    assert_eq!(row.name, "20250101000000_create_a");
    assert!(row.finished && !row.rolled_back);
    assert_eq!(row.logs, None);
    assert_eq!(row.steps, 1);
    // The table's definition is Prisma's, column for column.
    let cols: Vec<(String, String, String)> = client(&url)
        .query(
            "SELECT column_name::text, data_type::text, is_nullable::text FROM information_schema.columns \
             WHERE table_name = '_prisma_migrations' ORDER BY ordinal_position",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    let expected = [
        ("id", "character varying", "NO"),
        ("checksum", "character varying", "NO"),
        ("finished_at", "timestamp with time zone", "YES"),
        ("migration_name", "character varying", "NO"),
        ("logs", "text", "YES"),
        ("rolled_back_at", "timestamp with time zone", "YES"),
        ("started_at", "timestamp with time zone", "NO"),
        ("applied_steps_count", "integer", "NO"),
    ];
    let got: Vec<(&str, &str, &str)> = cols
        .iter()
        .map(|(a, b, c)| (a.as_str(), b.as_str(), c.as_str()))
        .collect();
    assert_eq!(got, expected);

    // A second run applies nothing.
    let again = migrate(&repo.service("svc"), &url);
    again.result.unwrap();
    assert!(again.applied.is_empty());
    assert_eq!(ledger(&url).len(), 1);
}

#[test]
fn a_failed_migration_persists_nothing_is_recorded_and_blocks_until_resolved() {
    let repo = TempRepo::new();
    repo.migration(
        "svc",
        "20250101000000_create_a",
        "CREATE TABLE \"a\" (\"id\" INTEGER);\n",
    );
    let bad = repo.migration(
        "svc",
        "20250102000000_add_b",
        "-- CreateTable\nCREATE TABLE \"b\" (\"id\" INTEGER);\n\nALTER TABLE \"a\" ADD COLUMN \"x\" TEXT;\nALTER TABLE \"missing\" ADD COLUMN \"y\" TEXT;\n",
    );
    repo.migration(
        "svc",
        "20250103000000_create_c",
        "CREATE TABLE \"c\" (\"id\" INTEGER);\n",
    );
    let url = fresh_database("fail");
    let service = repo.service("svc");
    let r = migrate(&service, &url);
    let err = r.result.unwrap_err();
    assert_eq!(err.exit_code(), ExitCode::Failure);
    let text = err.to_string();
    assert!(text.contains(&format!("{}:5:1", bad.display())), "{text}");
    assert!(text.contains("42P01"), "{text}");
    assert!(text.contains("ALTER TABLE \"missing\""), "snippet: {text}");
    assert!(
        text.contains("Nothing of this migration persisted"),
        "{text}"
    );
    assert!(
        text.contains("cargo xtask resolve --service svc --rolled-back 20250102000000_add_b"),
        "{text}"
    );
    assert_eq!(r.applied.len(), 1);
    // Nothing of the failed migration persisted, the next did not run.
    assert!(table_exists(&url, "a") && !table_exists(&url, "b") && !table_exists(&url, "c"));
    let rows = ledger(&url);
    assert_eq!(rows.len(), 2);
    let failed = &rows[1];
    assert_eq!(failed.name, "20250102000000_add_b");
    assert!(!failed.finished && !failed.rolled_back);
    assert_eq!(failed.steps, 0);
    assert!(failed.logs.as_deref().unwrap().contains("42P01"));

    // The next deploy refuses (P3009), naming the migration and the way out.
    let blocked = migrate(&service, &url).result.unwrap_err().to_string();
    assert!(
        blocked.contains("failed migrations") && blocked.contains("20250102000000_add_b"),
        "{blocked}"
    );
    assert!(
        blocked.contains("--rolled-back 20250102000000_add_b"),
        "{blocked}"
    );

    // Fix the file, resolve, deploy: the migration is applied as a new row.
    std::fs::write(&bad, "CREATE TABLE \"b\" (\"id\" INTEGER);\n").unwrap();
    let timeout = MigrationLock::prisma(std::time::Duration::from_secs(5));
    resolve(
        &service,
        &url,
        "20250102000000_add_b",
        Resolution::RolledBack,
        timeout,
    )
    .unwrap();
    let rows = ledger(&url);
    assert!(rows[1].rolled_back && !rows[1].finished);
    let r = migrate(&service, &url);
    r.result.unwrap();
    assert_eq!(r.applied.len(), 2);
    let rows = ledger(&url);
    assert_eq!(rows.len(), 4);
    assert!(
        rows.iter()
            .filter(|r| r.name == "20250102000000_add_b")
            .any(|r| r.finished && !r.rolled_back)
    );
    assert!(table_exists(&url, "b") && table_exists(&url, "c"));
}

#[test]
fn resolve_applied_records_without_running_and_refuses_prismas_cases() {
    let repo = TempRepo::new();
    repo.migration(
        "svc",
        "20250101000000_create_a",
        "CREATE TABLE \"a\" (\"id\" INTEGER);\n",
    );
    repo.migration(
        "svc",
        "20250102000000_create_b",
        "CREATE TABLE \"b\" (\"id\" INTEGER);\n",
    );
    let url = fresh_database("resolve");
    let service = repo.service("svc");
    let t = MigrationLock::prisma(std::time::Duration::from_secs(5));
    use Resolution::*;

    // Baselining a database without a ledger: the table is created, the SQL not run.
    resolve(&service, &url, "20250101000000_create_a", Applied, t).unwrap();
    assert!(!table_exists(&url, "a"));
    let rows = ledger(&url);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].logs.as_deref(), Some(""));
    assert_eq!(rows[0].steps, 0);
    assert!(rows[0].finished && rows[0].started_eq_finished);

    let e = resolve(&service, &url, "20250101000000_create_a", Applied, t)
        .unwrap_err()
        .to_string();
    assert!(e.contains("P3008"), "{e}");
    let e = resolve(&service, &url, "20250109000000_nope", Applied, t)
        .unwrap_err()
        .to_string();
    assert!(e.contains("P3017"), "{e}");
    let e = resolve(&service, &url, "20250102000000_create_b", RolledBack, t)
        .unwrap_err()
        .to_string();
    assert!(e.contains("P3011"), "{e}");
    let e = resolve(&service, &url, "20250101000000_create_a", RolledBack, t)
        .unwrap_err()
        .to_string();
    assert!(e.contains("P3012"), "{e}");

    // Deploy then applies only the second.
    let r = migrate(&service, &url);
    r.result.unwrap();
    assert_eq!(
        r.applied
            .iter()
            .map(|a| a.name.as_str())
            .collect::<Vec<_>>(),
        ["20250102000000_create_b"]
    );
    assert!(!table_exists(&url, "a") && table_exists(&url, "b"));
}

#[test]
fn resolve_applied_on_a_failed_migration_rolls_back_its_rows_first() {
    let repo = TempRepo::new();
    repo.migration(
        "svc",
        "20250101000000_create_a",
        "CREATE TABLE \"a\" (\"id\" INTEGER); SELECT 1/0;",
    );
    let url = fresh_database("resolve_failed");
    let service = repo.service("svc");
    assert!(migrate(&service, &url).result.is_err());
    resolve(
        &service,
        &url,
        "20250101000000_create_a",
        Resolution::Applied,
        MigrationLock::prisma(std::time::Duration::from_secs(5)),
    )
    .unwrap();
    let rows = ledger(&url);
    assert_eq!(rows.len(), 2);
    assert!(rows[0].rolled_back && !rows[0].finished);
    assert!(rows[1].finished && !rows[1].rolled_back && rows[1].logs.as_deref() == Some(""));
    migrate(&service, &url).result.unwrap();
}

#[test]
fn non_empty_schema_without_ledger_is_refused() {
    let repo = TempRepo::new();
    repo.migration(
        "svc",
        "20250101000000_create_a",
        "CREATE TABLE \"a\" (\"id\" INTEGER);\n",
    );
    let url = fresh_database("nonempty");
    client(&url)
        .batch_execute("CREATE TABLE legacy (id int)")
        .unwrap();
    let e = migrate(&repo.service("svc"), &url)
        .result
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("not empty")
            && e.contains("legacy")
            && e.contains("cargo xtask baseline --service svc"),
        "{e}"
    );
    assert!(!table_exists(&url, "_prisma_migrations"));
}

#[test]
fn schema_parameter_and_missing_database_are_created() {
    let repo = TempRepo::new();
    repo.migration(
        "svc",
        "20250101000000_create_a",
        "CREATE TABLE \"a\" (\"id\" INTEGER);\n",
    );
    let base = fresh_database("schema");
    let url = DatabaseUrl::parse(
        &format!("{}", base.with_dbname(&format!("{}_new", base.dbname)))
            .replace("schema=public", "schema=edu"),
    )
    .unwrap();
    assert_eq!(url.schema, "edu");
    let r = migrate(&repo.service("svc"), &url);
    r.result.unwrap();
    assert!(r.database_created);
    assert!(table_exists(&url, "a") && table_exists(&url, "_prisma_migrations"));
    let mut c = connect(&url).unwrap();
    let public: bool = c
        .query_one("SELECT EXISTS (SELECT 1 FROM pg_tables WHERE schemaname = 'public' AND tablename = 'a')", &[])
        .unwrap()
        .get(0);
    assert!(!public);
}

#[test]
fn concurrently_runs_statement_by_statement_and_failure_part_way_is_reported() {
    let repo = TempRepo::new();
    repo.migration(
        "svc",
        "20250101000000_create_a",
        "CREATE TABLE \"a\" (\"id\" INTEGER, \"b\" TEXT);\n",
    );
    repo.migration(
        "svc",
        "20250102000000_index_a",
        "-- CreateIndex\nCREATE INDEX CONCURRENTLY \"a_b_idx\" ON \"a\"(\"b\");\nDROP INDEX CONCURRENTLY IF EXISTS \"nothing\";\nREINDEX INDEX CONCURRENTLY \"a_b_idx\"",
    );
    let url = fresh_database("concurrently");
    let service = repo.service("svc");
    let r = migrate(&service, &url);
    r.result.unwrap();
    assert!(!r.applied[1].transactional);
    let valid: bool = client(&url)
        .query_one(
            "SELECT indisvalid FROM pg_index WHERE indexrelid = 'a_b_idx'::regclass",
            &[],
        )
        .unwrap()
        .get(0);
    assert!(valid);
    let rows = ledger(&url);
    assert!(rows[1].finished && rows[1].steps == 1 && rows[1].logs.is_none());

    // Part way: the first statements stay, the ledger row is failed, the message says so.
    repo.migration(
        "svc",
        "20250103000000_index_and_break",
        "CREATE TABLE \"z\" (\"id\" INTEGER);\nCREATE INDEX CONCURRENTLY \"z_id_idx\" ON \"z\"(\"id\");\nALTER TABLE \"nope\" ADD COLUMN \"q\" TEXT;\nCREATE TABLE \"never\" (\"id\" INTEGER);\n",
    );
    let e = migrate(&service, &url).result.unwrap_err().to_string();
    assert!(e.contains("Statements 1 to 2 of 4 were committed"), "{e}");
    assert!(e.contains("index_and_break/migration.sql:3:1"), "{e}");
    assert!(table_exists(&url, "z") && !table_exists(&url, "never"));
    let rows = ledger(&url);
    let last = rows.last().unwrap();
    assert!(!last.finished && !last.rolled_back && last.logs.as_deref().unwrap().contains("42P01"));
}

#[test]
fn explicit_begin_commit_in_a_file_runs_atomically() {
    let repo = TempRepo::new();
    repo.copy_example("azora-wallet");
    let service = Service::new("azora-wallet", repo.root().join("services/azora-wallet")).unwrap();
    let url = fresh_database("wallet");
    let r = migrate(&service, &url);
    r.result.unwrap();
    let labels: Vec<String> = client(&url)
        .query("SELECT enumlabel::text FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid WHERE t.typname = 'TransactionType' ORDER BY enumsortorder", &[])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(labels, ["DEPOSIT", "WITHDRAWAL"]);
}

#[test]
fn parse_problems_are_refused_before_anything_is_applied() {
    let repo = TempRepo::new();
    repo.migration(
        "svc",
        "20250101000000_create_a",
        "CREATE TABLE \"a\" (\"id\" INTEGER);\n",
    );
    repo.migration(
        "svc",
        "20250102000000_begin_only",
        "BEGIN;\nCREATE TABLE \"b\" (\"id\" INTEGER);\n",
    );
    let url = fresh_database("refused");
    let e = migrate(&repo.service("svc"), &url).result.unwrap_err();
    assert_eq!(e.exit_code(), ExitCode::Usage);
    assert!(
        e.to_string().contains("begin_only/migration.sql:1:1"),
        "{e}"
    );
    // Not even the first (valid) migration was applied.
    assert!(!table_exists(&url, "a"));
    assert!(ledger(&url).is_empty());
}

#[test]
fn edited_missing_and_late_migrations_warn_and_strict_refuses() {
    let repo = TempRepo::new();
    let a = repo.migration(
        "svc",
        "20250101000000_create_a",
        "CREATE TABLE \"a\" (\"id\" INTEGER);\n",
    );
    let gone = repo.migration(
        "svc",
        "20250102000000_create_b",
        "CREATE TABLE \"b\" (\"id\" INTEGER);\n",
    );
    repo.migration(
        "svc",
        "20250104000000_create_d",
        "CREATE TABLE \"d\" (\"id\" INTEGER);\n",
    );
    let url = fresh_database("history");
    let service = repo.service("svc");
    migrate(&service, &url).result.unwrap();

    std::fs::write(&a, "CREATE TABLE \"a\" (\"id\" BIGINT);\n").unwrap();
    std::fs::remove_dir_all(gone.parent().unwrap()).unwrap();
    repo.migration(
        "svc",
        "20250103000000_create_c",
        "CREATE TABLE \"c\" (\"id\" INTEGER);\n",
    );

    let strict = MigrateOptions {
        strict: true,
        ..MigrateOptions::default()
    };
    let e = migrate_service(&service, Ok(url.clone()), &strict, &quiet)
        .result
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("20250101000000_create_a") && e.contains("edited"),
        "{e}"
    );
    assert!(
        e.contains("20250102000000_create_b") && e.contains("no local folder"),
        "{e}"
    );
    assert!(
        e.contains("20250103000000_create_c") && e.contains("older than"),
        "{e}"
    );
    assert!(!table_exists(&url, "c"));

    let r = migrate(&service, &url);
    r.result.unwrap();
    assert_eq!(r.warnings.len(), 3, "{:?}", r.warnings);
    assert!(table_exists(&url, "c"));

    let s = status_service(&service, Ok(url.clone()));
    assert_eq!(s.state, State::Problem);
    assert_eq!(s.edited, ["20250101000000_create_a"]);
    assert_eq!(s.missing_locally, ["20250102000000_create_b"]);
    assert_eq!(s.exit_code, ExitCode::Failure);
}

#[test]
fn status_distinguishes_up_to_date_pending_and_problems() {
    let repo = TempRepo::new();
    repo.migration(
        "svc",
        "20250101000000_create_a",
        "CREATE TABLE \"a\" (\"id\" INTEGER);\n",
    );
    let url = fresh_database("status");
    let service = repo.service("svc");
    // A fresh database: pending, and status creates nothing.
    let s = status_service(&service, Ok(url.clone()));
    assert_eq!(
        (s.state, s.exit_code, s.pending.len()),
        (State::Pending, ExitCode::Pending, 1)
    );
    assert!(!table_exists(&url, "_prisma_migrations"));
    migrate(&service, &url).result.unwrap();
    let s = status_service(&service, Ok(url.clone()));
    assert_eq!((s.state, s.exit_code), (State::UpToDate, ExitCode::Success));
    repo.migration("svc", "20250102000000_fail", "SELECT 1/0;");
    let _ = migrate(&service, &url);
    let s = status_service(&service, Ok(url.clone()));
    assert_eq!(s.state, State::Problem);
    assert_eq!(s.failed.len(), 1);
    assert!(s.failed[0].logs.as_deref().unwrap().contains("22012"));
    // Unreachable: a problem with the connection exit code.
    let dead =
        DatabaseUrl::parse("postgresql://u:secret@127.0.0.1:1/db?connect_timeout=2").unwrap();
    let s = status_service(&service, Ok(dead));
    assert_eq!(
        (s.state, s.exit_code),
        (State::Problem, ExitCode::Connection)
    );
    assert!(!s.error.unwrap().contains("secret"));
}

#[test]
fn takes_over_a_database_partly_migrated_by_prisma() {
    // Rows exactly as the Prisma CLI writes them, with CRLF files on the Prisma side.
    let repo = TempRepo::new();
    let a_sql = "CREATE TABLE \"a\" (\"id\" INTEGER);\r\n";
    repo.migration(
        "svc",
        "20250101000000_create_a",
        "CREATE TABLE \"a\" (\"id\" INTEGER);\n",
    );
    repo.migration(
        "svc",
        "20250102000000_create_b",
        "CREATE TABLE \"b\" (\"id\" INTEGER);\n",
    );
    let url = fresh_database("takeover");
    let mut c = client(&url);
    c.batch_execute(
        "CREATE TABLE _prisma_migrations (
            id VARCHAR(36) PRIMARY KEY NOT NULL, checksum VARCHAR(64) NOT NULL, finished_at TIMESTAMPTZ,
            migration_name VARCHAR(255) NOT NULL, logs TEXT, rolled_back_at TIMESTAMPTZ,
            started_at TIMESTAMPTZ NOT NULL DEFAULT now(), applied_steps_count INTEGER NOT NULL DEFAULT 0);
         CREATE TABLE \"a\" (\"id\" INTEGER);",
    )
    .unwrap();
    c.execute(
        "INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name, logs, started_at, applied_steps_count) \
         VALUES ('7d2a3f4e-4b1c-4c8e-9f00-1234567890ab', $1, now(), '20250101000000_create_a', NULL, now(), 1)",
        &[&shared_migrate::checksum(a_sql.as_bytes())],
    )
    .unwrap();
    let r = migrate(&repo.service("svc"), &url);
    r.result.unwrap();
    assert!(
        r.warnings.is_empty(),
        "line endings are not edits: {:?}",
        r.warnings
    );
    assert_eq!(r.applied.len(), 1);
    assert!(table_exists(&url, "b"));
}

#[test]
fn services_run_in_parallel_and_one_failure_does_not_stop_the_others() {
    let repo = TempRepo::new();
    let mut targets = Vec::new();
    for i in 0..4 {
        let name = format!("svc{i}");
        repo.migration(
            &name,
            "20250101000000_create_a",
            "CREATE TABLE \"a\" (\"id\" INTEGER); SELECT pg_sleep(0.2);",
        );
        if i == 1 {
            repo.migration(&name, "20250102000000_broken", "SELEC 1;");
        }
        targets.push(MigrateTarget {
            service: repo.service(&name),
            url: Ok(fresh_database("par")),
            origin: None,
            waits: Default::default(),
        });
    }
    // One service without a URL at all.
    targets.push(MigrateTarget {
        service: repo.service("svc_nourl"),
        url: Err(shared_migrate::Error::NoDatabaseUrl {
            service: "svc_nourl".into(),
            places: "X".into(),
        }),
        origin: None,
        waits: Default::default(),
    });
    let start = std::time::Instant::now();
    let reports = migrate_all(
        targets,
        &MigrateOptions {
            jobs: 4,
            ..MigrateOptions::default()
        },
        &quiet,
    );
    let elapsed = start.elapsed();
    assert_eq!(
        reports
            .iter()
            .map(|r| r.service.as_str())
            .collect::<Vec<_>>(),
        ["svc0", "svc1", "svc2", "svc3", "svc_nourl"]
    );
    assert!(reports[0].result.is_ok() && reports[2].result.is_ok() && reports[3].result.is_ok());
    assert!(reports[1].result.is_err() && reports[4].result.is_err());
    assert_eq!(reports[1].applied.len(), 1);
    // Four 0.2 s migrations on four threads: well under the 0.8 s they take in a row.
    assert!(elapsed.as_secs_f64() < 0.75, "{elapsed:?}");
}

#[test]
fn lock_held_by_another_session_times_out_naming_the_holder() {
    let repo = TempRepo::new();
    repo.migration(
        "svc",
        "20250101000000_create_a",
        "CREATE TABLE \"a\" (\"id\" INTEGER);\n",
    );
    let url = fresh_database("lock");
    let mut holder = connect(&url).unwrap();
    holder
        .execute("SELECT pg_advisory_lock(72707369)", &[])
        .unwrap();
    let options = MigrateOptions {
        lock_timeout: std::time::Duration::from_millis(300),
        ..MigrateOptions::default()
    };
    let e = migrate_service(&repo.service("svc"), Ok(url.clone()), &options, &quiet)
        .result
        .unwrap_err();
    assert_eq!(e.exit_code(), ExitCode::LockTimeout);
    let text = e.to_string();
    assert!(
        text.contains("300ms") && text.contains("held by pid"),
        "{text}"
    );
    holder
        .execute("SELECT pg_advisory_unlock(72707369)", &[])
        .unwrap();
    migrate_service(&repo.service("svc"), Ok(url.clone()), &options, &quiet)
        .result
        .unwrap();
}

#[test]
fn error_in_a_function_body_and_no_trailing_semicolon_are_handled() {
    let repo = TempRepo::new();
    repo.migration(
        "svc",
        "20250101000000_function",
        "CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $body$\nBEGIN\n  RETURN 1; -- ; inside\nEND;\n$body$;\nDO $$ BEGIN PERFORM f(); END $$\n",
    );
    let url = fresh_database("func");
    migrate(&repo.service("svc"), &url).result.unwrap();
}

/// A file sent whole after its start row (one message), the finish row in the next: whatever it
/// leaves open at its end (a line comment without a newline, a string, a quoted name, a block
/// comment, a dollar quote) cannot swallow a row. A comment is closed and the migration applies, its row finished after it
/// started; the others fail to parse, nothing of them persists, and the failure is located as
/// before.
#[test]
fn a_file_ending_inside_a_comment_or_a_string_cannot_swallow_its_rows() {
    let ok = [
        "CREATE TABLE \"a\" (\"id\" INTEGER);\n-- a last comment, no newline",
        "CREATE TABLE \"a\" (\"id\" INTEGER)",
    ];
    for (i, sql) in ok.iter().enumerate() {
        let repo = TempRepo::new();
        repo.migration("svc", "20250101000000_create_a", sql);
        let url = fresh_database(&format!("tail_ok{i}"));
        migrate(&repo.service("svc"), &url).result.unwrap();
        assert!(table_exists(&url, "a"));
        let rows = ledger(&url);
        assert!(rows[0].finished && rows[0].steps == 1, "{sql}");
        let ordered: bool = client(&url)
            .query_one(
                "SELECT started_at <= finished_at FROM _prisma_migrations",
                &[],
            )
            .unwrap()
            .get(0);
        assert!(ordered);
    }
    let open = [
        "CREATE TABLE \"a\" (\"id\" INTEGER);\nSELECT 'an open string",
        "CREATE TABLE \"a\" (\"id\" INTEGER);\nSELECT E'an escaped \\' open string",
        "CREATE TABLE \"a\" (\"id\" INTEGER);\nSELECT \"an open name",
        "CREATE TABLE \"a\" (\"id\" INTEGER);\n/* an open /* nested */ comment",
        "CREATE TABLE \"a\" (\"id\" INTEGER);\nSELECT $q$ an open dollar quote",
    ];
    for (i, sql) in open.iter().enumerate() {
        let repo = TempRepo::new();
        repo.migration("svc", "20250101000000_create_a", sql);
        let url = fresh_database(&format!("tail_open{i}"));
        let r = migrate(&repo.service("svc"), &url);
        assert!(r.result.is_err(), "{sql}");
        assert!(!table_exists(&url, "a"), "nothing persisted: {sql}");
        let rows = ledger(&url);
        assert!(
            rows.iter().all(|r| !r.finished),
            "no finished row: {sql}: {rows:?}"
        );
    }
}
