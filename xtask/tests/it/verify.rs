//! `cargo xtask verify` end to end with real throwaway servers: the example services pass; a
//! broken migration, seed or test fails with a precise message; nothing is left behind after
//! success, failure or interrupt; `--keep` keeps a failed service's database.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use test_support::{TempRepo, fresh_database, with_cluster};

use crate::common;
use common::{descendants_named, interrupt, repo_root, run, running_as, spawn, wait_for, xtask};

/// Cluster directories a process left behind (they carry the owner's pid).
fn leftovers_of(pid: u32) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for base in [Path::new("/dev/shm").to_path_buf(), std::env::temp_dir()] {
        let Ok(entries) = std::fs::read_dir(&base) else {
            continue;
        };
        for e in entries.flatten() {
            if e.file_name().to_string_lossy().starts_with("xtask-pg-")
                && std::fs::read_to_string(e.path().join("owner.pid"))
                    .is_ok_and(|p| p.trim() == pid.to_string())
            {
                found.push(e.path());
            }
        }
    }
    found
}

/// Server processes whose data directory is one of `pid`'s.
fn servers_of(pid: u32) -> usize {
    let out = Command::new("ps").args(["-eo", "args"]).output().unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| {
            l.contains("postgres")
                && leftovers_of(pid)
                    .iter()
                    .any(|d| l.contains(&*d.to_string_lossy()))
        })
        .count()
}

#[test]
fn examples_pass_on_the_local_backend_with_junit_and_json() {
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("verify.xml");
    let out = run(xtask(&repo_root())
        .args([
            "verify",
            "--backend",
            "local",
            "--format",
            "json",
            "--junit",
        ])
        .arg(&junit));
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let services: Vec<&str> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["service"].as_str().unwrap())
        .collect();
    assert_eq!(
        services,
        ["azora-education", "azora-notifications", "azora-wallet"]
    );
    for r in json.as_array().unwrap() {
        let steps: Vec<(&str, &str)> = r["steps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| (s["name"].as_str().unwrap(), s["status"].as_str().unwrap()))
            .collect();
        assert_eq!(
            steps,
            [
                ("config", "passed"),
                ("lint", "passed"),
                ("database", "passed"),
                ("migrate", "passed"),
                ("redeploy", "passed"),
                ("schema", "passed"),
                ("seed", "passed"),
                ("test", "passed")
            ],
            "{r}"
        );
        assert_eq!(r["backend"], "local");
    }
    // The test suites really ran: their output names their checks.
    let edu = &json[0]["steps"][7]["detail"];
    assert!(
        edu.as_str().unwrap().contains("test: email is unique"),
        "{edu}"
    );
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(
        xml.contains("tests=\"3\" failures=\"0\"") && xml.contains("name=\"azora-wallet\""),
        "{xml}"
    );
    assert!(leftovers_of(out.pid).is_empty());
}

/// A copy of the example services, broken as `edit` says.
fn broken_example(edit: impl FnOnce(&Path)) -> TempRepo {
    let repo = TempRepo::new();
    repo.copy_example("azora-education");
    edit(&repo.root().join("services/azora-education"));
    repo
}

#[test]
fn a_broken_migration_fails_with_file_line_column_and_sqlstate() {
    let repo = broken_example(|svc| {
        std::fs::write(
            svc.join("prisma/migrations/20250111090000_add_student_grade/migration.sql"),
            "-- AlterTable\nALTER TABLE \"students\" ADD COLUMN \"grade\" TEXTT;\n",
        )
        .unwrap()
    });
    let out = run(xtask(repo.root()).args(["verify", "--backend", "local"]));
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("FAILED at migrate"), "{}", out.stdout);
    assert!(
        out.stdout
            .contains("20250111090000_add_student_grade/migration.sql:2:43"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("42704") && out.stdout.contains("type \"textt\" does not exist"),
        "{}",
        out.stdout
    );
    // Advice for a verify run, not a deploy's: nothing to resolve on a throwaway database, and
    // an applied migration is corrected by a new one, not edited.
    assert!(
        out.stdout.contains("nothing needs resolving")
            && out.stdout.contains("already deployed")
            && !out.stdout.contains("cargo xtask resolve")
            && !out.stdout.contains("editing it is safe"),
        "{}",
        out.stdout
    );
    assert!(leftovers_of(out.pid).is_empty());
}

