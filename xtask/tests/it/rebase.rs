//! `cargo xtask rebase --onto REV` in a real git repository: main moved on while a branch added
//! migrations; the branch's that sort before main's newest get timestamps after it (folders
//! renamed, files unchanged), the service is verified; overlapping tables are refused unless
//! `--force`; lint's out-of-order finding points at the command.

use test_support::TempRepo;

use crate::common::{folders, git, run, xtask};

/// main: create_orders, then (later) add_order_note; the branch, from the first: its own
/// migrations, then main merged in.
fn diverged(branch: &[(&str, &str)]) -> TempRepo {
    let repo = TempRepo::new();
    let root = repo.root();
    git(root, &["init", "-q", "-b", "main"]);
    repo.migration(
        "svc",
        "20250101000000_create_orders",
        "CREATE TABLE \"orders\" (\"id\" INTEGER NOT NULL, CONSTRAINT \"orders_pkey\" PRIMARY KEY (\"id\"));\n",
    );
    git(root, &["add", "-A"]);
    git(root, &["commit", "-q", "-m", "orders"]);
    git(root, &["checkout", "-q", "-b", "feature"]);
    for (name, sql) in branch {
        repo.migration("svc", name, sql);
    }
    git(root, &["add", "-A"]);
    git(root, &["commit", "-q", "-m", "feature"]);
    git(root, &["checkout", "-q", "main"]);
    repo.migration(
        "svc",
        "20250105000000_add_order_note",
        "ALTER TABLE \"orders\" ADD COLUMN \"note\" TEXT;\n",
    );
    git(root, &["add", "-A"]);
    git(root, &["commit", "-q", "-m", "note"]);
    git(root, &["checkout", "-q", "feature"]);
    git(root, &["merge", "-q", "--no-edit", "main"]);
    repo
}

#[test]
fn a_branchs_migrations_move_after_main_and_the_service_is_verified() {
    let repo = diverged(&[(
        "20250103000000_create_invoices",
        "CREATE TABLE \"invoices\" (\"id\" INTEGER NOT NULL, CONSTRAINT \"invoices_pkey\" PRIMARY KEY (\"id\"));\n",
    )]);
    // Lint sees the conflict and names the command.
    let out = run(xtask(repo.root()).args(["lint", "--since", "main"]));
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("out-of-order")
            && out.stdout.contains("cargo xtask rebase -s svc --onto main"),
        "{}",
        out.stdout
    );
    let before = std::fs::read(
        repo.root()
            .join("services/svc/prisma/migrations/20250103000000_create_invoices/migration.sql"),
    )
    .unwrap();
    let out = run(xtask(repo.root()).args(["rebase", "-s", "svc", "--onto", "main"]));
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout
            .contains("20250103000000_create_invoices -> 20250105000001_create_invoices"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("passed"), "verified: {}", out.stdout);
    assert_eq!(
        folders(&repo),
        [
            "20250101000000_create_orders",
            "20250105000000_add_order_note",
            "20250105000001_create_invoices"
        ]
    );
    let after = std::fs::read(
        repo.root()
            .join("services/svc/prisma/migrations/20250105000001_create_invoices/migration.sql"),
    )
    .unwrap();
    assert_eq!(before, after, "the file is unchanged, so is its checksum");
    let out = run(xtask(repo.root()).args(["lint", "--since", "main"]));
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    // Nothing left to move.
    let out = run(xtask(repo.root()).args(["rebase", "-s", "svc", "--onto", "main"]));
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("nothing to rename"), "{}", out.stdout);
}

#[test]
fn migrations_on_main_that_change_the_same_tables_are_refused_unless_forced() {
    let repo = diverged(&[(
        "20250103000000_index_orders",
        "CREATE INDEX \"orders_id_idx\" ON \"orders\"(\"id\");\n",
    )]);
    let out =
        run(xtask(repo.root()).args(["rebase", "-s", "svc", "--onto", "main", "--no-verify"]));
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains("20250103000000_index_orders and 20250105000000_add_order_note (on main) both change `orders`")
            && out.stderr.contains("nothing was renamed"),
        "{}",
        out.stderr
    );
    assert!(folders(&repo).contains(&"20250103000000_index_orders".to_string()));
    let out = run(xtask(repo.root()).args([
        "rebase",
        "-s",
        "svc",
        "--onto",
        "main",
        "--force",
        "--no-verify",
    ]));
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains("both change orders (--force)"),
        "{}",
        out.stderr
    );
    assert_eq!(
        folders(&repo),
        [
            "20250101000000_create_orders",
            "20250105000000_add_order_note",
            "20250105000001_index_orders"
        ]
    );
}
