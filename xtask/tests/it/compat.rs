//! `verify --compat REV` with real git history and real Node tests (`node --test`, TAP): REV's
//! seed and tests, from a checkout of REV with its dependencies installed by `npm ci` from its
//! lockfile, against REV's migrations plus the new ones. A renamed and a dropped column fail,
//! naming the test and the migration; an added nullable column, a new table and a new index
//! pass; a test already failing on REV is not blamed; a service with nothing new since REV is
//! skipped; the second run reuses the install.

use std::path::Path;

use test_support::TempRepo;

use crate::common::{git, run, xtask};

/// A local package the tests depend on (installed from the lockfile, no registry needed): runs
/// SQL through psql, which finds the database in the PG* variables verify sets.
const HELPER: &str = r#"const { execFileSync } = require("node:child_process");
exports.sql = (q) => execFileSync("psql", ["-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-c", q], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
"#;

/// REV's tests: two that a contract migration breaks, one that fails on REV already.
const OLD_TESTS: &str = r#"const { test } = require("node:test");
const assert = require("node:assert/strict");
const { sql } = require("compat-helper");

test("the seed loaded", () => {
  assert.equal(sql(`SELECT count(*) FROM settings`), "1");
});

test("people have emails", () => {
  sql(`INSERT INTO people (id, email) VALUES (1, 'ada@example.com')`);
  assert.equal(sql(`SELECT email FROM people WHERE id = 1`), "ada@example.com");
});

test("a person has a nickname", () => {
  assert.equal(sql(`SELECT count(nickname) FROM people WHERE nickname = 'bo'`), "0");
});

test("an old bug nobody fixed", () => {
  assert.equal(1 + 1, 3);
});
"#;

fn write(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// main: `svc` (people, settings; a seed; the tests above) and `other`; the lockfile made
/// by npm from the local helper package, committed.
fn repo() -> TempRepo {
    let repo = TempRepo::new();
    let root = repo.root();
    git(root, &["init", "-q", "-b", "main"]);
    write(root, ".gitignore", "node_modules/\ntarget/\n");
    write(
        root,
        "package.json",
        r#"{ "name": "mono", "private": true, "workspaces": ["services/*"] }"#,
    );
    write(
        root,
        "services/svc/package.json",
        r#"{ "name": "svc", "private": true, "scripts": { "test": "node --test" },
  "prisma": { "seed": "node seed.js" },
  "dependencies": { "compat-helper": "file:../../helper" } }"#,
    );
    write(
        root,
        "helper/package.json",
        r#"{ "name": "compat-helper", "version": "1.0.0", "main": "index.js" }"#,
    );
    write(root, "helper/index.js", HELPER);
    write(
        root,
        "services/svc/seed.js",
        "require(\"compat-helper\").sql(`INSERT INTO settings (key) VALUES ('theme')`);\n",
    );
    write(root, "services/svc/test/people.test.js", OLD_TESTS);
    repo.migration(
        "svc",
        "20250101000000_create_people",
        "CREATE TABLE \"people\" (\"id\" INTEGER NOT NULL, \"email\" TEXT NOT NULL, \"nickname\" TEXT, CONSTRAINT \"people_pkey\" PRIMARY KEY (\"id\"));\n\
         CREATE TABLE \"settings\" (\"key\" TEXT NOT NULL, CONSTRAINT \"settings_pkey\" PRIMARY KEY (\"key\"));\n",
    );
    repo.migration(
        "other",
        "20250101000000_create_things",
        "CREATE TABLE \"things\" (\"id\" INTEGER NOT NULL);\n",
    );
    let npm = std::process::Command::new("npm")
        .args([
            "install",
            "--offline",
            "--no-audit",
            "--no-fund",
            "--loglevel=error",
        ])
        .current_dir(root)
        .output()
        .expect("npm");
    assert!(
        npm.status.success(),
        "{}",
        String::from_utf8_lossy(&npm.stderr)
    );
    git(root, &["add", "-A"]);
    git(root, &["commit", "-q", "-m", "main"]);
    repo
}

/// A branch `name` off the checked-out commit: its own tests (what the new code checks, passing
/// on the new schema) and its first migration, a nullable column.
fn branch(repo: &TempRepo, name: &str) {
    let root = repo.root();
    git(root, &["checkout", "-q", "-b", name]);
    write(
        root,
        "services/svc/test/people.test.js",
        "const { test } = require(\"node:test\");\ntest(\"the new code\", () => {});\n",
    );
    repo.migration(
        "svc",
        "20250201000000_add_people_phone",
        "ALTER TABLE \"people\" ADD COLUMN \"phone\" TEXT;\n",
    );
}

/// `verify --compat main` on the local backend, REV's checkouts cached inside the repository;
/// then `extra`.
fn verify_compat(root: &Path, extra: &[&str]) -> crate::common::Out {
    run(xtask(root)
        .env("XDG_CACHE_HOME", root.join("target/cache"))
        .args([
            "verify",
            "--backend",
            "local",
            "--no-schema-check",
            "--compat",
            "main",
        ])
        .args(extra))
}

/// [`verify_compat`] in JSON, read.
fn verify(root: &Path, extra: &[&str]) -> (crate::common::Out, serde_json::Value) {
    let mut args = vec!["--format", "json"];
    args.extend_from_slice(extra);
    let out = verify_compat(root, &args);
    let json = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}{}", out.stdout, out.stderr));
    (out, json)
}

