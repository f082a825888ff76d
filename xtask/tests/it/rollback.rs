//! `rollback -s S (--steps N | --to NAME)` on a real database: reversals proved on a throwaway
//! database first; a reversal with a TODO(revert) refused; dropping rows refused without
//! `--accept-data-loss`; the ledger rows marked rolled back and the next migrate applies the
//! folders again; a `down.sql` beside the migration is used when present.

use shared_migrate::DatabaseUrl;
use test_support::{TempRepo, fresh_database};

use crate::common::{count, on_svc};

fn columns(url: &DatabaseUrl) -> i64 {
    count(
        url,
        "SELECT count(*) FROM information_schema.columns WHERE table_name = 'people'",
    )
}

#[test]
fn the_last_migrations_are_undone_proved_and_applied_again_by_migrate() {
    let repo = TempRepo::new();
    repo.migration(
        "svc",
        "20250101000000_create_people",
        "CREATE TABLE \"people\" (\"id\" INTEGER NOT NULL, CONSTRAINT \"people_pkey\" PRIMARY KEY (\"id\"));\n",
    );
    repo.migration(
        "svc",
        "20250102000000_add_people_email",
        "ALTER TABLE \"people\" ADD COLUMN \"email\" TEXT;\n",
    );
    repo.migration(
        "svc",
        "20250103000000_index_people_email",
        "CREATE INDEX \"people_email_idx\" ON \"people\"(\"email\");\n",
    );
    let url = fresh_database("rollback");
    assert_eq!(on_svc(repo.root(), &url, &["migrate"]).code, 0);
    assert_eq!(columns(&url), 2);
    let rollback = |args: &[&str]| {
        let mut all = vec!["rollback", "-s", "svc"];
        all.extend_from_slice(args);
        on_svc(repo.root(), &url, &all)
    };

    // Without a terminal, a confirmation is needed: exit 2, nothing changed.
    let out = rollback(&["--steps", "2"]);
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("--yes"), "{}", out.stderr);

    // A row in the column the reversal drops: refused without --accept-data-loss.
    shared_migrate::connect(&url)
        .unwrap()
        .batch_execute("INSERT INTO people VALUES (1, 'ada@example.com')")
        .unwrap();
    let out = rollback(&["--steps", "2", "--yes"]);
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stderr
            .contains("column `people`.`email` holds 1 row(s)"),
        "{}",
        out.stderr
    );
    assert_eq!(columns(&url), 2, "nothing changed");

    let backups = repo.root().join("backups");
    let out = rollback(&[
        "--steps",
        "2",
        "--yes",
        "--accept-data-loss",
        "--backup",
        backups.to_str().unwrap(),
    ]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout
            .contains("undone 20250103000000_index_people_email (drafted)")
            && out
                .stdout
                .contains("undone 20250102000000_add_people_email (drafted)")
            && out.stdout.contains("backed up to"),
        "{}",
        out.stdout
    );
    assert_eq!(columns(&url), 1);
    assert_eq!(
        count(
            &url,
            "SELECT count(*) FROM _prisma_migrations WHERE rolled_back_at IS NOT NULL"
        ),
        2
    );
    let out = on_svc(repo.root(), &url, &["status"]);
    assert_eq!(out.code, 3, "pending again: {}{}", out.stdout, out.stderr);
    assert_eq!(on_svc(repo.root(), &url, &["migrate"]).code, 0);
    assert_eq!(columns(&url), 2);

    // --to NAME keeps NAME; a down.sql beside the migration is used.
    std::fs::write(
        repo.root()
            .join("services/svc/prisma/migrations/20250103000000_index_people_email/down.sql"),
        "DROP INDEX \"people_email_idx\";\n",
    )
    .unwrap();
    let out = rollback(&["--to", "20250102000000_add_people_email", "--yes"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout
            .contains("undone 20250103000000_index_people_email (down.sql)"),
        "{}",
        out.stdout
    );
    assert_eq!(
        count(
            &url,
            "SELECT count(*) FROM pg_indexes WHERE indexname = 'people_email_idx'"
        ),
        0
    );
    // A down.sql that does not undo it fails the proof: nothing changed.
    assert_eq!(on_svc(repo.root(), &url, &["migrate"]).code, 0);
    std::fs::write(
        repo.root()
            .join("services/svc/prisma/migrations/20250103000000_index_people_email/down.sql"),
        "SELECT 1;\n",
    )
    .unwrap();
    let out = rollback(&["--steps", "1", "--yes"]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains("do not give back the schema"),
        "{}",
        out.stderr
    );
    assert_eq!(
        count(
            &url,
            "SELECT count(*) FROM pg_indexes WHERE indexname = 'people_email_idx'"
        ),
        1
    );
}

#[test]
fn a_reversal_that_cannot_be_written_mechanically_is_refused() {
    let repo = TempRepo::new();
    repo.migration(
        "svc",
        "20250101000000_create_people",
        "CREATE TABLE \"people\" (\"id\" INTEGER NOT NULL, \"n\" INTEGER);\n",
    );
    repo.migration(
        "svc",
        "20250102000000_bump_people_n",
        "UPDATE \"people\" SET \"n\" = \"n\" + 1;\n",
    );
    let url = fresh_database("rollback_todo");
    assert_eq!(on_svc(repo.root(), &url, &["migrate"]).code, 0);
    let out = on_svc(
        repo.root(),
        &url,
        &["rollback", "-s", "svc", "--steps", "1", "--yes"],
    );
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains("TODO(revert)") && out.stderr.contains("down.sql"),
        "{}",
        out.stderr
    );
    assert_eq!(
        count(
            &url,
            "SELECT count(*) FROM _prisma_migrations WHERE rolled_back_at IS NOT NULL"
        ),
        0
    );
}
