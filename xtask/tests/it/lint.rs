//! `cargo xtask lint` end to end: the example services are clean; bad migrations exit 1 with
//! file:line:col in every format; `--since` reads history with real git; configuration errors
//! exit 2 naming file and line.

use std::path::Path;
use std::process::Command;

use test_support::TempRepo;

use crate::common;
use common::{Out, repo_root, run, xtask};

fn lint(root: &Path, args: &[&str]) -> Out {
    run(xtask(root).arg("lint").args(args))
}

const INIT: &str = "-- CreateTable\nCREATE TABLE \"students\" (\n    \"id\" TEXT NOT NULL,\n    \"name\" TEXT,\n    CONSTRAINT \"students_pkey\" PRIMARY KEY (\"id\")\n);\n";
const DROP: &str = "-- AlterTable\nALTER TABLE \"students\" DROP COLUMN \"name\";\n";

fn git(root: &Path, args: &[&str]) {
    let status = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(args)
        .output()
        .expect("git");
    assert!(
        status.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&status.stderr)
    );
}

#[test]
fn the_example_services_lint_clean() {
    let out = lint(&repo_root(), &[]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout
            .contains("lint: 3 services, 14 migrations: 0 errors, 0 warnings"),
        "{}",
        out.stdout
    );
}

#[test]
fn findings_exit_1_with_file_line_and_column_in_every_format() {
    let repo = TempRepo::new();
    repo.migration("app", "20250101000000_init", INIT);
    repo.migration("app", "20250102000000_drop_student_name", DROP);
    let path = "services/app/prisma/migrations/20250102000000_drop_student_name/migration.sql";

    let human = lint(repo.root(), &[]);
    assert_eq!(human.code, 1, "{}{}", human.stdout, human.stderr);
    assert!(
        human.stdout.contains("error[drop-column]"),
        "{}",
        human.stdout
    );
    assert!(
        human.stdout.contains(&format!("{path}:2:24")),
        "{}",
        human.stdout
    );
    assert!(
        human.stdout.contains("1 error, 0 warnings"),
        "{}",
        human.stdout
    );

    let json = lint(repo.root(), &["--format", "json"]);
    assert_eq!(json.code, 1);
    let v: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let f = &v["findings"][0];
    assert_eq!(
        (f["rule"].as_str(), f["path"].as_str()),
        (Some("drop-column"), Some(path))
    );
    assert_eq!(
        (f["line"].as_u64(), f["column"].as_u64()),
        (Some(2), Some(24))
    );
    assert_eq!(f["level"], "error");

    let github = run(xtask(repo.root()).arg("lint").env("GITHUB_ACTIONS", "true"));
    assert_eq!(github.code, 1);
    assert!(
        github.stdout.starts_with(&format!(
            "::error file={path},line=2,col=24,endLine=2,endColumn=41,title=drop-column::dropping column"
        )),
        "{}",
        github.stdout
    );

    // A reasoned suppression makes it pass; one without a reason is itself an error.
    let suppressed =
        format!("-- lint:allow drop-column: name moved to profiles in 20250101000000_init\n{DROP}");
    repo.migration("app", "20250102000000_drop_student_name", &suppressed);
    assert_eq!(lint(repo.root(), &[]).code, 0);
    repo.migration(
        "app",
        "20250102000000_drop_student_name",
        &format!("-- lint:allow drop-column\n{DROP}"),
    );
    let out = lint(repo.root(), &[]);
    assert_eq!(out.code, 1);
    assert!(
        out.stdout
            .contains("error[invalid-suppression]: this suppression gives no reason"),
        "{}",
        out.stdout
    );
}