fn verdicts(report: &serde_json::Value) -> Vec<(String, String, Vec<String>, Vec<String>)> {
    report["compat"]["migrations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            let list = |k: &str| {
                m[k].as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_str().unwrap().to_string())
                    .collect::<Vec<_>>()
            };
            (
                m["name"].as_str().unwrap().to_string(),
                m["verdict"].as_str().unwrap().to_string(),
                list("broke"),
                list("rules"),
            )
        })
        .collect()
}

fn service<'a>(json: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    json.as_array()
        .unwrap()
        .iter()
        .find(|r| r["service"] == name)
        .unwrap()
}

#[test]
fn expand_migrations_pass_and_contract_ones_name_the_test_and_the_migration() {
    let repo = repo();
    let root = repo.root();

    // Expand only: a nullable column, a new table, a new index.
    branch(&repo, "expand");
    repo.migration(
        "svc",
        "20250202000000_create_teams",
        "CREATE TABLE \"teams\" (\"id\" INTEGER NOT NULL, CONSTRAINT \"teams_pkey\" PRIMARY KEY (\"id\"));\n",
    );
    repo.migration(
        "svc",
        "20250203000000_index_people_phone",
        "CREATE INDEX CONCURRENTLY \"people_phone_idx\" ON \"people\"(\"phone\");\n",
    );
    let (out, json) = verify(root, &[]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let svc = service(&json, "svc");
    let v = verdicts(svc);
    assert_eq!(v.len(), 3, "{v:?}");
    assert!(v.iter().all(|m| m.1 == "expand_safe"), "{v:?}");
    assert_eq!(
        svc["compat"]["already_failing"],
        serde_json::json!(["an old bug nobody fixed"])
    );
    assert_eq!(svc["compat"]["read_as"], "tap");
    assert!(
        svc["compat"]["install"]
            .as_str()
            .is_some_and(|i| i.contains("npm ci")),
        "REV's dependencies installed from its lockfile: {}",
        svc["compat"]
    );
    let other = service(&json, "other");
    let step = other["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "compat")
        .unwrap();
    assert_eq!(step["status"], "skipped");
    assert_eq!(step["detail"], "no migrations added since main");

    // Contract: the same nullable column, then a rename and a drop.
    git(root, &["checkout", "-q", "-f", "main"]);
    git(root, &["clean", "-q", "-fd", "services"]);
    branch(&repo, "contract");
    repo.migration(
        "svc",
        "20250202000000_rename_people_email",
        "ALTER TABLE \"people\" RENAME COLUMN \"email\" TO \"email_address\";\n",
    );
    repo.migration(
        "svc",
        "20250203000000_drop_people_nickname",
        "ALTER TABLE \"people\" DROP COLUMN \"nickname\";\n",
    );
    let junit = root.join("target/compat.xml");
    let report = root.join("target/compat.md");
    let (out, json) = verify(
        root,
        &[
            "--no-lint",
            "--junit",
            junit.to_str().unwrap(),
            "--report",
            report.to_str().unwrap(),
        ],
    );
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    let svc = service(&json, "svc");
    let v = verdicts(svc);
    assert_eq!(
        v.iter()
            .map(|m| (m.0.as_str(), m.1.as_str(), m.2.clone()))
            .collect::<Vec<_>>(),
        [
            ("20250201000000_add_people_phone", "expand_safe", vec![]),
            (
                "20250202000000_rename_people_email",
                "contract",
                vec!["people have emails".to_string()]
            ),
            (
                "20250203000000_drop_people_nickname",
                "contract",
                vec!["a person has a nickname".to_string()]
            ),
        ]
    );
    assert_eq!(v[1].3, ["rename-column"], "lint's name for the change");
    assert!(v[2].3.contains(&"drop-column".to_string()), "{:?}", v[2].3);
    assert!(
        svc["compat"]["install"].is_null(),
        "the install of main is kept from the first run: {}",
        svc["compat"]
    );
    assert_eq!(
        svc["compat"]["already_failing"],
        serde_json::json!(["an old bug nobody fixed"])
    );
    // JUnit: a case per new migration; the Markdown report: the deploy step of each.
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(
        xml.contains(
            "<testcase classname=\"compat.svc\" name=\"20250202000000_rename_people_email\""
        ) && xml.contains("type=\"contract\">people have emails</failure>"),
        "{xml}"
    );
    let md = std::fs::read_to_string(&report).unwrap();
    assert!(
        md.contains("| `20250201000000_add_people_phone` | expand-safe | - | - |")
            && md.contains(
                "| `20250203000000_drop_people_nickname` | CONTRACT | a person has a nickname |"
            ),
        "{md}"
    );

    // The human summary says the same.
    let out = verify_compat(root, &["-s", "svc", "--no-lint"]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.lines().any(|l| l.starts_with("  CONTRACT")
            && l.contains("20250202000000_rename_people_email")
            && l.ends_with("[lint: rename-column]"))
            && out.stdout.contains("breaks `people have emails`")
            && out
                .stdout
                .contains("not blamed): `an old bug nobody fixed`"),
        "{}",
        out.stdout
    );
}

#[test]
fn an_unknown_revision_is_refused_with_what_to_do() {
    let repo = TempRepo::new();
    let root = repo.root();
    git(root, &["init", "-q", "-b", "main"]);
    repo.migration(
        "svc",
        "20250101000000_create_people",
        "CREATE TABLE \"people\" (\"id\" INTEGER NOT NULL);\n",
    );
    git(root, &["add", "-A"]);
    git(root, &["commit", "-q", "-m", "main"]);
    let out = run(xtask(root).args(["verify", "--backend", "local", "--compat", "origin/nope"]));
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout
            .contains("--compat origin/nope: not a commit in the repository"),
        "{}",
        out.stdout
    );
}
