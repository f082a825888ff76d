//! Schema drift through the binary: `diff` (its sources, formats and Prisma's exit codes),
//! `status --drift` against a database changed by hand, `new --from-schema` writing Prisma's
//! file, verify's schema step, and schema errors located.

use crate::common;

use std::path::Path;

use common::{run, step, verify_json, xtask};
use test_support::{TempRepo, fresh_database};

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

/// `verify --no-lint` of the repo's one service: its exit code and its `schema` step.
fn verify_schema_step(repo: &TempRepo) -> (i32, serde_json::Value) {
    let (out, json) = verify_json(repo.root(), &[]);
    (out.code, step(&json[0], "schema").clone())
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
    // The live database against its migrations.
    let live_diff = || {
        cmd(&[
            "diff",
            "--backend",
            "local",
            "--from",
            "migrations",
            "--to",
            "database",
        ])
    };
    // A database that does not exist yet reads as empty: every table is missing.
    let out = live_diff();
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("[-] Removed tables"), "{}", out.stdout);
    assert_eq!(cmd(&["migrate"]).code, 0);
    let out = live_diff();
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
    let out = live_diff();
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
    let (code, step) = verify_schema_step(&repo);
    assert_eq!(code, 1);
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
            "extensions, compared as Prisma compares them (postgresqlExtensions)",
            "datasource db {\n  provider   = \"postgresql\"\n  url        = env(\"DATABASE_URL\")\n  extensions = [pgcrypto, postgis(version: \"3.4\")]\n}\n\nmodel A {\n  id Int @id\n}\n",
        ),
        (
            "a Bytes default that is not base64",
            "model A {\n  id Int   @id\n  b  Bytes @default(\"not base64\")\n}\n",
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
            &if models.starts_with("datasource db") {
                models.to_string()
            } else {
                format!(
                    "datasource db {{\n  provider = \"postgresql\"\n  url      = env(\"DATABASE_URL\")\n}}\n\n{models}"
                )
            },
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

/// The guide's five changes (add a field, a model with indexes, a relation; rename a field;
/// change a type) on an example service, each through `new --name`: Prisma's SQL, lint's
/// verdict on it, the rename turned into RENAME COLUMN as the hint says, and verify's schema
/// step passing with the result.
#[test]
fn the_guides_five_changes_on_an_example_service() {
    let repo = TempRepo::new();
    repo.copy_example("azora-education");
    // (migration name, schema.prisma edits, Prisma's file)
    type Step<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a str);
    let steps: &[Step] = &[
        (
            "add_student_nickname",
            &[(
                "  grade        String?\n",
                "  grade        String?\n  nickname     String?\n",
            )],
            "-- AlterTable\nALTER TABLE \"students\" ADD COLUMN     \"nickname\" TEXT;",
        ),
        (
            "add_enrollment",
            &[(
                "model Certificate {",
                "model Enrollment {\n  id         String   @id @default(cuid())\n  studentId  String\n  courseId   String\n  enrolledAt DateTime @default(now())\n\n  @@index([studentId])\n  @@index([courseId])\n  @@map(\"enrollments\")\n}\n\nmodel Certificate {",
            )],
            "-- CreateTable\nCREATE TABLE \"enrollments\" (\n    \"id\" TEXT NOT NULL,\n    \"studentId\" TEXT NOT NULL,\n    \"courseId\" TEXT NOT NULL,\n    \"enrolledAt\" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,\n\n    CONSTRAINT \"enrollments_pkey\" PRIMARY KEY (\"id\")\n);\n\n-- CreateIndex\nCREATE INDEX \"enrollments_studentId_idx\" ON \"enrollments\"(\"studentId\");\n\n-- CreateIndex\nCREATE INDEX \"enrollments_courseId_idx\" ON \"enrollments\"(\"courseId\");",
        ),
        (
            "add_enrollment_student",
            &[
                (
                    "  enrolledAt DateTime @default(now())\n",
                    "  enrolledAt DateTime @default(now())\n  student    Student  @relation(fields: [studentId], references: [id])\n",
                ),
                (
                    "  certificates Certificate[]\n\n  @@map(\"students\")",
                    "  certificates Certificate[]\n  enrollments  Enrollment[]\n\n  @@map(\"students\")",
                ),
            ],
            "-- AddForeignKey\nALTER TABLE \"enrollments\" ADD CONSTRAINT \"enrollments_studentId_fkey\" FOREIGN KEY (\"studentId\") REFERENCES \"students\"(\"id\") ON DELETE RESTRICT ON UPDATE CASCADE;",
        ),
        (
            "rename_last_login_at",
            &[("  lastLoginAt  DateTime?\n", "  lastSeenAt   DateTime?\n")],
            "/*\n  Warnings:\n\n  - You are about to drop the column `lastLoginAt` on the `students` table. All the data in the column will be lost.\n\n*/\n-- AlterTable\nALTER TABLE \"students\" DROP COLUMN \"lastLoginAt\",\nADD COLUMN     \"lastSeenAt\" TIMESTAMP(3);",
        ),
        (
            "limit_course_title",
            &[(
                "  title        String\n",
                "  title        String        @db.VarChar(200)\n",
            )],
            "/*\n  Warnings:\n\n  - You are about to alter the column `title` on the `courses` table. The data in that column could be lost. The data in that column will be cast from `Text` to `VarChar(200)`.\n\n*/\n-- AlterTable\nALTER TABLE \"courses\" ALTER COLUMN \"title\" SET DATA TYPE VARCHAR(200);",
        ),
    ];
    let mut written = Vec::new();
    for (name, edits, prismas) in steps {
        edit(repo.root(), SCHEMA, |mut s| {
            for (find, replace) in *edits {
                assert!(s.contains(find), "{find:?}");
                s = s.replacen(find, replace, 1);
            }
            s
        });
        let out = run(xtask(repo.root()).args(["new", "-s", "azora-education", "--name", name]));
        assert_eq!(out.code, 0, "{name}: {}{}", out.stdout, out.stderr);
        let path = out
            .stdout
            .lines()
            .next()
            .unwrap()
            .trim_start_matches("created ")
            .trim_end_matches(" from schema.prisma")
            .to_string();
        // Prisma's files end with one newline.
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            format!("{prismas}\n"),
            "{name}"
        );
        written.push(path);
    }
    // Lint says what each would do to a live table: the foreign key's validation scan, the
    // dropped column of the rename, the rewrite of the type change.
    let lint = run(xtask(repo.root()).args(["lint", "-s", "azora-education", "--format", "json"]));
    let json: serde_json::Value = serde_json::from_str(&lint.stdout).unwrap();
    let mut rules: Vec<String> = json["findings"]
        .as_array()
        .unwrap_or_else(|| panic!("{json}"))
        .iter()
        .map(|d| {
            format!(
                "{} {}",
                d["rule"].as_str().unwrap(),
                d["level"].as_str().unwrap()
            )
        })
        .collect();
    rules.sort();
    assert_eq!(
        rules,
        [
            "column-type-change error",
            "drop-column error",
            "validating-constraint warning"
        ],
        "{json}"
    );
    // The hint's RENAME COLUMN keeps the data and builds the same schema; the seed follows it.
    edit(
        repo.root(),
        "services/azora-education/prisma/seed.js",
        |s| s.replace("lastLoginAt", "lastSeenAt"),
    );
    std::fs::write(
        &written[3],
        "-- AlterTable\nALTER TABLE \"students\" RENAME COLUMN \"lastLoginAt\" TO \"lastSeenAt\";\n",
    )
    .unwrap();
    let (code, step) = verify_schema_step(&repo);
    assert_eq!((code, &step["status"]), (0, &"passed".into()), "{step}");
    let out = run(xtask(repo.root()).args(["diff", "--backend", "local"]));
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
}