#[test]
fn a_lint_error_fails_the_service_but_the_database_steps_still_run_unless_no_lint() {
    let repo = broken_example(|svc| {
        let dir = svc.join("prisma/migrations/20250117090000_index_student_grade");
        std::fs::create_dir(&dir).unwrap();
        std::fs::write(
            dir.join("migration.sql"),
            "-- CreateIndex\nCREATE INDEX \"students_grade_idx\" ON \"students\"(\"grade\");\n",
        )
        .unwrap()
    });
    let out = run(xtask(repo.root()).args(["verify", "--backend", "local", "--format", "json"]));
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let steps = json[0]["steps"].as_array().unwrap();
    assert_eq!(
        (&steps[1]["name"], &steps[1]["status"]),
        (&"lint".into(), &"failed".into())
    );
    let detail = steps[1]["detail"].as_str().unwrap();
    assert!(
        detail.contains("error[index-not-concurrent]")
            && detail.contains("20250117090000_index_student_grade/migration.sql:2:1"),
        "{detail}"
    );
    assert_eq!(
        steps[3]["status"], "passed",
        "migrate still ran: {}",
        json[0]
    );

    // The index is not declared in schema.prisma: the schema step rightly fails too.
    let out = run(xtask(repo.root()).args([
        "verify",
        "--backend",
        "local",
        "--no-lint",
        "--no-schema-check",
    ]));
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
}

#[test]
fn a_broken_seed_fails_with_its_line() {
    // A SQL seed (the configuration names none): located like a migration.
    let repo = broken_example(|svc| {
        let config = svc.join("prisma.config.ts");
        let text = std::fs::read_to_string(&config).unwrap();
        std::fs::write(&config, text.replace("seed: \"node prisma/seed.js\",", "")).unwrap();
        std::fs::write(
            svc.join("prisma/seed.sql"),
            "INSERT INTO \"courses\" (\"id\", \"title\", \"price\") VALUES ('c', 'C', 1);\nINSERT INTO \"certificates\" (\"id\", \"studentId\", \"courseId\") VALUES ('x', 'nobody', 'c');\n",
        )
        .unwrap()
    });
    let out = run(xtask(repo.root()).args(["verify", "--backend", "local"]));
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("FAILED at seed"), "{}", out.stdout);
    assert!(
        out.stdout.contains("prisma/seed.sql:2:1") && out.stdout.contains("23503"),
        "{}",
        out.stdout
    );
    // The team's JavaScript seed: its own error, and which seed it was.
    let repo = broken_example(|svc| {
        std::fs::write(
            svc.join("prisma/seed.js"),
            "throw new Error('the seed broke on purpose');\n",
        )
        .unwrap()
    });
    let out = run(xtask(repo.root()).args(["verify", "--backend", "local"]));
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("FAILED at seed")
            && out
                .stdout
                .contains("`node prisma/seed.js` (migrations.seed at prisma.config.ts:9) failed")
            && out.stdout.contains("the seed broke on purpose"),
        "{}",
        out.stdout
    );
}

#[test]
fn a_failing_test_shows_its_output_and_keep_leaves_the_database_running() {
    let repo = broken_example(|svc| {
        std::fs::write(
            svc.join("test/schema.test.js"),
            "const { test } = require('node:test');\nconst assert = require('node:assert/strict');\nconst { Client } = require('pg');\ntest('something that does not hold', async () => {\n  const db = new Client({ connectionString: process.env.EDUCATION_DATABASE_URL });\n  await db.connect();\n  const { rows } = await db.query('SELECT count(*)::int AS n FROM students');\n  await db.end();\n  assert.equal(rows[0].n, 99, 'expected 99 students');\n});\n",
        )
        .unwrap()
    });
    let out = run(xtask(repo.root()).args(["verify", "--backend", "local", "--keep"]));
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("FAILED at test"), "{}", out.stdout);
    assert!(
        out.stdout.contains("exit code 1") && out.stdout.contains("expected 99 students"),
        "{}",
        out.stdout
    );
    let kept = out
        .stdout
        .lines()
        .find(|l| l.starts_with("kept[azora-education]"))
        .expect(&out.stdout);
    // Another run's sweep of abandoned cluster directories leaves the kept one alone (it used
    // to remove it: its owner, the verify process, had exited).
    drop(shared_migrate::Template::prepare().unwrap());
    // The kept database answers after verify exited; then the printed command removes it.
    let url = kept.split_whitespace().nth(1).unwrap();
    let url = shared_migrate::DatabaseUrl::parse(url).unwrap();
    let mut c = shared_migrate::connect(&url).expect("kept database answers");
    let n: i64 = c
        .query_one("SELECT count(*) FROM students", &[])
        .unwrap()
        .get(0);
    assert_eq!(n, 2);
    drop(c);
    let stop = kept
        .split("stop it with: ")
        .nth(1)
        .unwrap()
        .trim_end_matches(')');
    let status = Command::new("sh").arg("-c").arg(stop).status().unwrap();
    assert!(status.success(), "{stop}");
    assert!(leftovers_of(out.pid).is_empty());
}

