//! Schema drift through the binary: `diff` (its sources, formats and Prisma's exit codes),
//! `status --drift` against a database changed by hand, `new --from-schema` writing Prisma's
//! file, verify's schema step, and schema errors located.

mod common;

use std::path::Path;

use common::{run, xtask};
use shared_migrate::testing::{TempRepo, fresh_database};

fn write(root: &Path, path: &str, text: &str) {
    let p = root.join(path);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

fn edit(root: &Path, path: &str, f: impl FnOnce(String) -> String) {
    let p = root.join(path);
    let text = std::fs::read_to_string(&p).unwrap();
    std::fs::write(&p, f(text)).unwrap();
}

const SCHEMA: &str = "services/azora-education/prisma/schema.prisma";

/// Paths and ports out of output, for snapshots.
fn masked(repo: &TempRepo, text: &str) -> String {
    text.replace(&repo.root().display().to_string(), "[repo]")
}

#[test]
fn diff_says_what_differs_where_with_prismas_exit_codes() {
    let repo = TempRepo::new();
    repo.copy_example("azora-education");
    let diff = |args: &[&str]| {
        let mut c = xtask(repo.root());
        c.arg("diff").args(["--backend", "local"]).args(args);
        run(&mut c)
    };
    let out = diff(&[]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("no difference"), "{}", out.stdout);

    edit(repo.root(), SCHEMA, |s| {
        s.replacen(
            "model Student {\n",
            "model Student {\n  nickname String?\n",
            1,
        )
    });
    let out = diff(&[]);
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("[+] Added column `nickname`"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("column `students.nickname` is in schema.prisma but not in the migrations")
            && out.stdout.contains("prisma/schema.prisma:"),
        "{}",
        out.stdout
    );
    let out = diff(&["--script"]);
    assert_eq!(out.code, 2);
    assert_eq!(
        out.stdout,
        "-- AlterTable\nALTER TABLE \"students\" ADD COLUMN     \"nickname\" TEXT;\n\n"
    );
    let out = diff(&["--format", "json"]);
    let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let d = &json[0]["differences"][0];
    assert!(
        d["schema_at"]["path"]
            .as_str()
            .unwrap()
            .ends_with("schema.prisma"),
        "{json}"
    );
    assert!(d["schema_at"]["line"].as_u64().unwrap() > 1, "{json}");
    let out = diff(&["--format", "github"]);
    assert!(
        out.stdout.starts_with("::error file=") && out.stdout.contains("schema.prisma,line="),
        "{}",
        out.stdout
    );
    // Errors are 1, never 2: a usage error and a broken schema.
    assert_eq!(diff(&["--from", "nowhere"]).code, 1);
    edit(repo.root(), SCHEMA, |s| {
        s.replacen("nickname String?", "nickname Strin?", 1)
    });
    let out = diff(&[]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout
            .contains("schema.prisma:11:12: type `Strin` is neither a built-in type"),
        "{}",
        out.stdout
    );
}

#[test]
fn the_live_database_is_read_only_and_its_drift_is_named() {
    let repo = TempRepo::new();
    repo.copy_example("azora-education");
    let db = fresh_database("drift_live");
    let cmd = |args: &[&str]| {
        let mut c = xtask(repo.root());
        c.args(args)
            .env("AZORA_EDUCATION_DATABASE_URL", db.expose());
        run(&mut c)
    };
    // A database that does not exist yet reads as empty: every table is missing.
    let out = cmd(&[
        "diff",
        "--backend",
        "local",
        "--from",
        "migrations",
        "--to",
        "database",
    ]);
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("[-] Removed tables"), "{}", out.stdout);
    assert_eq!(cmd(&["migrate"]).code, 0);
    let out = cmd(&[
        "diff",
        "--backend",
        "local",
        "--from",
        "migrations",
        "--to",
        "database",
    ]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    // A hotfix by hand: an index and a dropped column.
    let mut c = db.config().connect(postgres::NoTls).unwrap();
    c.batch_execute(
        "CREATE INDEX hotfix_idx ON students (\"createdAt\"); ALTER TABLE certificates DROP COLUMN \"issuedAt\";",
    )
    .unwrap();
    let ledger = |c: &mut postgres::Client| -> i64 {
        c.query_one("SELECT count(*) FROM _prisma_migrations", &[])
            .unwrap()
            .get(0)
    };
    let before = ledger(&mut c);
    let out = cmd(&[
        "diff",
        "--backend",
        "local",
        "--from",
        "migrations",
        "--to",
        "database",
    ]);
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("index `hotfix_idx` on `students` (createdAt) is in the database but not in the migrations")
            && out.stdout.contains("column `certificates.issuedAt` is in the migrations but not in the database")
            && out.stdout.contains("made by: [repo]".replace("[repo]", &repo.root().display().to_string()).as_str()),
        "{}",
        out.stdout
    );
    assert_eq!(ledger(&mut c), before, "diff wrote to the ledger");
    let out = cmd(&["status", "--drift"]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout
            .contains("drift (the database against its migrations)"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("hotfix_idx"), "{}", out.stdout);
    let out = cmd(&["status", "--drift", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(json[0]["state"], "problem", "{json}");
    assert_eq!(json[0]["drift"].as_array().unwrap().len(), 2, "{json}");
}

/// Prisma's own v04 case (a renamed field) through `new`: its file byte for byte.
#[test]
fn new_writes_prismas_migration_for_schema_changes() {
    let case = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared-migrate/tests/data/prisma-diff/v04_rename_field");
    let read = |f: &str| std::fs::read_to_string(case.join(f)).unwrap();
    let repo = TempRepo::new();
    repo.migration("svc", "20250101000000_init", &read("init.sql"));
    let datasource =
        "datasource db {\n  provider = \"postgresql\"\n  url      = env(\"DATABASE_URL\")\n}\n\n";
    write(
        repo.root(),
        "services/svc/prisma/schema.prisma",
        &format!("{datasource}{}", read("before.prisma")),
    );
    // In sync: --from-schema writes nothing; plain `new` writes the empty file to hand-write.
    let new = |args: &[&str]| {
        let mut c = xtask(repo.root());
        c.args(["new", "-s", "svc"]).args(args);
        run(&mut c)
    };
    let out = new(&["--from-schema", "--name", "nothing_changed_here"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("Already in sync"), "{}", out.stdout);
    let folders = || {
        std::fs::read_dir(repo.root().join("services/svc/prisma/migrations"))
            .unwrap()
            .filter(|e| e.as_ref().unwrap().path().is_dir())
            .count()
    };
    assert_eq!(folders(), 1);
    // After the change: Prisma's spelling, --name.
    write(
        repo.root(),
        "services/svc/prisma/schema.prisma",
        &format!("{datasource}{}", read("after.prisma")),
    );
    let out = new(&["--name", "rename_student_name"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout
            .contains("hint: if \"name\" of \"students\" was renamed to \"fullName\""),
        "{}",
        out.stdout
    );
    let created = out
        .stdout
        .lines()
        .next()
        .unwrap()
        .trim_start_matches("created ")
        .trim_end_matches(" from schema.prisma");
    assert_eq!(
        std::fs::read_to_string(created).unwrap(),
        read("migration.sql")
    );
    // --empty writes an empty migration whatever schema.prisma says.
    let out = new(&["--empty", "add_manual_backfill"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert_eq!(folders(), 3);
}

#[test]
fn verify_names_each_difference_in_schema_prisma_and_the_migrations() {
    let repo = TempRepo::new();
    repo.copy_example("azora-education");
    edit(repo.root(), SCHEMA, |s| {
        s.replacen(
            "model Student {\n",
            "model Student {\n  nickname String?\n",
            1,
        )
    });
    let last = "services/azora-education/prisma/migrations/20250116090000_backfill_student_status/migration.sql";
    edit(repo.root(), last, |s| {
        format!("{s}\nCREATE INDEX \"students_by_hand_idx\" ON \"students\"(\"email\");\n")
    });
    let out = run(xtask(repo.root()).args([
        "verify",
        "--backend",
        "local",
        "--no-lint",
        "--format",
        "json",
    ]));
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let step = json[0]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "schema")
        .unwrap();
    assert_eq!(step["status"], "failed");
    insta::assert_snapshot!(masked(&repo, step["detail"].as_str().unwrap()));
}

#[test]
fn schema_errors_are_located_with_a_snippet() {
    let cases: &[(&str, &str)] = &[
        (
            "unterminated string",
            "model A {\n  id   Int    @id\n  name String @default(\"x)\n}\n",
        ),
        ("unknown type", "model A {\n  id Int @id\n  b  Bee\n}\n"),
        ("never closed", "model A {\n  id Int @id\n"),
        (
            "relation without its other side",
            "model A {\n  id  Int @id\n  bId Int\n  b   B   @relation(fields: [bId], references: [id])\n}\n\nmodel B {\n  id Int @id\n}\n",
        ),
        (
            "index on a missing field",
            "model A {\n  id Int @id\n\n  @@index([nope])\n}\n",
        ),
        (
            "a second datasource",
            "datasource other {\n  provider = \"postgresql\"\n  url = env(\"X\")\n}\n",
        ),
    ];
    let mut out = String::new();
    for (name, models) in cases {
        let repo = TempRepo::new();
        repo.migration("svc", "20250101000000_init", "SELECT 1;\n");
        write(
            repo.root(),
            "services/svc/prisma/schema.prisma",
            &format!(
                "datasource db {{\n  provider = \"postgresql\"\n  url      = env(\"DATABASE_URL\")\n}}\n\n{models}"
            ),
        );
        let r = run(xtask(repo.root()).args(["diff", "--backend", "local"]));
        out.push_str(&format!(
            "== {name} (exit {})\n{}\n",
            r.code,
            masked(&repo, &r.stdout)
        ));
    }
    insta::assert_snapshot!(out);
}
