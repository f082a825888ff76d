//! The guide's production and development workflows through the command line: `migrate
//! --dry-run`, `migrate --backup`, `reset`, `baseline` and `new --revert`, on a copy of the
//! example education service and a real PostgreSQL.

use std::path::Path;

use shared_migrate::DatabaseUrl;
use test_support::{TempRepo, fresh_database};

use crate::common;
use common::{run, xtask};

const SVC: &str = "azora-education";

fn ledger_names(url: &DatabaseUrl) -> Vec<String> {
    let mut c = shared_migrate::connect(url).unwrap();
    let exists: bool = c
        .query_one(
            "SELECT to_regclass('public._prisma_migrations') IS NOT NULL",
            &[],
        )
        .unwrap()
        .get(0);
    if !exists {
        return vec![];
    }
    c.query(
        "SELECT migration_name FROM _prisma_migrations ORDER BY migration_name",
        &[],
    )
    .unwrap()
    .iter()
    .map(|r| r.get(0))
    .collect()
}

fn on(root: &Path, url: &DatabaseUrl) -> std::process::Command {
    let mut c = xtask(root);
    c.env("AZORA_EDUCATION_DATABASE_URL", url.expose());
    c
}

/// The example service's database as an existing one holding its first `n` migrations, made
/// by hand and then adopted with `baseline`.
fn half_applied(repo: &TempRepo, n: usize) -> DatabaseUrl {
    let service = repo.copy_example(SVC);
    let url = fresh_database("wf");
    let dirs = service.migration_dirs().unwrap();
    for (_, dir) in &dirs[..n] {
        shared_migrate::run_sql_file(&url, &dir.join("migration.sql")).unwrap();
    }
    let names: Vec<String> = dirs.into_iter().map(|(n, _)| n).collect();
    let out =
        run(on(repo.root(), &url).args(["baseline", "-s", SVC, "--up-to", &names[n - 1], "--yes"]));
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("the database matches what they build"),
        "{}",
        out.stdout
    );
    url
}

/// `baseline` records only what the database really holds: a difference is refused (exit 2,
/// nothing recorded) unless --force, and it asks first (no terminal: --yes).
#[test]
fn baseline_checks_the_database_against_the_history_and_asks() {
    let repo = TempRepo::new();
    let service = repo.copy_example(SVC);
    let url = fresh_database("wf_baseline");
    let dirs = service.migration_dirs().unwrap();
    shared_migrate::run_sql_file(&url, &dirs[0].1.join("migration.sql")).unwrap();
    shared_migrate::connect(&url)
        .unwrap()
        .batch_execute("ALTER TABLE students DROP COLUMN email")
        .unwrap();
    let up_to = dirs[0].0.clone();
    let out = run(on(repo.root(), &url).args(["baseline", "-s", SVC, "--up-to", &up_to, "--yes"]));
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stderr
            .contains("the database differs from what these migrations build")
            && out.stderr.contains("email"),
        "{}",
        out.stderr
    );
    assert!(ledger_names(&url).is_empty(), "nothing recorded");
    // Without a terminal and without --yes: a confirmation is needed, nothing recorded.
    let out =
        run(on(repo.root(), &url).args(["baseline", "-s", SVC, "--up-to", &up_to, "--force"]));
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("pass --yes"), "{}", out.stderr);
    assert!(ledger_names(&url).is_empty());
    let out =
        run(on(repo.root(), &url)
            .args(["baseline", "-s", SVC, "--up-to", &up_to, "--force", "--yes"]));
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert_eq!(ledger_names(&url), [up_to]);
}