/// `diff` (and `new`, `dev`, `status --drift`) keep what a replay read: with nothing changed the
/// next call reads it back instead of replaying (the kept file is what it compares: edited by
/// hand, the edit shows); a migration added or edited is another key, replayed again.
#[test]
fn a_replay_is_kept_until_the_history_changes() {
    let repo = TempRepo::new();
    repo.copy_example("azora-education");
    let diff = || {
        let mut c = xtask(repo.root());
        c.args(["diff", "--backend", "local"]);
        run(&mut c)
    };
    let out = diff();
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let dir = repo
        .root()
        .join("target/xtask/replay-cache/azora-education");
    let kept: Vec<std::path::PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(kept.len(), 1, "{kept:?}");
    // The kept schema is what the next call compares: a table taken out of it shows.
    let text = std::fs::read_to_string(&kept[0]).unwrap();
    let mut json: serde_json::Value = serde_json::from_str(&text).unwrap();
    json["schema"]["tables"]
        .as_array_mut()
        .unwrap()
        .retain(|t| t["name"] != "courses");
    std::fs::write(&kept[0], json.to_string()).unwrap();
    let out = diff();
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("`courses`"), "{}", out.stdout);
    // A new migration is another history: replayed, and in sync again.
    repo.migration(
        "azora-education",
        "20260101000000_add_note_table",
        "CREATE TABLE \"notes\" (\"id\" TEXT NOT NULL, CONSTRAINT \"notes_pkey\" PRIMARY KEY (\"id\"));\n",
    );
    edit(repo.root(), SCHEMA, |s| {
        format!("{s}\nmodel Note {{\n  id String @id\n\n  @@map(\"notes\")\n}}\n")
    });
    let out = diff();
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 2);
    // An edited migration too.
    edit(
        repo.root(),
        "services/azora-education/prisma/migrations/20260101000000_add_note_table/migration.sql",
        |s| {
            s.replace(
                "\"id\" TEXT NOT NULL,",
                "\"id\" TEXT NOT NULL, \"body\" TEXT,",
            )
        },
    );
    let out = diff();
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("body"), "{}", out.stdout);
}

