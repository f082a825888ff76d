//! Rule tests: lint a small history and render the findings of its last migration as the
//! human output shows them (the snapshots).

use chrono::NaiveDateTime;

use crate::lint::config::LintConfig;
use crate::lint::history::Baseline;
use crate::lint::render;
use crate::lint::rules::ServiceCx;
use crate::lint::{MigrationFile, lint_service};

/// "Now" in tests.
pub(crate) fn now() -> NaiveDateTime {
    NaiveDateTime::parse_from_str("20260101000000", "%Y%m%d%H%M%S").unwrap()
}

/// Findings in the last of `history` (earlier ones are context), with default configuration.
pub(crate) fn check(history: &[&str]) -> String {
    let named: Vec<(String, &str)> = history
        .iter()
        .enumerate()
        .map(|(i, sql)| (format!("2025010100{i:04}_step_{i}"), *sql))
        .collect();
    let named: Vec<(&str, &str)> = named.iter().map(|(n, s)| (n.as_str(), *s)).collect();
    check_with(&LintConfig::default(), &named, None, true)
}

/// Findings of a history of (folder name, SQL); with `last_only`, only the last migration is
/// in scope.
pub(crate) fn check_with(
    config: &LintConfig,
    history: &[(&str, &str)],
    baseline: Option<&Baseline>,
    last_only: bool,
) -> String {
    let migrations: Vec<MigrationFile> = history
        .iter()
        .enumerate()
        .map(|(i, (name, sql))| {
            let mut m = MigrationFile::new(
                name.to_string(),
                format!("services/app/prisma/migrations/{name}/migration.sql"),
                sql.to_string(),
            );
            m.in_scope = !last_only || i + 1 == history.len();
            m
        })
        .collect();
    let cx = ServiceCx {
        service: "app",
        migrations: &migrations,
        config,
        baseline,
        now: now(),
    };
    let renderer = annotate_snippets::Renderer::plain();
    lint_service(&cx, "services/app/prisma/migrations")
        .iter()
        .map(|f| render::diagnostic(f, &renderer))
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// The CREATE TABLE statements most tests start from, as Prisma writes them.
pub(crate) const STUDENTS: &str = r#"-- CreateTable
CREATE TABLE "students" (
    "id" TEXT NOT NULL,
    "email" TEXT NOT NULL,
    "name" VARCHAR(100),
    "balance" DECIMAL(10,2) NOT NULL DEFAULT 0,
    CONSTRAINT "students_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "courses" (
    "id" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    CONSTRAINT "courses_pkey" PRIMARY KEY ("id")
);
"#;
