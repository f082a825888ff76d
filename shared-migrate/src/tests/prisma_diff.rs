//! Our verdict against the real Prisma CLI's, on the 26 schema changes recorded with Prisma
//! 6.19 in `tests/data/prisma-diff/` (`v..` folders: `before.prisma`, `after.prisma`,
//! `init.sql` = Prisma's SQL for before.prisma, and Prisma's outputs), and on the cases derived
//! from the engine's source (`d..` folders, a `DERIVED.md` naming the source; `script.sql`: the
//! script). For each: the database `init.sql` builds, read from the catalog, compared with
//! after.prisma, must give Prisma's summary and SQL; compared with before.prisma, no difference.

use std::path::{Path, PathBuf};

use crate::diff::{self, SqlSchema};
use crate::psl::{self, SourceFile};
use postgres::NoTls;
use test_support::fresh_database;

const DATASOURCE: &str =
    "datasource db {\n  provider = \"postgresql\"\n  url      = env(\"DATABASE_URL\")\n}\n\n";

fn cases() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/prisma-diff");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    cases
}

/// A case derived from the engine's source rather than recorded from the CLI.
fn derived(case: &Path) -> bool {
    case.join("DERIVED.md").is_file()
}

/// The schema Prisma would create for a case's `.prisma` file.
fn calculated(path: &Path) -> SqlSchema {
    let text = format!("{DATASOURCE}{}", std::fs::read_to_string(path).unwrap());
    let files = vec![SourceFile::parse(path, text)];
    let dm = psl::datamodel(&files).unwrap_or_else(|e| panic!("{e}"));
    diff::calculate(&dm, &files, "public")
}

/// The schema of a database built by the case's `init.sql`.
fn migrated(case: &Path) -> SqlSchema {
    let url = fresh_database("prisma_diff");
    let mut c = url.config().connect(NoTls).unwrap();
    c.batch_execute(&std::fs::read_to_string(case.join("init.sql")).unwrap())
        .unwrap();
    let partial = ["before.prisma", "after.prisma"].iter().any(|f| {
        std::fs::read_to_string(case.join(f)).is_ok_and(|t| t.contains("\"partialIndexes\""))
    });
    diff::introspect(&mut c, &["public".to_string()], partial)
        .unwrap()
        .schema
}

#[test]
fn every_recorded_change_gets_prismas_summary() {
    let mut failures = Vec::new();
    for case in cases() {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let db = migrated(&case);
        // Before: what init.sql built is exactly what before.prisma says.
        let before = calculated(&case.join("before.prisma"));
        let m = diff::compare(&db, &before, &[], &[]);
        if !m.is_empty() {
            failures.push(format!(
                "{name}: init.sql vs before.prisma:\n{}",
                diff::summary(&m)
            ));
        }
        if derived(&case) {
            continue;
        }
        let after = calculated(&case.join("after.prisma"));
        let m = diff::compare(&db, &after, &[], &[]);
        let ours = diff::summary(&m);
        let prismas = std::fs::read_to_string(case.join("summary.txt")).unwrap();
        if ours.trim_end() != prismas.trim_end() {
            failures.push(format!("{name}:\n--- Prisma\n{prismas}\n--- ours\n{ours}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn every_recorded_change_gets_prismas_sql_byte_for_byte() {
    let naming = diff::Naming {
        default_schema: "public".into(),
        multi_schema: false,
    };
    let mut failures = Vec::new();
    for case in cases() {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let db = migrated(&case);
        let after = calculated(&case.join("after.prisma"));
        let m = diff::compare(&db, &after, &[], &[]);
        let read = |f: &str| std::fs::read_to_string(case.join(f)).unwrap();
        if derived(&case) {
            let script = diff::script(&m, &naming);
            if script != read("script.sql") {
                failures.push(format!(
                    "{name} (derived): script.sql\n--- Prisma\n{}\n--- ours\n{script}",
                    read("script.sql")
                ));
            }
        } else {
            let file = diff::migration_file(&m, &naming);
            if file != read("migration.sql") {
                failures.push(format!(
                    "{name}: migration.sql\n--- Prisma\n{}\n--- ours\n{file}",
                    read("migration.sql")
                ));
            }
            // `migrate diff --script` prints the script and a newline.
            let printed = format!("{}\n", diff::script(&m, &naming));
            if printed != read("diff-script.sql") {
                failures.push(format!(
                    "{name}: diff-script.sql\n--- Prisma\n{}\n--- ours\n{printed}",
                    read("diff-script.sql")
                ));
            }
        }
        // And from nothing, before.prisma is Prisma's init.sql.
        let empty = SqlSchema::default();
        let before = calculated(&case.join("before.prisma"));
        let init = diff::script(&diff::compare(&empty, &before, &[], &[]), &naming);
        if format!("{init}\n") != read("init.sql") && init != read("init.sql") {
            failures.push(format!(
                "{name}: init.sql\n--- Prisma\n{}\n--- ours\n{init}",
                read("init.sql")
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
