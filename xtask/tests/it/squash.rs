//! `squash -s S [--up-to NAME]` on real PostgreSQL and a real git repository: data statements
//! refused until the user chooses; the squash proved and written (extension, enum, function,
//! trigger, view, comment and the rows kept); a database that applied every replaced migration
//! records the squash without running it, an empty one runs it, one that applied only some is
//! refused; lint does not report the replaced folders as removed.

use shared_migrate::DatabaseUrl;
use test_support::{TempRepo, fresh_database};

use crate::common::{count, folders, git, on_svc};

const HISTORY: &[(&str, &str)] = &[
    (
        "20250101000000_create_people",
        "CREATE EXTENSION IF NOT EXISTS \"pgcrypto\";\n\
         CREATE TYPE \"Role\" AS ENUM ('USER', 'ADMIN');\n\
         CREATE TABLE \"people\" (\"id\" SERIAL NOT NULL, \"role\" \"Role\" NOT NULL DEFAULT 'USER', \"uid\" UUID DEFAULT gen_random_uuid(), CONSTRAINT \"people_pkey\" PRIMARY KEY (\"id\"));\n\
         COMMENT ON TABLE \"people\" IS 'everyone';\n",
    ),
    (
        "20250102000000_create_roles_lookup",
        "CREATE TABLE \"roles_lookup\" (\"name\" TEXT NOT NULL, CONSTRAINT \"roles_lookup_pkey\" PRIMARY KEY (\"name\"));\n\
         INSERT INTO \"roles_lookup\" VALUES ('admin'), ('user');\n",
    ),
    (
        "20250103000000_add_people_touch_trigger",
        "ALTER TABLE \"people\" ADD COLUMN \"updatedAt\" TIMESTAMP(3);\n\
         CREATE FUNCTION touch() RETURNS trigger AS $$ BEGIN NEW.\"updatedAt\" := now(); RETURN NEW; END $$ LANGUAGE plpgsql;\n\
         CREATE TRIGGER people_touch BEFORE UPDATE ON \"people\" FOR EACH ROW EXECUTE FUNCTION touch();\n\
         ALTER TYPE \"Role\" ADD VALUE 'OWNER';\n",
    ),
    (
        "20250104000000_add_admins_view",
        "CREATE VIEW \"admins\" AS SELECT \"id\" FROM \"people\" WHERE \"role\" = 'ADMIN';\n\
         CREATE INDEX \"people_role_idx\" ON \"people\"(\"role\");\n",
    ),
    (
        "20250105000000_add_people_email",
        "ALTER TABLE \"people\" ADD COLUMN \"email\" TEXT;\n",
    ),
];

fn rows(url: &DatabaseUrl) -> i64 {
    count(url, "SELECT count(*) FROM _prisma_migrations")
}