/// Prisma's postgresqlExtensions: the datasource's `extensions` are compared and generated as
/// Prisma's engine writes them (created first, `WITH SCHEMA` / `VERSION` when asked for), an
/// installed one not declared is left alone, and a declared one is no longer listed as
/// unmanaged.
#[test]
fn declared_extensions_are_compared_and_generated() {
    let repo = TempRepo::new();
    repo.migration(
        "svc",
        "20250101000000_init",
        "CREATE EXTENSION IF NOT EXISTS \"pg_trgm\";\n\n-- CreateTable\nCREATE TABLE \"A\" (\n    \"id\" INTEGER NOT NULL,\n\n    CONSTRAINT \"A_pkey\" PRIMARY KEY (\"id\")\n);\n",
    );
    let schema = |extensions: &str| {
        write(
            repo.root(),
            "services/svc/prisma/schema.prisma",
            &format!(
                "generator client {{\n  provider        = \"prisma-client-js\"\n  previewFeatures = [\"postgresqlExtensions\"]\n}}\n\ndatasource db {{\n  provider   = \"postgresql\"\n  url        = env(\"DATABASE_URL\")\n  extensions = [{extensions}]\n}}\n\nmodel A {{\n  id Int @id\n}}\n"
            ),
        )
    };
    let diff = |args: &[&str]| {
        run(xtask(repo.root())
            .args(["diff", "--backend", "local"])
            .args(args))
    };
    schema("pg_trgm");
    let out = diff(&[]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        !out.stdout.contains("extension \"pg_trgm\""),
        "declared, so managed: {}",
        out.stdout
    );
    schema("pg_trgm, citext, hstore(schema: \"public\")");
    let out = diff(&[]);
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("[+] Added extensions\n    - citext\n")
            && out
                .stdout
                .contains("extension `citext` is in schema.prisma but not in the migrations"),
        "{}",
        out.stdout
    );
    let out = diff(&["--script"]);
    assert!(
        out.stdout.starts_with(
            "-- CreateExtension\nCREATE EXTENSION IF NOT EXISTS \"citext\";\n\n-- CreateExtension\nCREATE EXTENSION IF NOT EXISTS \"hstore\" WITH SCHEMA \"public\";\n"
        ),
        "{}",
        out.stdout
    );
    let out = run(xtask(repo.root()).args([
        "new",
        "-s",
        "svc",
        "--from-schema",
        "--name",
        "add_extensions",
    ]));
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let out = diff(&[]);
    assert_eq!(
        out.code, 0,
        "in sync once written: {}{}",
        out.stdout, out.stderr
    );
    let (out, json) = verify_json(repo.root(), &[]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert_eq!(step(&json[0], "schema")["status"], "passed");
}

/// A `Bytes` default is base64 in schema.prisma and hex in the database (`'\x...'::bytea`):
/// the same bytes are no difference, other bytes are one, written as Prisma writes them.
#[test]
fn bytes_defaults_compare_by_their_bytes() {
    let repo = TempRepo::new();
    repo.migration(
        "svc",
        "20250101000000_init",
        "-- CreateTable\nCREATE TABLE \"Blob\" (\n    \"id\" INTEGER NOT NULL,\n    \"data\" BYTEA NOT NULL DEFAULT '\\x68656c6c6f',\n\n    CONSTRAINT \"Blob_pkey\" PRIMARY KEY (\"id\")\n);\n",
    );
    let schema = |default: &str| {
        write(
            repo.root(),
            "services/svc/prisma/schema.prisma",
            &format!(
                "datasource db {{\n  provider = \"postgresql\"\n  url      = env(\"DATABASE_URL\")\n}}\n\nmodel Blob {{\n  id   Int   @id\n  data Bytes @default(\"{default}\")\n}}\n"
            ),
        )
    };
    let diff = |args: &[&str]| {
        run(xtask(repo.root())
            .args(["diff", "--backend", "local"])
            .args(args))
    };
    // `hello`, as the migration's hex has it.
    schema("aGVsbG8=");
    let out = diff(&[]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    // `hellp`: another default, written as Prisma writes it.
    schema("aGVsbHA=");
    let out = diff(&["--script"]);
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout
            .contains("ALTER TABLE \"Blob\" ALTER COLUMN \"data\" SET DEFAULT '\\x68656c6c70';"),
        "{}",
        out.stdout
    );
    // Refused where it is written: the snapshot of schema_errors_are_located_with_a_snippet.
}