#[test]
fn dry_run_shows_what_would_be_applied_and_changes_nothing() {
    let repo = TempRepo::new();
    let url = half_applied(&repo, 2);
    let before = ledger_names(&url);
    let out = run(on(repo.root(), &url).args(["migrate", "--dry-run"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout
            .contains("azora-education: would apply 5 migrations:"),
        "{}",
        out.stdout
    );
    let order: Vec<usize> = [
        "1. 20250112090000_add_certificates",
        "2. 20250113090000_add_certificate_relation",
        "5. 20250116090000_backfill_student_status",
    ]
    .iter()
    .map(|s| {
        out.stdout
            .find(s)
            .unwrap_or_else(|| panic!("{s}: {}", out.stdout))
    })
    .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{}", out.stdout);
    assert!(
        out.stdout.contains("CREATE TABLE \"certificates\""),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("dry run: nothing was changed"),
        "{}",
        out.stdout
    );
    assert_eq!(ledger_names(&url), before);

    // A database that does not exist is not created.
    let missing = url.with_dbname(&format!("{}_missing", url.dbname));
    let out = run(on(repo.root(), &missing).args(["migrate", "--dry-run", "--format", "json"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(json[0]["planned"].as_array().unwrap().len(), 7);
    assert!(
        shared_migrate::connect_existing(&missing)
            .unwrap()
            .is_none()
    );
}

#[test]
fn backup_before_applying_and_nothing_applied_when_it_fails() {
    let repo = TempRepo::new();
    let url = half_applied(&repo, 3);
    let before = ledger_names(&url);

    // The backup directory cannot be created: nothing is applied.
    let file = repo.root().join("not-a-dir");
    std::fs::write(&file, "").unwrap();
    let out = run(on(repo.root(), &url)
        .arg("migrate")
        .arg("--backup")
        .arg(file.join("x")));
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stdout
            .contains("backing up service `azora-education` failed, so nothing was applied"),
        "{}",
        out.stdout
    );
    assert_eq!(ledger_names(&url), before);

    let dir = repo.root().join("backups");
    let out = run(on(repo.root(), &url)
        .arg("migrate")
        .arg("--backup")
        .arg(&dir));
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let dumps: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(dumps.len(), 1);
    assert!(
        dumps[0].starts_with("azora-education-") && dumps[0].ends_with("Z.dump"),
        "{dumps:?}"
    );
    assert!(
        out.stdout.contains("to restore: pg_restore --clean"),
        "{}",
        out.stdout
    );
    assert_eq!(ledger_names(&url).len(), 7);

    // Nothing pending: no backup is taken.
    let out = run(on(repo.root(), &url)
        .arg("migrate")
        .arg("--backup")
        .arg(&dir));
    assert_eq!(out.code, 0);
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);

    // A failed migration points at the backup taken before it.
    repo.migration(
        SVC,
        "20250120090000_broken",
        "ALTER TABLE \"nope\" ADD COLUMN \"x\" TEXT;\n",
    );
    let out = run(on(repo.root(), &url)
        .arg("migrate")
        .arg("--backup")
        .arg(&dir));
    assert_eq!(out.code, 1);
    assert!(
        out.stdout
            .contains("The schema was backed up before this deploy to"),
        "{}",
        out.stdout
    );
}

#[test]
fn reset_asks_refuses_and_resets() {
    let repo = TempRepo::new();
    let url = half_applied(&repo, 7);
    // No terminal and no --yes: refused, nothing changed.
    let out = run(on(repo.root(), &url).args(["reset", "-s", SVC]));
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("pass --yes"), "{}", out.stderr);
    assert_eq!(ledger_names(&url).len(), 7);
    // A remote database: refused before connecting.
    let out = run(xtask(repo.root()).args([
        "reset",
        "-s",
        SVC,
        "--yes",
        "--database-url",
        "postgresql://app:s3cret@db.example.com/edu",
    ]));
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("not on this machine"), "{}", out.stderr);
    assert!(!out.stderr.contains("s3cret"), "{}", out.stderr);

    let out = run(on(repo.root(), &url).args(["reset", "-s", SVC, "--yes"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains("7 migrations applied"),
        "{}",
        out.stdout
    );
    // Applied for real this time (baselined rows have applied_steps_count 0).
    let mut c = shared_migrate::connect(&url).unwrap();
    let ran: i64 = c
        .query_one(
            "SELECT count(*) FROM _prisma_migrations WHERE applied_steps_count = 1",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(ran, 7);
}

#[test]
fn new_revert_writes_a_reverse_migration_that_lint_holds_until_todos_are_done() {
    let repo = TempRepo::new();
    repo.copy_example(SVC);
    let out = run(xtask(repo.root()).args([
        "new",
        "-s",
        SVC,
        "--revert",
        "20250116090000_backfill_student_status",
    ]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains("2 marked TODO(revert)"),
        "{}",
        out.stdout
    );
    let out = run(xtask(repo.root()).args(["lint", "-s", SVC]));
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(out.stdout.contains("error[revert-todo]"), "{}", out.stdout);

    let out = run(xtask(repo.root()).args(["new", "-s", SVC, "--revert", "add_student_grade"]));
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("did you mean `20250111090000_add_student_grade`"),
        "{}",
        out.stderr
    );
}
