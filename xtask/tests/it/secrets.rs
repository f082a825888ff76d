//! Security sweep: every command, in every output format, on success and on failure, with a
//! password in the database URL: the password appears nowhere we write (stdout, stderr, JSON,
//! JUnit, backup files, the ledger's rows). Configured seed and test commands run as argument
//! lists, never through a shell, and migration names reach SQL only as parameters.

use std::path::Path;
use std::process::Command;

use shared_migrate::DatabaseUrl;
use test_support::{TempRepo, fresh_database, with_cluster};

use crate::common;
use common::{Out, run};

const SECRET: &str = "Pw-s3cr3t-7f2e";

fn with_password(url: &DatabaseUrl) -> String {
    common::with_password(url, SECRET)
}

fn xtask(root: &Path) -> Command {
    let mut c = common::xtask(root);
    c.env_remove("SVC_DATABASE_URL");
    c
}

/// Runs and checks that neither stream shows the password.
fn clean(what: &str, cmd: &mut Command) -> Out {
    common::run_hiding(what, cmd, SECRET)
}

fn file_is_clean(what: &str, path: &Path) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{what}: {}: {e}", path.display()));
    assert!(
        !bytes.windows(SECRET.len()).any(|w| w == SECRET.as_bytes()),
        "{what}: password in {}",
        path.display()
    );
}

#[test]
fn no_command_prints_or_stores_the_password() {
    let repo = TempRepo::new();
    repo.migration(
        "svc",
        "20250101000000_create_a",
        "CREATE TABLE a (id int);\n",
    );
    let db = fresh_database("secrets");
    let url = with_password(&db);
    let out_dir = tempfile::tempdir().unwrap();
    let migrate = |args: &[&str]| {
        let what = format!("migrate {}", args.join(" "));
        clean(
            &what,
            xtask(repo.root())
                .arg("migrate")
                .args(args)
                .env("SVC_DATABASE_URL", &url),
        )
    };
    let backups = out_dir.path().join("backups");

    // Deploy paths, human and JSON.
    assert_eq!(migrate(&["--dry-run"]).code, 0);
    assert_eq!(migrate(&["--dry-run", "--format", "json"]).code, 0);
    assert_eq!(migrate(&["--format", "json"]).code, 0);
    repo.migration(
        "svc",
        "20250102000000_create_b",
        "CREATE TABLE b (id int);\n",
    );
    let out = migrate(&["--backup", backups.to_str().unwrap()]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains("to restore: pg_restore"),
        "{}",
        out.stderr
    );
    for entry in std::fs::read_dir(&backups).unwrap() {
        file_is_clean("backup", &entry.unwrap().path());
    }

    // A failing migration: the error, and the logs it leaves in the ledger.
    repo.migration(
        "svc",
        "20250103000000_add_c",
        "CREATE TABLE c (id int);\nSELECT 1/0;\n",
    );
    assert_eq!(migrate(&[]).code, 1);
    assert_eq!(migrate(&["--format", "json"]).code, 1);
    for args in [&["status"][..], &["status", "--format", "json"]] {
        let out = clean(
            "status",
            xtask(repo.root()).args(args).env("SVC_DATABASE_URL", &url),
        );
        assert_eq!(out.code, 1, "{}", out.stdout);
    }
    assert_eq!(
        clean(
            "resolve",
            xtask(repo.root())
                .args([
                    "resolve",
                    "-s",
                    "svc",
                    "--rolled-back",
                    "20250103000000_add_c"
                ])
                .env("SVC_DATABASE_URL", &url),
        )
        .code,
        0
    );
    repo.migration("svc", "20250103000000_add_c", "CREATE TABLE c (id int);\n");
    assert_eq!(migrate(&[]).code, 0);

    // Lock timeout and connection errors.
    let mut holder = shared_migrate::connect(&db).unwrap();
    holder
        .execute("SELECT pg_advisory_lock(72707369)", &[])
        .unwrap();
    repo.migration("svc", "20250104000000_add_d", "CREATE TABLE d (id int);\n");
    assert_eq!(migrate(&["--lock-timeout", "200ms"]).code, 5);
    drop(holder);
    let dead = format!("postgresql://u:{SECRET}@127.0.0.1:1/x?connect_timeout=2");
    for cmd in ["migrate", "status"] {
        let out = clean(
            cmd,
            xtask(repo.root()).arg(cmd).env("SVC_DATABASE_URL", &dead),
        );
        assert_eq!(out.code, 4, "{}", out.stdout);
    }
    let bad = format!("postgresql://u:{SECRET}@127.0.0.1:bad/x");
    assert_eq!(
        clean(
            "bad url",
            xtask(repo.root())
                .arg("migrate")
                .env("SVC_DATABASE_URL", &bad),
        )
        .code,
        2
    );
    // From a .env file as well.
    std::fs::write(
        repo.root().join("services/svc/.env"),
        format!("DATABASE_URL=\"{bad}\n"),
    )
    .unwrap();
    assert_eq!(clean("bad .env", xtask(repo.root()).arg("status")).code, 2);
    std::fs::remove_file(repo.root().join("services/svc/.env")).unwrap();

    // Baseline, reset, and the ledger they leave.
    let fresh = fresh_database("secrets_baseline");
    let fresh_url = with_password(&fresh);
    let out = clean(
        "baseline",
        xtask(repo.root()).args([
            "baseline",
            "-s",
            "svc",
            "--force",
            "--yes",
            "--database-url",
            &fresh_url,
        ]),
    );
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let out = clean(
        "reset",
        xtask(repo.root()).args(["reset", "-s", "svc", "--yes", "--database-url", &url]),
    );
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    for db in [&db, &fresh] {
        let mut c = shared_migrate::connect(db).unwrap();
        let leaked: i64 = c
            .query_one(
                "SELECT count(*) FROM _prisma_migrations AS m WHERE m::text LIKE '%' || $1 || '%'",
                &[&SECRET],
            )
            .unwrap()
            .get(0);
        assert_eq!(leaked, 0, "password in the ledger");
    }
}