#[test]
fn a_history_is_squashed_proved_and_recorded_where_it_was_applied() {
    let repo = TempRepo::new();
    let root = repo.root();
    git(root, &["init", "-q", "-b", "main"]);
    for (name, sql) in HISTORY {
        repo.migration("svc", name, sql);
    }
    git(root, &["add", "-A"]);
    git(root, &["commit", "-q", "-m", "history"]);
    let full = fresh_database("squash_full");
    let part = fresh_database("squash_part");
    let empty = fresh_database("squash_empty");
    assert_eq!(on_svc(root, &full, &["migrate"]).code, 0);
    let out = on_svc(
        root,
        &part,
        &["migrate", "--to", "20250102000000_create_roles_lookup"],
    );
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);

    // The INSERT is a data statement: the user chooses, nothing is written meanwhile.
    let up_to = "20250104000000_add_admins_view";
    let out = on_svc(root, &full, &["squash", "-s", "svc", "--up-to", up_to]);
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains(
            "20250102000000_create_roles_lookup/migration.sql:2:1: INSERT INTO \"roles_lookup\""
        ) && out.stderr.contains("--keep-data-statements"),
        "{}",
        out.stderr
    );
    assert_eq!(folders(&repo).len(), 5, "nothing written");

    let out = on_svc(
        root,
        &full,
        &[
            "squash",
            "-s",
            "svc",
            "--up-to",
            up_to,
            "--keep-data-statements",
        ],
    );
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout
            .contains("the squash builds what the 4 migrations build")
            && out.stdout.contains(
                "npx prisma migrate resolve --applied 20250104000000_squashed_migrations"
            ),
        "{}",
        out.stdout
    );
    let squash = "20250104000000_squashed_migrations";
    assert_eq!(
        folders(&repo),
        [squash, "20250105000000_add_people_email"],
        "the four replaced, the last kept"
    );
    let dir = root.join("services/svc/prisma/migrations").join(squash);
    let sql = std::fs::read_to_string(dir.join("migration.sql")).unwrap();
    for part in [
        "CREATE EXTENSION IF NOT EXISTS \"pgcrypto\"",
        "CREATE TYPE \"Role\" AS ENUM (\n    'USER',\n    'ADMIN',\n    'OWNER'\n)",
        "CREATE FUNCTION touch()",
        "CREATE TRIGGER people_touch BEFORE UPDATE ON people",
        "CREATE VIEW admins AS",
        "COMMENT ON TABLE people IS 'everyone'",
        "INSERT INTO roles_lookup (name) VALUES ('admin')",
        "CREATE INDEX people_role_idx ON people USING btree (role)",
    ] {
        assert!(sql.contains(part), "{part} missing from:\n{sql}");
    }
    assert!(
        !sql.contains("public."),
        "the URL's schema stays implied:\n{sql}"
    );
    let listed = std::fs::read_to_string(dir.join("squash.toml")).unwrap();
    assert_eq!(listed.matches("[[replaces]]").count(), 4, "{listed}");

    // Applied every one: recorded without running (status says so first).
    let out = on_svc(root, &full, &["status"]);
    assert_eq!(out.code, 3, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout
            .contains("records it as applied without running it")
            && out
                .stdout
                .contains("4 migrations applied here replaced by the squash"),
        "{}",
        out.stdout
    );
    let before = rows(&full);
    let out = on_svc(root, &full, &["migrate"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("recorded as applied without running"),
        "{}",
        out.stdout
    );
    assert_eq!(rows(&full), before + 1);
    assert_eq!(
        count(
            &full,
            &format!(
                "SELECT applied_steps_count::bigint FROM _prisma_migrations WHERE migration_name = '{squash}'"
            )
        ),
        0
    );
    assert_eq!(on_svc(root, &full, &["status"]).code, 0);

    // Applied only some: refused, with what to do; nothing changed.
    let before = rows(&part);
    let out = on_svc(root, &part, &["migrate"]);
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("this database applied 2 of them")
            && out.stdout.contains("git log --diff-filter=A"),
        "{}",
        out.stdout
    );
    assert_eq!(rows(&part), before);
    assert_eq!(on_svc(root, &part, &["status"]).code, 1);

    // An empty database runs it: the rows it kept are there, and it builds what the
    // migrations built on the database that ran them.
    let out = on_svc(root, &empty, &["migrate"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert_eq!(count(&empty, "SELECT count(*) FROM roles_lookup"), 2);
    assert_eq!(
        count(
            &empty,
            "SELECT count(*) FROM pg_trigger WHERE tgname = 'people_touch'"
        ),
        1
    );
    let out = on_svc(
        root,
        &full,
        &[
            "diff",
            "-s",
            "svc",
            "--from",
            "migrations",
            "--to",
            "database",
        ],
    );
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);

    // Lint does not take the replaced folders for removed ones, nor the squash for a late one.
    git(root, &["add", "-A"]);
    git(root, &["commit", "-q", "-m", "squash"]);
    let out = on_svc(root, &full, &["lint", "--since", "HEAD~1"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
}

#[test]
fn squash_refuses_what_it_cannot_replace() {
    let repo = TempRepo::new();
    let root = repo.root();
    repo.migration(
        "svc",
        "20250101000000_create_people",
        "CREATE TABLE \"people\" (\"id\" INTEGER NOT NULL);\n",
    );
    repo.migration(
        "svc",
        "20250102000000_add_people_email",
        "ALTER TABLE \"people\" ADD COLUMN \"email\" TEXT;\n",
    );
    let url = fresh_database("squash_refused");
    let squash = |args: &[&str]| {
        let mut all = vec!["squash", "-s", "svc"];
        all.extend_from_slice(args);
        on_svc(root, &url, &all)
    };
    // One migration is nothing to squash; an unknown --up-to is named with a suggestion.
    let out = squash(&["--up-to", "20250101000000_create_people"]);
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains("a squash replaces two or more"),
        "{}",
        out.stderr
    );
    let out = squash(&["--up-to", "20250102000000_add_people_emial"]);
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains("20250102000000_add_people_email"),
        "{}",
        out.stderr
    );
    // A name that does not fit the convention, or that is a replaced migration's.
    let out = squash(&["--name", "Bad Name"]);
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    let out = squash(&["--name", "add_people_email"]);
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("pass another --name"), "{}", out.stderr);
    assert_eq!(folders(&repo).len(), 2, "nothing written");
    // A squash.toml that does not read is an error at its line, for every command.
    let out = squash(&[]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let listed =
        root.join("services/svc/prisma/migrations/20250102000000_squashed_migrations/squash.toml");
    std::fs::write(&listed, "[[replaces]]\nname = 1\n").unwrap();
    let out = on_svc(root, &url, &["migrate"]);
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("squash.toml:2:8"), "{}", out.stdout);
}
