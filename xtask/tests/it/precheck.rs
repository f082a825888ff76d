//! `migrate --precheck` and `--dry-run` against a real database holding rows: what each
//! pending migration will meet (NULLs, duplicates, orphans, values that do not cast, rows before
//! a required column), each statement's lock and verdict, and that nothing changes.

use crate::common;

use std::path::Path;

use common::{run, xtask};
use serde_json::Value;
use shared_migrate::{DatabaseUrl, connect};
use test_support::{TempRepo, fresh_database};

const INIT: &str = r#"CREATE TABLE "parents" ("id" SERIAL NOT NULL, CONSTRAINT "parents_pkey" PRIMARY KEY ("id"));
CREATE TABLE "students" (
    "id" SERIAL NOT NULL,
    "email" TEXT,
    "grade" TEXT,
    "age" BIGINT,
    "parentId" INTEGER,
    CONSTRAINT "students_pkey" PRIMARY KEY ("id")
);
"#;

/// What Prisma writes when a schema tightens every column at once.
const TIGHTEN: &str = r#"-- AlterTable
ALTER TABLE "students" ALTER COLUMN "grade" SET NOT NULL;
ALTER TABLE "students" ADD COLUMN "score" INTEGER NOT NULL;
ALTER TABLE "students" ALTER COLUMN "email" SET DATA TYPE VARCHAR(8);
ALTER TABLE "students" ALTER COLUMN "age" SET DATA TYPE INTEGER;
ALTER TABLE "students" ALTER COLUMN "grade" SET DATA TYPE INTEGER;

-- CreateIndex
CREATE UNIQUE INDEX "students_email_key" ON "students"("email");

-- AddForeignKey
ALTER TABLE "students" ADD CONSTRAINT "students_parentId_fkey" FOREIGN KEY ("parentId") REFERENCES "parents"("id") ON DELETE SET NULL ON UPDATE CASCADE;
"#;

const ROWS: &str = r#"INSERT INTO parents DEFAULT VALUES;
INSERT INTO students (email, grade, age, "parentId") VALUES
  ('a@x.io', NULL, 12, 1),
  ('a@x.io', 'B', 9999999999, 7),
  ('b@x.io', NULL, 13, NULL),
  ('much-too-long@example.com', 'A', 14, 1);
"#;

fn repo_with(db: &DatabaseUrl) -> (TempRepo, impl Fn(&[&str]) -> common::Out) {
    let repo = TempRepo::new();
    repo.migration("app", "20250101000000_init", INIT);
    let root = repo.root().to_path_buf();
    let url = db.expose().to_string();
    let cmd = move |args: &[&str]| run(xtask(&root).args(args).env("APP_DATABASE_URL", &url));
    (repo, cmd)
}

/// The tables' definitions, files, constraints, indexes, rows and the ledger, as one text: equal
/// before and after means the precheck changed nothing.
fn fingerprint(db: &DatabaseUrl) -> String {
    let mut c = connect(db).unwrap();
    let row = c
        .query_one(
            r#"SELECT
                 (SELECT string_agg(c.relname || ':' || c.relfilenode || ':' || c.relkind::text, ',' ORDER BY c.relname)
                    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'),
                 (SELECT string_agg(a.attrelid::regclass || '.' || a.attname || ':' || format_type(a.atttypid, a.atttypmod) || ':' || a.attnotnull, ',' ORDER BY 1)
                    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
                    WHERE n.nspname = 'public' AND a.attnum > 0 AND NOT a.attisdropped),
                 (SELECT string_agg(conname || ':' || pg_get_constraintdef(oid) || ':' || convalidated, ',' ORDER BY conname)
                    FROM pg_constraint WHERE connamespace = 'public'::regnamespace),
                 (SELECT string_agg(s::text, ',' ORDER BY s.id) FROM students s),
                 (SELECT string_agg(migration_name || ':' || coalesce(finished_at::text, '-'), ',' ORDER BY migration_name)
                    FROM _prisma_migrations)"#,
            &[],
        )
        .unwrap();
    (0..5)
        .map(|i| row.get::<_, Option<String>>(i).unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n")
}

fn checks(json: &Value) -> Vec<&Value> {
    json[0]["planned"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["checks"].as_array().unwrap())
        .collect()
}

fn check<'a>(checks: &[&'a Value], what: &str) -> &'a Value {
    checks
        .iter()
        .find(|c| c["what"].as_str().unwrap().starts_with(what))
        .unwrap_or_else(|| panic!("no check for {what}: {checks:#?}"))
}