#[test]
fn verify_shows_no_password_even_when_a_test_prints_its_url() {
    let repo = TempRepo::new();
    repo.migration(
        "svc",
        "20250101000000_create_a",
        "CREATE TABLE a (id int);\n",
    );
    // The test command prints the URL it was given, then fails: its output is shown.
    std::fs::write(
        repo.root().join("services/svc/xtask.toml"),
        "[verify]\ntest = [\"sh\", \"-c\", \"echo url=$DATABASE_URL pw=$PGPASSWORD; exit 3\"]\n",
    )
    .unwrap();
    let server = with_cluster(|c| with_password(&c.url("postgres")));
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("junit.xml");
    for format in ["human", "json"] {
        let out = clean(
            "verify",
            xtask(repo.root())
                .args(["verify", "--backend", "url", "--database-url", &server])
                .args(["--format", format, "--junit"])
                .arg(&junit),
        );
        assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
        assert!(out.stdout.contains("url=postgresql://"), "{}", out.stdout);
        file_is_clean("junit", &junit);
    }
}

#[test]
fn seed_and_test_commands_run_without_a_shell() {
    let repo = TempRepo::new();
    repo.migration(
        "svc",
        "20250101000000_create_a",
        "CREATE TABLE a (id int);\n",
    );
    // Were these run by a shell, `c`, `d` and `e` would be created.
    std::fs::write(
        repo.root().join("services/svc/xtask.toml"),
        "[verify]\nseed = [\"touch\", \"a b; touch c\", \"$(touch d)\"]\ntest = [\"touch\", \"`touch e`\", \"*\"]\n",
    )
    .unwrap();
    let server = with_cluster(|c| c.url("postgres"));
    let out = run(xtask(repo.root())
        .args(["verify", "--backend", "url", "--database-url"])
        .arg(server.expose()));
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let svc = repo.root().join("services/svc");
    for literal in ["a b; touch c", "$(touch d)", "`touch e`", "*"] {
        assert!(svc.join(literal).exists(), "{literal} was not passed as is");
    }
    for injected in ["c", "d", "e"] {
        assert!(
            !svc.join(injected).exists(),
            "a shell ran: {injected} exists"
        );
    }
}

