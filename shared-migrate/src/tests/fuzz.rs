//! Fuzzing (proptest, bounded: 1,024 cases per property unless `PROPTEST_CASES` says otherwise):
//! reading, planning, linting, rendering and reverting a migration never panic, whatever its
//! bytes; database URLs never panic and never show their password; error positions the server
//! reports land inside the file whatever they are.
//!
//! Inputs are arbitrary bytes, and "SQL soup": statements and tokens of the SQL the tool reads
//! (Prisma's DDL, BEGIN/COMMIT, CONCURRENTLY, dollar quotes, comments, suppressions) in random
//! order, which reaches far deeper into the parser and the rules than random bytes do.

use std::path::Path;

use crate::db::DatabaseUrl;
use crate::lint::{self, render};
use crate::sql::{self, Plan};
use crate::text;
use crate::workspace::Workspace;
use proptest::prelude::*;

const INIT: &str = r#"-- CreateEnum
CREATE TYPE "Role" AS ENUM ('STUDENT', 'TEACHER');

-- CreateTable
CREATE TABLE "students" (
    "id" TEXT NOT NULL,
    "email" TEXT NOT NULL,
    "role" "Role" NOT NULL DEFAULT 'STUDENT',
    "balance" DECIMAL(10,2) NOT NULL DEFAULT 0,
    CONSTRAINT "students_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "students_email_key" ON "students"("email");
"#;

const PIECES: &[&str] = &[
    "CREATE TABLE \"t\" (\"id\" TEXT NOT NULL, CONSTRAINT \"t_pkey\" PRIMARY KEY (\"id\"));",
    "ALTER TABLE \"students\" ADD COLUMN \"x\" INTEGER NOT NULL;",
    "ALTER TABLE \"students\" DROP COLUMN \"email\";",
    "ALTER TABLE \"students\" RENAME COLUMN \"email\" TO \"mail\";",
    "ALTER TABLE \"students\" ALTER COLUMN \"balance\" SET DATA TYPE BIGINT;",
    "ALTER TABLE \"students\" ALTER COLUMN \"email\" DROP NOT NULL;",
    "ALTER TABLE \"t\" ADD CONSTRAINT \"t_fk\" FOREIGN KEY (\"id\") REFERENCES \"students\"(\"id\") ON DELETE CASCADE;",
    "ALTER TABLE \"students\" ADD CONSTRAINT \"c\" CHECK (balance > 0) NOT VALID;",
    "ALTER TYPE \"Role\" ADD VALUE 'ADMIN';",
    "CREATE INDEX CONCURRENTLY \"i\" ON \"students\"(\"role\");",
    "DROP INDEX CONCURRENTLY \"students_email_key\";",
    "DROP TABLE \"students\";",
    "ALTER TABLE \"students\" RENAME TO \"pupils\";",
    "UPDATE \"students\" SET \"balance\" = 0 WHERE \"id\" = 'x';",
    "INSERT INTO \"students\" VALUES ('a', 'b');",
    "CREATE FUNCTION f() RETURNS trigger AS $$ BEGIN RETURN NEW; END $$ LANGUAGE plpgsql;",
    "DO $tag$ BEGIN PERFORM 1; END $tag$;",
    "BEGIN;",
    "COMMIT;",
    "ROLLBACK;",
    "START TRANSACTION;",
    "VACUUM;",
    "-- lint:allow drop-table: fuzz",
    "-- lint:allow",
    "-- TODO(revert)",
    "/* comment",
    "*/",
    "--",
    "$$",
    "$a$",
    "'",
    "\"",
    "E'\\''",
    ";",
    "(",
    ")",
    ",",
    "CREATE",
    "ALTER",
    "TABLE",
    "INDEX",
    "CONCURRENTLY",
    "ADD",
    "COLUMN",
    "DROP",
    "NOT NULL",
    "DEFAULT",
    "now()",
    "gen_random_uuid()",
    "\"students\"",
    "\"é\"",
    "\r\n",
    "\n",
    "\t",
    "\u{feff}",
    "\u{0}",
];

/// Random statements and tokens joined by spaces or newlines.
fn sql_soup() -> impl Strategy<Value = String> {
    prop::collection::vec((prop::sample::select(PIECES), any::<bool>()), 0..40).prop_map(|parts| {
        parts
            .into_iter()
            .map(|(p, newline)| format!("{p}{}", if newline { "\n" } else { " " }))
            .collect()
    })
}

/// A monorepo with one service: INIT, then the fuzzed migration.
struct Repo {
    dir: tempfile::TempDir,
}

const FUZZED: &str = "20250102000000_fuzzed_change";

impl Repo {
    fn new() -> Repo {
        let dir = tempfile::tempdir().unwrap();
        let init = dir
            .path()
            .join("services/svc/prisma/migrations/20250101000000_init");
        std::fs::create_dir_all(&init).unwrap();
        std::fs::write(init.join("migration.sql"), INIT).unwrap();
        std::fs::create_dir_all(
            dir.path()
                .join("services/svc/prisma/migrations")
                .join(FUZZED),
        )
        .unwrap();
        Repo { dir }
    }

    /// Everything a command does with the files, offline: read, plan, lint and render,
    /// revert. Errors are fine; panics are not.
    fn exercise(&self, bytes: &[u8]) {
        let root = self.dir.path();
        std::fs::write(
            root.join("services/svc/prisma/migrations")
                .join(FUZZED)
                .join("migration.sql"),
            bytes,
        )
        .unwrap();
        let ws = Workspace::new(root);
        let services = ws.services().unwrap();
        if let Ok(migrations) = services[0].migrations() {
            for m in &migrations {
                if let Ok(plan) = Plan::new(&m.path, &m.sql) {
                    let _ = plan.summaries(&m.sql);
                    let _ = plan.transactional_text(&m.sql);
                    let _ = plan.statement_by_statement();
                }
                let _ = text::one_line(&m.sql, 80);
            }
        }
        if let Ok(report) =
            crate::commands::lint_services(&ws, &services, &lint::LintOptions::now(None))
        {
            let _ = render::human(&report, false);
            let _ = render::human(&report, true);
            let _ = render::github(&report);
            let _ = serde_json::to_string(&report).unwrap();
        }
        let _ = crate::commands::reverse(&services[0], FUZZED);
    }
}

thread_local! {
    static REPO: Repo = Repo::new();
}

/// 1,024 cases per property by default (about a second each); `PROPTEST_CASES` overrides.
fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1024);
    ProptestConfig {
        cases,
        failure_persistence: Some(Box::new(
            proptest::test_runner::FileFailurePersistence::WithSource("regressions"),
        )),
        ..ProptestConfig::default()
    }
}

