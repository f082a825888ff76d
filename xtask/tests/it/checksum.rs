//! `resolve --checksum NAME`: an edit of an applied migration is accepted only when proved
//! harmless, against the version in git whose checksum the ledger recorded, or, without git,
//! against the database that ran it; a harmful edit is refused, showing the difference, and the
//! ledger is left as it was.

use shared_migrate::DatabaseUrl;
use test_support::{TempRepo, fresh_database};

use crate::common::{git, on_svc};

const NAME: &str = "20250101000000_create_people";
const ORIGINAL: &str = "CREATE TABLE \"people\" (\"id\" INTEGER NOT NULL, \"name\" TEXT, CONSTRAINT \"people_pkey\" PRIMARY KEY (\"id\"));\n";

fn recorded(url: &DatabaseUrl) -> String {
    shared_migrate::connect(url)
        .unwrap()
        .query_one(
            "SELECT checksum FROM _prisma_migrations WHERE migration_name = $1",
            &[&NAME],
        )
        .unwrap()
        .get(0)
}

fn applied(with_git: bool, db: &str) -> (TempRepo, DatabaseUrl) {
    let repo = TempRepo::new();
    repo.migration("svc", NAME, ORIGINAL);
    if with_git {
        git(repo.root(), &["init", "-q"]);
        git(repo.root(), &["add", "-A"]);
        git(repo.root(), &["commit", "-q", "-m", "people"]);
    }
    let url = fresh_database(db);
    let out = on_svc(repo.root(), &url, &["migrate"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    (repo, url)
}

#[test]
fn a_harmless_edit_is_accepted_against_git_and_a_harmful_one_is_refused() {
    let (repo, url) = applied(true, "checksum_git");
    let before = recorded(&url);
    // A reason added for lint: the file's checksum changes, its schema does not.
    let harmless = format!("-- lint:allow prefer-bigint: a small table\n{ORIGINAL}");
    repo.migration("svc", NAME, &harmless);
    let out = on_svc(repo.root(), &url, &["status"]);
    assert_eq!(out.code, 1, "edited: {}{}", out.stdout, out.stderr);

    // Harmful first: a different type is refused, the difference shown, the ledger unchanged.
    repo.migration(
        "svc",
        NAME,
        &ORIGINAL.replace("\"id\" INTEGER", "\"id\" BIGINT"),
    );
    let out = on_svc(
        repo.root(),
        &url,
        &["resolve", "-s", "svc", "--checksum", NAME],
    );
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains("is not harmless") && out.stderr.contains("people"),
        "{}",
        out.stderr
    );
    assert_eq!(recorded(&url), before);

    repo.migration("svc", NAME, &harmless);
    let out = on_svc(
        repo.root(),
        &url,
        &["resolve", "-s", "svc", "--checksum", NAME],
    );
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("harmless") && out.stdout.contains("the version in git at"),
        "{}",
        out.stdout
    );
    assert_ne!(recorded(&url), before);
    let out = on_svc(repo.root(), &url, &["status"]);
    assert_eq!(out.code, 0, "accepted: {}{}", out.stdout, out.stderr);
    // Once accepted, there is nothing to accept.
    let out = on_svc(
        repo.root(),
        &url,
        &["resolve", "-s", "svc", "--checksum", NAME],
    );
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("nothing to accept"), "{}", out.stderr);
}

#[test]
fn without_git_the_edit_is_proved_against_the_database_that_ran_it() {
    let (repo, url) = applied(false, "checksum_db");
    repo.migration(
        "svc",
        NAME,
        &format!("-- created by hand, kept as it ran\n{ORIGINAL}"),
    );
    let out = on_svc(
        repo.root(),
        &url,
        &["resolve", "-s", "svc", "--checksum", NAME],
    );
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("the database"), "{}", out.stdout);
    // A hand change on the database shows as a difference: refused.
    shared_migrate::connect(&url)
        .unwrap()
        .batch_execute("ALTER TABLE people ADD COLUMN nickname text")
        .unwrap();
    repo.migration("svc", NAME, &format!("-- edited again\n{ORIGINAL}"));
    let out = on_svc(
        repo.root(),
        &url,
        &["resolve", "-s", "svc", "--checksum", NAME],
    );
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("nickname"), "{}", out.stderr);
}