#[test]
fn migration_names_reach_sql_only_as_parameters() {
    // Every command that writes or reads a migration name, with a name that would break out of
    // a quoted SQL literal or identifier.
    let repo = TempRepo::new();
    let name = "20250102000000_x'); DROP TABLE a; --\"";
    repo.migration(
        "svc",
        "20250101000000_create_a",
        "CREATE TABLE a (id int);\n",
    );
    repo.migration("svc", name, "SELECT 1/0;\n");
    let db = fresh_database("secrets_names");
    let cmd = |args: &[&str]| {
        run(xtask(repo.root())
            .args(args)
            .env("SVC_DATABASE_URL", db.expose()))
    };
    assert_eq!(cmd(&["migrate"]).code, 1);
    assert_eq!(cmd(&["status"]).code, 1);
    assert_eq!(cmd(&["resolve", "-s", "svc", "--applied", name]).code, 0);
    assert_eq!(cmd(&["status"]).code, 0);
    let out = cmd(&["new", "-s", "svc", "--revert", name]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let mut c = shared_migrate::connect(&db).unwrap();
    let rows: i64 = c
        .query_one(
            "SELECT count(*) FROM _prisma_migrations WHERE migration_name = $1",
            &[&name],
        )
        .unwrap()
        .get(0);
    // The failed row (rolled back by resolve) and the applied one.
    assert_eq!(rows, 2);
    let a: bool = c
        .query_one("SELECT to_regclass('a') IS NOT NULL", &[])
        .unwrap()
        .get(0);
    assert!(a, "table a was dropped");
}

/// URLs that do not parse, or parse into something else, because of how they are written: the
/// message never receives the text, and no part of the password shows (issue 29).
#[test]
fn badly_written_urls_never_show_their_password() {
    // Each password has two halves, so that a message showing a part is caught too.
    let urls = [
        "postgresql:/app:Pw1half-Pw2half@db.example.com/app",
        "postgres//app:Pw1half-Pw2half@db.example.com/app",
        "postgresql://app:Pw1half/Pw2half@db.example.com/app",
        "postgresql://app:Pw1half?Pw2half@db.example.com/app",
        "postgresql://app:Pw1half#Pw2half@db.example.com/app",
        "postgresql://app:Pw1half@Pw2half@127.0.0.1:1/app",
        "postgresql://app:123?sslmode=Pw1half-Pw2half@db.example.com/app",
        "prisma://accelerate.prisma-data.net/?api_key=Pw1half-Pw2half",
    ];
    let repo = {
        let repo = TempRepo::new();
        repo.migration("svc", "20250101000000_init", "CREATE TABLE a (id int);\n");
        repo
    };
    for url in urls {
        for args in [
            &["migrate"][..],
            &["status"],
            &["migrate", "--format", "json"],
        ] {
            let out = common::run(xtask(repo.root()).args(args).env("SVC_DATABASE_URL", url));
            let text = format!("{}{}", out.stdout, out.stderr);
            assert_ne!(out.code, 0, "{url}: {text}");
            for half in ["Pw1half", "Pw2half"] {
                assert!(
                    !text.contains(half),
                    "{url} {args:?}: `{half}` shown:\n{text}"
                );
            }
        }
    }
    // The shapes are named, so the user knows what to fix without seeing the value.
    for (url, named) in [(urls[0], "(two slashes)"), (urls[2], "percent-encode")] {
        let out = common::run(
            xtask(repo.root())
                .arg("migrate")
                .env("SVC_DATABASE_URL", url),
        );
        assert!(out.stdout.contains(named), "{}{}", out.stdout, out.stderr);
    }
}