#[test]
fn since_checks_history_with_git_and_reports_only_new_or_changed_migrations() {
    let repo = TempRepo::new();
    repo.migration("app", "20250101000000_init", INIT);
    // Committed with a finding: out of scope for --since, so not reported.
    repo.migration("app", "20250102000000_drop_student_name", DROP);
    repo.migration(
        "app",
        "20250103000000_add_grades",
        "ALTER TABLE \"students\" ADD COLUMN \"grade\" INTEGER;\n",
    );
    repo.migration(
        "app",
        "20250104000000_add_badges",
        "ALTER TABLE \"students\" ADD COLUMN \"badge\" TEXT;\n",
    );
    git(repo.root(), &["init", "-q", "-b", "main"]);
    git(repo.root(), &["add", "-A"]);
    git(repo.root(), &["commit", "-q", "-m", "base"]);

    let clean = lint(repo.root(), &["--since", "main"]);
    assert_eq!(clean.code, 0, "{}{}", clean.stdout, clean.stderr);
    assert!(
        clean.stdout.contains("1 service, 0 migrations"),
        "{}",
        clean.stdout
    );

    // Edit one, delete one, add one that sorts before the newest on main.
    repo.migration(
        "app",
        "20250103000000_add_grades",
        "ALTER TABLE \"students\" ADD COLUMN \"grade\" BIGINT;\n",
    );
    std::fs::remove_dir_all(
        repo.root()
            .join("services/app/prisma/migrations/20250104000000_add_badges"),
    )
    .unwrap();
    repo.migration(
        "app",
        "20250103120000_add_nicknames",
        "ALTER TABLE \"students\" ADD COLUMN \"nickname\" TEXT;\n",
    );
    let out = lint(repo.root(), &["--since", "main", "--format", "json"]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let mut rules: Vec<(&str, &str)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["rule"].as_str().unwrap(), f["path"].as_str().unwrap()))
        .collect();
    rules.sort();
    let m = "services/app/prisma/migrations";
    assert_eq!(
        rules,
        vec![
            (
                "edited-migration",
                &*format!("{m}/20250103000000_add_grades/migration.sql")
            ),
            (
                "out-of-order",
                &*format!("{m}/20250103120000_add_nicknames/migration.sql")
            ),
            (
                "removed-migration",
                &*format!("{m}/20250104000000_add_badges/migration.sql")
            ),
        ]
    );

    let unknown = lint(repo.root(), &["--since", "no-such-branch"]);
    assert_eq!(unknown.code, 2);
    assert!(
        unknown
            .stderr
            .contains("--since no-such-branch: not a commit"),
        "{}",
        unknown.stderr
    );
}

#[test]
fn configuration_sets_levels_and_limits_and_bad_keys_exit_2_with_file_and_line() {
    let repo = TempRepo::new();
    repo.migration("app", "20250101000000_init", INIT);
    repo.migration("app", "20250102000000_drop_student_name", DROP);
    repo.migration("app", "20250103000000_fix", "SELECT 1;\n");

    std::fs::write(
        repo.root().join("xtask.toml"),
        "[lint.rules]\ndrop-column = \"warning\"\n",
    )
    .unwrap();
    // The service's file overrides the repository's, rule by rule.
    std::fs::write(
        repo.root().join("services/app/xtask.toml"),
        "[lint.rules]\nvague-name = \"off\"\n",
    )
    .unwrap();
    let out = lint(repo.root(), &[]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("0 errors, 1 warning"), "{}", out.stdout);

    std::fs::write(
        repo.root().join("services/app/xtask.toml"),
        "[lint]\nextra_vague_words = [\"grades\"]\nmax_statement = 3\n",
    )
    .unwrap();
    let out = lint(repo.root(), &[]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("services/app/xtask.toml:3:1") && out.stderr.contains("max_statement"),
        "{}",
        out.stderr
    );

    std::fs::write(
        repo.root().join("xtask.toml"),
        "\n[lint.rules]\ndrop-colum = \"off\"\n",
    )
    .unwrap();
    let out = lint(repo.root(), &[]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .contains("xtask.toml:3:1: unknown lint rule `drop-colum`"),
        "{}",
        out.stderr
    );
}

#[test]
fn list_rules_names_every_rule_with_its_level() {
    let out = lint(&repo_root(), &["--list-rules"]);
    assert_eq!(out.code, 0);
    for rule in shared_migrate::RULES {
        assert!(
            out.stdout.contains(rule.name()),
            "{} missing:\n{}",
            rule.name(),
            out.stdout
        );
    }
    assert!(out.stdout.contains("migration-size") && out.stdout.contains("warning"));
}