/// Prisma schema pieces in any order, and arbitrary characters among them.
fn schema_soup() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(
        &[
            "model A {",
            "model B {",
            "enum E {",
            "datasource db {",
            "}",
            "\n",
            "  id Int @id",
            "  id String @id @default(cuid())",
            "  b B @relation(fields: [bId], references: [id], onDelete: Cascade)",
            "  bId Int",
            "  as A[]",
            "  bs B[]",
            "  e E @default(X)",
            "  X",
            "  Y @map(\"y\")",
            "@@index([id(sort: Desc)], type: Gin)",
            "@@unique([id, bId])",
            "@@map(\"t\")",
            "@@id([id, bId])",
            "  url = env(\"X\")",
            "  provider = \"postgresql\"",
            "  schemas = [\"a\"]",
            "@db.VarChar(200)",
            "@default(now())",
            "@default(autoincrement())",
            "@default([1, 2])",
            "String?",
            "Int[]",
            "Unsupported(\"x\")",
            "\"",
            "(",
            ")",
            "[",
            "]",
            "@",
            "@@",
            "///doc",
            "// c",
            "é",
            "export default defineConfig({",
            "schema: \"x\",",
            "migrations: { path: `a${b}` }",
            "datasource: { url: env(\"A\") }",
            "})",
        ][..],
    );
    prop::collection::vec(
        prop_oneof![4 => pieces.prop_map(str::to_string), 1 => ".{0,3}"],
        0..60,
    )
    .prop_map(|v| v.join(" "))
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        REPO.with(|r| r.exercise(&bytes));
    }

    #[test]
    fn sql_soup_never_panics(sql in sql_soup()) {
        REPO.with(|r| r.exercise(sql.as_bytes()));
    }

    #[test]
    fn mutated_prisma_sql_never_panics(cut in 0..INIT.len(), insert in prop::sample::select(PIECES)) {
        // A real migration with a piece dropped into it at an arbitrary byte.
        let mut bytes = INIT.as_bytes()[..cut].to_vec();
        bytes.extend_from_slice(insert.as_bytes());
        bytes.extend_from_slice(&INIT.as_bytes()[cut..]);
        REPO.with(|r| r.exercise(&bytes));
    }

    #[test]
    fn server_error_positions_land_in_the_file(sql in sql_soup(), from in 0usize..2000, position in 0usize..4000) {
        let from = from.min(sql.len());
        let from = (0..=from).rev().find(|&i| sql.is_char_boundary(i)).unwrap();
        let at = sql::error_location(Path::new("m.sql"), &sql, from, position);
        prop_assert!(at.line >= 1 && at.line <= sql.lines().count().max(1) + 1);
        let _ = crate::error::snippet(&sql, &at);
    }

    #[test]
    fn any_schema_text_never_panics(text in schema_soup()) {
        // Through everything that reads a schema: syntax, data model, datasource, the
        // PostgreSQL schema Prisma would create and its SQL.
        let files = vec![crate::psl::SourceFile::parse(Path::new("s.prisma"), text.clone())];
        let _ = crate::psl::datasource(&files);
        if let Ok(dm) = crate::psl::datamodel(&files) {
            let next = crate::diff::calculate(&dm, &files, "public");
            let empty = crate::diff::SqlSchema::default();
            let m = crate::diff::compare(&empty, &next, &[], &[]);
            let naming = crate::diff::Naming { default_schema: "public".into(), multi_schema: false };
            let _ = crate::diff::migration_file(&m, &naming);
            let _ = crate::diff::summary(&m);
        }
        let _ = crate::workspace::prisma_config::parse(Path::new("prisma.config.ts"), &text);
    }

    #[test]
    fn any_text_as_a_url_never_panics(text in ".{0,120}") {
        if let Ok(url) = DatabaseUrl::parse(&text) {
            let _ = url.to_string();
        }
    }

    #[test]
    fn a_url_never_shows_its_password(
        user in "[a-z][a-z0-9_]{0,8}",
        // "PW" appears nowhere else in the URL, so any "PW" shown is the password.
        password in "PW[!-~]{1,24}",
        host in "[a-z][a-z0-9-]{0,10}(\\.[a-z]{2,5})?",
        port in 1u16..,
        db in "[a-z][a-z0-9_]{0,10}",
        query in prop::sample::select(&["", "?schema=app", "?sslmode=disable&schema=x", "?connect_timeout=3"][..]),
    ) {
        let encoded: String = url::form_urlencoded::byte_serialize(password.as_bytes()).collect();
        let text = format!("postgresql://{user}:{encoded}@{host}:{port}/{db}{query}");
        let url = DatabaseUrl::parse(&text).unwrap();
        prop_assert_eq!(url.expose_password(), Some(password.as_str()));
        let shown = url.to_string();
        prop_assert!(shown.contains(":***@") && !shown.contains("PW"), "{}", shown);
    }
}