#[test]
fn a_test_that_hangs_is_killed_at_the_timeout() {
    let repo = broken_example(|svc| {
        std::fs::write(
            svc.join("xtask.toml"),
            "[verify]\ntimeout = \"1s\"\ntest = [\"sleep\", \"30\"]\n",
        )
        .unwrap()
    });
    let start = Instant::now();
    let out = run(xtask(repo.root()).args(["verify", "--backend", "local"]));
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("`sleep 30` did not finish within 1s"),
        "{}",
        out.stdout
    );
    assert!(start.elapsed() < Duration::from_secs(20));
}

#[test]
fn bad_configuration_is_reported_with_file_and_line() {
    let repo = broken_example(|svc| {
        std::fs::write(
            svc.join("xtask.toml"),
            "[verify]\ntests = [\"npm\", \"test\"]\n",
        )
        .unwrap()
    });
    let out = run(xtask(repo.root()).args(["verify", "--backend", "local"]));
    // A configuration error, as for the other commands; the other services still ran.
    assert_eq!(out.code, 2, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("FAILED at config") && out.stdout.contains("xtask.toml:2:1"),
        "{}",
        out.stdout
    );
}

#[test]
fn url_backend_uses_scratch_databases_and_drops_them() {
    let server = with_cluster(|c| c.url("postgres"));
    let out = run(xtask(&repo_root())
        .args(["verify", "--backend", "url", "--database-url"])
        .arg(server.expose()));
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let mut c = shared_migrate::connect(&server).unwrap();
    let left: i64 = c
        .query_one(
            "SELECT count(*) FROM pg_database WHERE datname LIKE $1",
            &[&format!("xtask\\_verify\\_%\\_{}\\_%", out.pid)],
        )
        .unwrap()
        .get(0);
    assert_eq!(left, 0);
    // And after a failure too.
    let repo = broken_example(|svc| {
        std::fs::write(svc.join("prisma/seed.js"), "process.exit(3);\n").unwrap()
    });
    let out = run(xtask(repo.root())
        .args(["verify", "--backend", "url", "--database-url"])
        .arg(server.expose()));
    assert_eq!(out.code, 1);
    let left: i64 = c
        .query_one(
            "SELECT count(*) FROM pg_database WHERE datname LIKE $1",
            &[&format!("xtask\\_verify\\_%\\_{}\\_%", out.pid)],
        )
        .unwrap()
        .get(0);
    assert_eq!(left, 0);
    let _ = fresh_database; // the shared cluster serves as the url backend's server
}

#[test]
fn interrupt_stops_servers_and_removes_directories() {
    let repo = broken_example(|svc| {
        std::fs::write(
            svc.join("xtask.toml"),
            "[verify]\ntest = [\"sleep\", \"30\"]\n",
        )
        .unwrap()
    });
    let child = spawn(xtask(repo.root()).args(["verify", "--backend", "local"]));
    let pid = child.id();
    // Wait until the test step runs: its `sleep 30` is there (a server and its directory too).
    // Only this verify's own: another test may be running a `sleep 30` of its own meanwhile.
    let sleeping = || descendants_named(pid, "sleep");
    wait_for(Duration::from_secs(30), Duration::from_millis(20), || {
        !sleeping().is_empty()
    });
    let sleeps = sleeping();
    assert!(!sleeps.is_empty(), "the test step never started");
    assert!(
        !leftovers_of(pid).is_empty(),
        "verify never started a cluster"
    );
    interrupt(child);
    assert!(leftovers_of(pid).is_empty(), "{:?}", leftovers_of(pid));
    assert_eq!(servers_of(pid), 0);
    assert!(
        !sleeps.iter().any(|&p| running_as(p, "sleep")),
        "the test command's process group was not killed"
    );
}

#[test]
fn interrupt_drops_the_url_backends_scratch_databases() {
    let server = with_cluster(|c| c.url("postgres"));
    let repo = broken_example(|svc| {
        std::fs::write(
            svc.join("xtask.toml"),
            "[verify]\ntest = [\"sleep\", \"29\"]\n",
        )
        .unwrap()
    });
    let child = spawn(
        xtask(repo.root())
            .args(["verify", "--backend", "url", "--database-url"])
            .arg(server.expose()),
    );
    let pid = child.id();
    let mut c = shared_migrate::connect(&server).unwrap();
    let pattern = format!("xtask_verify_%_{pid}_%");
    let count = |c: &mut postgres::Client| -> i64 {
        c.query_one(
            "SELECT count(*) FROM pg_database WHERE datname LIKE $1",
            &[&pattern],
        )
        .unwrap()
        .get(0)
    };
    wait_for(Duration::from_secs(30), Duration::from_millis(20), || {
        count(&mut c) != 0
    });
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(
        count(&mut c),
        1,
        "verify never created its scratch database"
    );
    interrupt(child);
    assert_eq!(count(&mut c), 0);
}
