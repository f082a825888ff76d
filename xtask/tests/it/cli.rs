//! The `cargo xtask` binary end to end: exit codes, output, URL resolution and redaction, and
//! concurrent deployers, against the shared throwaway cluster.

use std::path::Path;
use std::process::Command;

use shared_migrate::DatabaseUrl;
use test_support::{TempRepo, fresh_database};

use crate::common;
use common::{Out, repo_root};

const SECRET: &str = "s3cr3t-Pw";

/// The binary with a clean environment (no inherited DATABASE_URL and the like).
fn xtask(root: &Path) -> Command {
    let mut c = common::xtask(root);
    c.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default());
    c
}

fn with_password(url: &DatabaseUrl) -> String {
    common::with_password(url, SECRET)
}

/// Runs, and checks that no password was printed.
fn run(cmd: &mut Command) -> Out {
    common::run_hiding("xtask", cmd, SECRET)
}

const EXAMPLES: [(&str, &str, usize); 3] = [
    ("azora-education", "AZORA_EDUCATION_DATABASE_URL", 7),
    ("azora-notifications", "AZORA_NOTIFICATIONS_DATABASE_URL", 3),
    ("azora-wallet", "AZORA_WALLET_DATABASE_URL", 4),
];

#[test]
fn examples_migrate_then_status_is_up_to_date() {
    let root = repo_root();
    let mut migrate = xtask(&root);
    migrate.arg("migrate");
    let mut status = xtask(&root);
    status.args(["status", "--format", "json"]);
    for (_, var, _) in EXAMPLES {
        let url = with_password(&fresh_database("cli_examples"));
        migrate.env(var, &url);
        status.env(var, &url);
    }
    let before = run(&mut status);
    assert_eq!(
        before.code, 3,
        "pending: {}{}",
        before.stdout, before.stderr
    );

    let out = run(&mut migrate);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    for (svc, _, n) in EXAMPLES {
        let line = out.stdout.lines().find(|l| l.starts_with(svc)).expect(svc);
        let cols: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(cols[1], n.to_string(), "{line}");
        assert_eq!(cols.last(), Some(&"ok"), "{line}");
    }
    assert!(
        out.stderr
            .contains("[azora-wallet] applied 20250202100000_index_transactions_wallet_id")
    );

    let after = run(&mut status);
    assert_eq!(after.code, 0, "{}{}", after.stdout, after.stderr);
    let json: serde_json::Value = serde_json::from_str(&after.stdout).unwrap();
    let arr = json.as_array().unwrap();
    assert_eq!(arr.len(), 3);
    for s in arr {
        assert_eq!(s["state"], "up_to_date");
        assert!(s["url"].as_str().unwrap().contains(":***@"));
    }
}

#[test]
fn usage_errors_exit_2_with_what_to_do() {
    let root = repo_root();
    let out = run(xtask(&root).args(["migrate", "--service", "nope"]));
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("unknown service `nope`")
            && out
                .stderr
                .contains("azora-education, azora-notifications, azora-wallet"),
        "{}",
        out.stderr
    );

    let out = run(xtask(&root).args(["migrate", "--service", "azora-wallet"]));
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("AZORA_WALLET_DATABASE_URL") && out.stdout.contains("prisma/.env"),
        "{}",
        out.stdout
    );

    let out = run(xtask(&root).args(["migrate", "--database-url", "postgresql://a@b/c"]));
    assert_eq!(out.code, 2);
    // One usage error, said once (not a FAILED row per service).
    assert_eq!(
        out.stderr
            .matches("--database-url applies to one service only")
            .count(),
        1,
        "{}{}",
        out.stdout,
        out.stderr
    );
    assert!(out.stdout.is_empty(), "{}", out.stdout);

    let out = run(xtask(&root).args([
        "migrate",
        "-s",
        "azora-wallet",
        "--database-url",
        &format!("mysql://u:{SECRET}@h/db"),
    ]));
    assert_eq!(out.code, 2);
    assert!(
        out.stdout
            .contains("from --database-url (the value is not shown")
            && out.stdout.contains("not PostgreSQL")
            && !out.stdout.contains(SECRET),
        "{}",
        out.stdout
    );

    let out = run(xtask(&root).args(["resolve", "--service", "azora-wallet"]));
    assert_eq!(out.code, 2, "clap usage error: {}", out.stderr);

    let out = run(xtask(Path::new("/")).args(["status"]));
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("no `services/` directory"),
        "{}",
        out.stderr
    );
}