/// The cache under target/ gives exactly what a run without it gives, follows every change of
/// file, configuration and scope, survives damage, and holds under concurrent runs.
#[test]
fn the_cache_changes_nothing_but_the_time() {
    let repo = TempRepo::new();
    repo.migration("app", "20250101000000_init", INIT);
    repo.migration("app", "20250102000000_drop_student_name", DROP);
    let cache = repo.root().join("target/xtask/lint-cache");
    let json = |args: &[&str]| {
        let out = lint(repo.root(), &[&["--format", "json"], args].concat());
        (out.code, out.stdout)
    };
    let fresh = json(&["--no-cache"]);
    assert_eq!(fresh.0, 1, "{}", fresh.1);
    assert!(!cache.exists(), "--no-cache writes no cache");
    // Concurrent first runs: each reads what it can and replaces files whole.
    let children: Vec<_> = (0..4)
        .map(|_| {
            xtask(repo.root())
                .args(["lint", "--format", "json"])
                .stdout(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stdout), fresh.1);
    }
    assert!(
        cache.read_dir().unwrap().count() >= 2,
        "a pack and findings"
    );
    assert_eq!(json(&[]), fresh);

    // A file edited: its findings follow; back as it was: the earlier ones again.
    let suppressed =
        format!("-- lint:allow drop-column: name moved to profiles in 20250101000000_init\n{DROP}");
    repo.migration("app", "20250102000000_drop_student_name", &suppressed);
    assert_eq!(json(&[]), json(&["--no-cache"]));
    assert_eq!(json(&[]).0, 0);
    repo.migration("app", "20250102000000_drop_student_name", DROP);
    assert_eq!(json(&[]), fresh);
    // Edited again at once, to the same size: the files' metadata (the quick key) still tells.
    let same_size = format!("--{}\n", "x".repeat(DROP.len() - 3));
    assert_eq!(same_size.len(), DROP.len());
    repo.migration("app", "20250102000000_drop_student_name", &same_size);
    let edited = json(&[]);
    assert_ne!(edited, fresh);
    assert_eq!(edited, json(&["--no-cache"]));
    repo.migration("app", "20250102000000_drop_student_name", DROP);
    assert_eq!(json(&[]), fresh);
    // Touched only (same content, new times): the same findings, through the checksums.
    let file = repo
        .root()
        .join("services/app/prisma/migrations/20250102000000_drop_student_name/migration.sql");
    std::fs::File::options()
        .append(true)
        .open(&file)
        .unwrap()
        .set_modified(std::time::SystemTime::now() + std::time::Duration::from_secs(60))
        .unwrap();
    assert_eq!(json(&[]), fresh);

    // The configuration changes a level: the findings follow.
    std::fs::write(
        repo.root().join("xtask.toml"),
        "[lint.rules]\ndrop-column = \"warning\"\n",
    )
    .unwrap();
    let warned = json(&[]);
    assert_eq!(warned.0, 0);
    assert_eq!(warned, json(&["--no-cache"]));
    std::fs::remove_file(repo.root().join("xtask.toml")).unwrap();

    // A new migration.
    repo.migration(
        "app",
        "20250103000000_add_index",
        "CREATE INDEX \"i\" ON \"students\" (\"name\");\n",
    );
    assert_eq!(json(&[]), json(&["--no-cache"]));

    // Damaged files are ignored and replaced.
    for entry in cache.read_dir().unwrap() {
        let path = entry.unwrap().path();
        let mut bytes = std::fs::read(&path).unwrap();
        let mid = bytes.len() / 2;
        bytes[mid] ^= 0x55;
        std::fs::write(&path, &bytes).unwrap();
    }
    let after_damage = json(&[]);
    assert_eq!(after_damage, json(&["--no-cache"]));
    for entry in cache.read_dir().unwrap() {
        std::fs::write(entry.unwrap().path(), b"not a cache").unwrap();
    }
    assert_eq!(json(&[]), after_damage);
}