#[test]
fn each_data_failure_is_found_read_only_and_stops_the_deploy() {
    let db = fresh_database("precheck");
    let (repo, cmd) = repo_with(&db);
    let out = cmd(&["migrate"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    connect(&db).unwrap().batch_execute(ROWS).unwrap();
    repo.migration("app", "20250102000000_tighten", TIGHTEN);
    repo.migration(
        "app",
        "20250103000000_index_age",
        "CREATE INDEX CONCURRENTLY \"students_age_idx\" ON \"students\"(\"age\");\n",
    );
    let before = fingerprint(&db);

    let out = cmd(&["migrate", "--dry-run", "--format", "json"]);
    assert_eq!(
        out.code, 1,
        "a deploy would fail: {}{}",
        out.stdout, out.stderr
    );
    let json: Value = serde_json::from_str(&out.stdout).unwrap();
    let checks = checks(&json);
    let verdict = |what: &str| {
        check(&checks, what)["verdict"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let finding = |what: &str| {
        check(&checks, what)["finding"]
            .as_str()
            .unwrap()
            .to_string()
    };

    assert_eq!(verdict("ALTER COLUMN \"grade\" SET NOT NULL"), "will-fail");
    assert_eq!(
        finding("ALTER COLUMN \"grade\" SET NOT NULL"),
        "2 rows have NULL in \"grade\""
    );
    assert_eq!(verdict("ADD COLUMN \"score\""), "will-fail");
    assert_eq!(verdict("ALTER COLUMN \"email\" SET DATA TYPE"), "will-fail");
    assert_eq!(
        finding("ALTER COLUMN \"email\" SET DATA TYPE"),
        "1 value longer than 8 characters"
    );
    assert_eq!(verdict("ALTER COLUMN \"age\" SET DATA TYPE"), "will-fail");
    assert_eq!(
        finding("ALTER COLUMN \"age\" SET DATA TYPE"),
        "integer out of range"
    );
    assert_eq!(verdict("ALTER COLUMN \"grade\" SET DATA TYPE"), "will-fail");
    assert_eq!(
        finding("ALTER COLUMN \"grade\" SET DATA TYPE"),
        "there is no automatic conversion from text to integer: without USING the statement fails on any table"
    );
    assert_eq!(verdict("CREATE UNIQUE INDEX"), "will-fail");
    assert_eq!(
        finding("CREATE UNIQUE INDEX"),
        "1 value of (\"email\") held by more than one row"
    );
    assert_eq!(verdict("ADD FOREIGN KEY"), "will-fail");
    assert_eq!(
        finding("ADD FOREIGN KEY"),
        "1 row with no matching row in \"parents\" (\"parentId\")"
    );
    // Locks, sizes and locations.
    let grade = check(&checks, "ALTER COLUMN \"grade\" SET NOT NULL");
    assert_eq!(grade["lock"], "ACCESS EXCLUSIVE");
    assert_eq!(grade["rows"], 4);
    assert!(
        grade["at"]
            .as_str()
            .unwrap()
            .ends_with("20250102000000_tighten/migration.sql:2:24"),
        "{grade}"
    );
    assert_eq!(
        check(&checks, "ADD FOREIGN KEY")["lock"],
        "SHARE ROW EXCLUSIVE"
    );
    let concurrent = check(&checks, "CREATE INDEX CONCURRENTLY");
    assert_eq!(concurrent["lock"], "SHARE UPDATE EXCLUSIVE");
    assert_eq!(concurrent["verdict"], "ok");

    // The human dry run: the plan, each check, and why the deploy would fail.
    let out = cmd(&["migrate", "--dry-run"]);
    assert_eq!(out.code, 1);
    assert!(
        out.stdout.contains("precheck, on the rows there now:"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("ALTER COLUMN \"grade\" SET NOT NULL on \"students\" (ACCESS EXCLUSIVE): will fail: 2 rows have NULL in \"grade\""),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("app: a deploy would fail"),
        "{}",
        out.stdout
    );

    // A deploy with --precheck applies nothing.
    let out = cmd(&["migrate", "--precheck"]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout
            .contains("nothing was applied: the precheck found"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("Prisma's expand and contract"),
        "{}",
        out.stdout
    );
    assert_eq!(
        fingerprint(&db),
        before,
        "the precheck changed the database"
    );

    // The data fixed: the deploy goes ahead, and a non-concurrent index on rows blocks writes.
    connect(&db)
        .unwrap()
        .batch_execute(
            "UPDATE students SET grade = 'C' WHERE grade IS NULL; \
             UPDATE students SET age = 12, \"parentId\" = 1 WHERE id = 2; \
             UPDATE students SET email = 'c@x.io' WHERE id IN (2, 4)",
        )
        .unwrap();
    repo.migration(
        "app",
        "20250102000000_tighten",
        &TIGHTEN
            .replace("INTEGER NOT NULL", "INTEGER NOT NULL DEFAULT 0")
            .replace(
                "ALTER TABLE \"students\" ALTER COLUMN \"grade\" SET DATA TYPE INTEGER;\n",
                "",
            )
            .replace(
                "CREATE UNIQUE INDEX \"students_email_key\"",
                "CREATE INDEX \"students_email_idx\"",
            ),
    );
    let out = cmd(&["migrate", "--dry-run", "--format", "json"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let json: Value = serde_json::from_str(&out.stdout).unwrap();
    let checks = self::checks(&json);
    assert!(
        checks.iter().all(|c| c["verdict"] != "will-fail"),
        "{checks:#?}"
    );
    assert_eq!(
        check(&checks, "CREATE INDEX \"students_email_idx\"")["verdict"],
        "will-block-writes"
    );
    assert_eq!(
        check(&checks, "ALTER COLUMN \"grade\" SET NOT NULL")["verdict"],
        "will-block-reads-and-writes"
    );
    let out = cmd(&["migrate", "--precheck"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
}

/// The guide's safe sequence passes: a column the pending migrations add is "not in the
/// database yet" (unknown), not a failure.
#[test]
fn expand_and_contract_passes() {
    let db = fresh_database("precheck_safe");
    let (repo, cmd) = repo_with(&db);
    assert_eq!(cmd(&["migrate"]).code, 0);
    connect(&db).unwrap().batch_execute(ROWS).unwrap();
    repo.migration(
        "app",
        "20250102000000_add_score",
        "ALTER TABLE \"students\" ADD COLUMN \"score\" INTEGER;\n",
    );
    repo.migration(
        "app",
        "20250103000000_backfill_score",
        "UPDATE \"students\" SET \"score\" = 0 WHERE \"score\" IS NULL;\nALTER TABLE \"students\" ALTER COLUMN \"score\" SET NOT NULL;\n\
         ALTER TABLE \"students\" ADD CONSTRAINT \"students_parentId_fkey\" FOREIGN KEY (\"parentId\") REFERENCES \"parents\"(\"id\") NOT VALID;\n",
    );
    let out = cmd(&["migrate", "--dry-run", "--format", "json"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let json: Value = serde_json::from_str(&out.stdout).unwrap();
    let checks = checks(&json);
    let score = check(&checks, "ALTER COLUMN \"score\" SET NOT NULL");
    assert_eq!(score["verdict"], "unknown");
    assert!(
        score["finding"]
            .as_str()
            .unwrap()
            .contains("not in the database yet")
    );
    assert_eq!(check(&checks, "ADD COLUMN \"score\"")["verdict"], "ok");
    assert_eq!(
        check(&checks, "ADD FOREIGN KEY")["verdict"],
        "ok",
        "NOT VALID checks no row"
    );
    let out = cmd(&["migrate", "--precheck"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
}

/// The migration's own expressions are evaluated on the rows, read-only: a type change's USING
/// conversion (the first value it fails on is named; one that takes every value only blocks)
/// and a new CHECK (the rows it is false for; NOT VALID checks none).
#[test]
fn using_and_check_expressions_are_evaluated_on_the_rows() {
    let db = fresh_database("precheck_using");
    let (repo, cmd) = repo_with(&db);
    assert_eq!(cmd(&["migrate"]).code, 0);
    connect(&db).unwrap().batch_execute(ROWS).unwrap();
    let before = fingerprint(&db);
    let what = "ALTER COLUMN \"grade\" SET DATA TYPE integer";
    repo.migration(
        "app",
        "20250102000000_grade_number",
        "ALTER TABLE \"students\" ALTER COLUMN \"grade\" SET DATA TYPE INTEGER USING (\"grade\"::integer);\n",
    );
    let out = cmd(&["migrate", "--dry-run", "--format", "json"]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    let json: Value = serde_json::from_str(&out.stdout).unwrap();
    let grade = check(&checks(&json), what).clone();
    assert_eq!(grade["verdict"], "will-fail", "{grade}");
    assert!(
        grade["finding"]
            .as_str()
            .unwrap()
            .contains("invalid input syntax for type integer: \"B\""),
        "{grade}"
    );
    repo.migration(
        "app",
        "20250102000000_grade_number",
        "ALTER TABLE \"students\" ALTER COLUMN \"grade\" SET DATA TYPE INTEGER USING (CASE WHEN \"grade\" ~ '^[0-9]+$' THEN \"grade\"::integer END);\n",
    );
    let out = cmd(&["migrate", "--dry-run", "--format", "json"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let json: Value = serde_json::from_str(&out.stdout).unwrap();
    let grade = check(&checks(&json), what).clone();
    assert_eq!(grade["verdict"], "will-block-reads-and-writes", "{grade}");
    assert_eq!(
        grade["finding"], "every value converts with USING",
        "{grade}"
    );

    let check_age =
        "ALTER TABLE \"students\" ADD CONSTRAINT \"students_age_check\" CHECK (\"age\" < 100)";
    repo.migration(
        "app",
        "20250102000000_grade_number",
        &format!("{check_age};\n"),
    );
    let out = cmd(&["migrate", "--dry-run", "--format", "json"]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    let json: Value = serde_json::from_str(&out.stdout).unwrap();
    let age = check(&checks(&json), "ADD CHECK \"students_age_check\"").clone();
    assert_eq!(age["verdict"], "will-fail", "{age}");
    assert_eq!(age["finding"], "1 row violates the CHECK", "{age}");
    repo.migration(
        "app",
        "20250102000000_grade_number",
        &format!("{check_age} NOT VALID;\n"),
    );
    let out = cmd(&["migrate", "--dry-run", "--format", "json"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert_eq!(
        fingerprint(&db),
        before,
        "the precheck changed the database"
    );
}

/// What the pending migrations create (a type, a function) is not in the database yet: a check
/// that needs it is "unknown", and the other checks still run.
#[test]
fn a_type_the_migration_creates_is_unknown_not_an_error() {
    let db = fresh_database("precheck_new_type");
    let (repo, cmd) = repo_with(&db);
    assert_eq!(cmd(&["migrate"]).code, 0);
    connect(&db).unwrap().batch_execute(ROWS).unwrap();
    repo.migration(
        "app",
        "20250102000000_grade_enum",
        "CREATE TYPE \"Grade\" AS ENUM ('A', 'B', 'C');\n\
         ALTER TABLE \"students\" ALTER COLUMN \"grade\" SET DATA TYPE \"Grade\" USING (\"grade\"::text::\"Grade\");\n\
         ALTER TABLE \"students\" ALTER COLUMN \"email\" SET DATA TYPE \"Grade\";\n\
         ALTER TABLE \"students\" ALTER COLUMN \"grade\" SET NOT NULL;\n",
    );
    let out = cmd(&["migrate", "--dry-run", "--format", "json"]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    let json: Value = serde_json::from_str(&out.stdout).unwrap();
    let found = checks(&json);
    for column in ["grade", "email"] {
        let set = check(&found, &format!("ALTER COLUMN \"{column}\" SET DATA TYPE"));
        assert_eq!(set["verdict"], "unknown", "{set}");
        assert!(
            set["finding"]
                .as_str()
                .unwrap()
                .contains("not in the database yet"),
            "{set}"
        );
    }
    assert_eq!(
        check(&found, "ALTER COLUMN \"grade\" SET NOT NULL")["verdict"],
        "will-fail"
    );

    // Once the type exists, its quoted, mixed-case name is cast to as written.
    repo.migration(
        "app",
        "20250102000000_grade_enum",
        "CREATE TYPE \"Grade\" AS ENUM ('A');\n",
    );
    assert_eq!(cmd(&["migrate"]).code, 0);
    repo.migration(
        "app",
        "20250103000000_grade_column",
        "ALTER TABLE \"students\" ALTER COLUMN \"grade\" SET DATA TYPE \"Grade\" USING (\"grade\"::text::\"Grade\");\n",
    );
    let out = cmd(&["migrate", "--dry-run", "--format", "json"]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    let json: Value = serde_json::from_str(&out.stdout).unwrap();
    let grade = check(&checks(&json), "ALTER COLUMN \"grade\" SET DATA TYPE").clone();
    assert_eq!(grade["verdict"], "will-fail", "{grade}");
    assert!(
        grade["finding"]
            .as_str()
            .unwrap()
            .contains("invalid input value for enum \"Grade\": \"B\""),
        "{grade}"
    );
}

/// A precheck never queues behind a lock: a table another session holds is "unknown" after
/// --precheck-timeout.
#[test]
fn a_locked_table_is_unknown_after_the_timeout() {
    let db = fresh_database("precheck_locked");
    let (repo, cmd) = repo_with(&db);
    assert_eq!(cmd(&["migrate"]).code, 0);
    connect(&db).unwrap().batch_execute(ROWS).unwrap();
    repo.migration(
        "app",
        "20250102000000_grade",
        "ALTER TABLE \"students\" ALTER COLUMN \"grade\" SET NOT NULL;\n",
    );
    let mut holder = connect(&db).unwrap();
    holder
        .batch_execute("BEGIN; LOCK TABLE students IN ACCESS EXCLUSIVE MODE")
        .unwrap();
    let out = cmd(&[
        "migrate",
        "--dry-run",
        "--precheck-timeout",
        "300ms",
        "--format",
        "json",
    ]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let json: Value = serde_json::from_str(&out.stdout).unwrap();
    let grade = check(&checks(&json), "ALTER COLUMN \"grade\"").clone();
    assert_eq!(grade["verdict"], "unknown", "{grade}");
    assert!(
        grade["finding"]
            .as_str()
            .unwrap()
            .contains("not counted within 300ms"),
        "{grade}"
    );
    holder.batch_execute("ROLLBACK").unwrap();
    let _: &Path = repo.root();
}