#[test]
fn url_comes_from_env_then_dotenv_files_and_plain_database_url_only_for_one_service() {
    let repo = TempRepo::new();
    repo.migration(
        "alpha-svc",
        "20250101000000_create_a",
        "CREATE TABLE a (id int);",
    );
    repo.migration(
        "beta",
        "20250101000000_create_b",
        "CREATE TABLE b (id int);",
    );
    let a = fresh_database("cli_env");
    let b = fresh_database("cli_env");
    std::fs::write(
        repo.root().join("services/beta/prisma/.env"),
        format!("# comment\nDATABASE_URL=\"{}\"\n", with_password(&b)),
    )
    .unwrap();

    // Two services: the plain DATABASE_URL does not apply, alpha has no URL.
    let out = run(xtask(repo.root())
        .arg("migrate")
        .env("DATABASE_URL", with_password(&a)));
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout
            .contains("applies only when one service is selected"),
        "{}",
        out.stdout
    );

    // The service variable (dashes become underscores), and prisma/.env for beta.
    let out = run(xtask(repo.root())
        .arg("migrate")
        .env("ALPHA_SVC_DATABASE_URL", with_password(&a)));
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    // services/<svc>/.env wins over prisma/.env.
    let c = fresh_database("cli_env");
    std::fs::write(
        repo.root().join("services/beta/.env"),
        format!("DATABASE_URL={}\n", c.expose()),
    )
    .unwrap();
    let out = run(xtask(repo.root()).args(["status", "-s", "beta"]));
    assert_eq!(
        out.code, 3,
        "fresh database c is pending: {}{}",
        out.stdout, out.stderr
    );
    // One service: the plain DATABASE_URL applies and beats the .env files.
    let out = run(xtask(repo.root())
        .args(["status", "-s", "beta"])
        .env("DATABASE_URL", b.expose()));
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
}

#[test]
fn failure_exit_codes_and_resolve() {
    let repo = TempRepo::new();
    repo.migration("svc", "20250101000000_create_a", "CREATE TABLE a (id int);");
    let bad = repo.migration(
        "svc",
        "20250102000000_add_b",
        "CREATE TABLE b (id int);\nINSERT INTO b VALUES ('x');\n",
    );
    let url = with_password(&fresh_database("cli_fail"));
    let cmd = |args: &[&str]| {
        let mut c = xtask(repo.root());
        c.args(args).env("SVC_DATABASE_URL", &url);
        c
    };
    let out = run(&mut cmd(&["migrate"]));
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains(&format!("{}:2:23", bad.display())),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("22P02"), "{}", out.stdout);
    assert!(
        out.stdout
            .lines()
            .any(|l| l.starts_with("svc") && l.contains("1/2") && l.contains("FAILED")),
        "{}",
        out.stdout
    );

    let out = run(&mut cmd(&["status"]));
    assert_eq!(out.code, 1);
    assert!(
        out.stdout.contains("failed: 20250102000000_add_b"),
        "{}",
        out.stdout
    );

    let out = run(&mut cmd(&["migrate"]));
    assert_eq!(out.code, 1);
    assert!(out.stdout.contains("P3009"), "{}", out.stdout);

    std::fs::write(&bad, "CREATE TABLE b (id int);\n").unwrap();
    let out = run(&mut cmd(&[
        "resolve",
        "-s",
        "svc",
        "--rolled-back",
        "20250102000000_add_b",
    ]));
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let out = run(&mut cmd(&[
        "resolve",
        "-s",
        "svc",
        "--rolled-back",
        "20250102000000_add_b",
    ]));
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("P3012"), "{}", out.stderr);
    let out = run(&mut cmd(&["migrate"]));
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);

    // Unreachable server: exit 4, redacted.
    let dead = format!("postgresql://u:{SECRET}@127.0.0.1:1/db?connect_timeout=2");
    let out = run(xtask(repo.root())
        .args(["migrate"])
        .env("SVC_DATABASE_URL", &dead));
    assert_eq!(out.code, 4, "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("u:***@127.0.0.1:1"), "{}", out.stdout);

    // Lock held elsewhere: exit 5.
    let mut holder = shared_migrate::connect(&DatabaseUrl::parse(&url).unwrap()).unwrap();
    holder
        .execute("SELECT pg_advisory_lock(72707369)", &[])
        .unwrap();
    let out = run(&mut cmd(&["migrate", "--lock-timeout", "300ms"]));
    assert_eq!(out.code, 5, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains("waiting for the migration lock"),
        "{}",
        out.stderr
    );
}

#[test]
fn new_creates_a_well_named_migration_and_refuses_vague_names() {
    let repo = TempRepo::new();
    repo.service("svc");
    let out = run(xtask(repo.root()).args(["new", "--service", "svc", "add_student_grade"]));
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let dir = repo.root().join("services/svc/prisma/migrations");
    let names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with("_add_student_grade"))
        .collect();
    assert_eq!(names.len(), 1);
    assert!(
        shared_migrate::check_migration_name(&names[0], &shared_migrate::default_vague_words())
            .is_ok()
    );
    assert!(dir.join(&names[0]).join("migration.sql").is_file());
    assert!(
        std::fs::read_to_string(dir.join("migration_lock.toml"))
            .unwrap()
            .contains("provider = \"postgresql\"")
    );

    // A second one sorts after the first even within the same second.
    let out = run(xtask(repo.root()).args(["new", "-s", "svc", "add_student_country"]));
    assert_eq!(out.code, 0);
    let mut all: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| !n.ends_with(".toml"))
        .collect();
    all.sort();
    assert!(
        all.last().unwrap().ends_with("_add_student_country"),
        "{all:?}"
    );

    for bad in ["update", "fix", "AddThing", "add thing", "add__x"] {
        let out = run(xtask(repo.root()).args(["new", "-s", "svc", bad]));
        assert_eq!(out.code, 2, "{bad}: {}", out.stderr);
        assert!(
            out.stderr
                .contains(&format!("cannot create migration `{bad}`")),
            "{}",
            out.stderr
        );
    }
}

/// `new` refuses exactly the names lint's `vague-name` refuses: both read `[lint] vague_words`
/// and `extra_vague_words` of the repository's and the service's xtask.toml.
#[test]
fn new_and_lint_agree_on_configured_vague_words() {
    let repo = TempRepo::new();
    repo.service("svc");
    let svc = repo.root().join("services/svc");
    std::fs::write(
        repo.root().join("xtask.toml"),
        "[lint]\nextra_vague_words = [\"Refactor\"]\n",
    )
    .unwrap();
    std::fs::write(
        svc.join("xtask.toml"),
        "[lint]\nextra_vague_words = [\"tidy\"]\n",
    )
    .unwrap();
    // Configured words, the repository's (lower-cased) and the service's, are refused by new...
    for name in ["refactor", "tidy_refactor_2"] {
        let out = run(xtask(repo.root()).args(["new", "-s", "svc", name]));
        assert_eq!(out.code, 2, "{name}: {}{}", out.stdout, out.stderr);
        assert!(
            out.stderr.contains("does not say what changes"),
            "{name}: {}",
            out.stderr
        );
    }
    assert!(!svc.join("prisma/migrations").read_dir().unwrap().any(|e| {
        e.unwrap()
            .file_name()
            .to_string_lossy()
            .contains("refactor")
    }));
    // ... as lint refuses them in a folder made by hand.
    repo.migration("svc", "20250101000000_refactor", "SELECT 1;\n");
    let out = run(xtask(repo.root()).args(["lint", "-s", "svc"]));
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("vague-name"), "{}", out.stdout);
    std::fs::remove_dir_all(svc.join("prisma/migrations/20250101000000_refactor")).unwrap();

    // A replaced list: `update` is no longer vague for either, `sync` is.
    std::fs::write(svc.join("xtask.toml"), "[lint]\nvague_words = [\"sync\"]\n").unwrap();
    std::fs::remove_file(repo.root().join("xtask.toml")).unwrap();
    let out = run(xtask(repo.root()).args(["new", "-s", "svc", "update"]));
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let out = run(xtask(repo.root()).args(["new", "-s", "svc", "sync"]));
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    let out = run(xtask(repo.root()).args(["lint", "-s", "svc"]));
    assert!(!out.stdout.contains("vague-name"), "{}", out.stdout);

    // A broken configuration stops new as it stops lint, naming the file.
    std::fs::write(svc.join("xtask.toml"), "[lint]\nvague_wordz = []\n").unwrap();
    let out = run(xtask(repo.root()).args(["new", "-s", "svc", "add_grade"]));
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("xtask.toml:2:1"), "{}", out.stderr);
}

#[test]
fn eight_concurrent_deployers_apply_each_migration_once() {
    let repo = TempRepo::new();
    for i in 0..6 {
        repo.migration(
            "svc",
            &format!("2025010100000{i}_step_{i}"),
            &format!(
                "CREATE TABLE t{i} (id int); INSERT INTO t{i} VALUES (1); SELECT pg_sleep(0.05);"
            ),
        );
    }
    repo.migration(
        "svc",
        "20250101000010_index_concurrently",
        "CREATE INDEX CONCURRENTLY t0_id_idx ON t0 (id);",
    );
    let url = fresh_database("cli_concurrent");
    let children: Vec<_> = (0..8)
        .map(|_| {
            xtask(repo.root())
                .args(["migrate", "--lock-timeout", "60s"])
                .env("SVC_DATABASE_URL", url.expose())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let mut c = shared_migrate::connect(&url).unwrap();
    let rows: Vec<(String, i64)> = c
        .query(
            "SELECT migration_name::text, count(*) FROM _prisma_migrations GROUP BY 1 ORDER BY 1",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(rows.len(), 7);
    assert!(rows.iter().all(|(_, n)| *n == 1), "{rows:?}");
    for i in 0..6 {
        let n: i64 = c
            .query_one(&format!("SELECT count(*) FROM t{i}"), &[])
            .unwrap()
            .get(0);
        assert_eq!(n, 1);
    }
}
