//! `verify --data`: migrations applied over generated rows. A migration that only fails on a
//! non-empty table fails verify; the rows fit the schema (types, keys of any shape, cycles,
//! CHECKs) and are emptied again for the seed and tests; `[verify] data_since`.

use crate::common;

use common::{repo_root, run, step, verify_json, xtask};
use serde_json::Value;
use test_support::TempRepo;

/// Runs `verify --backend local --no-lint --format json` with `args`, which must pass, and
/// returns the migrate step's detail.
fn migrate_detail(repo: &TempRepo, args: &[&str]) -> String {
    let (out, json) = verify_json(repo.root(), args);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    step(&json[0], "migrate")["detail"]
        .as_str()
        .unwrap()
        .to_string()
}

/// `verify --data`: each migration that only fails on a non-empty table fails verify, located,
/// with the reason and the safe way; its safe variant passes. Without --data all of them pass.
#[test]
fn migrations_that_fail_only_with_rows_fail_verify_data() {
    const INIT: &str = "CREATE TABLE \"classes\" (\"id\" SERIAL PRIMARY KEY);\nCREATE TABLE \"students\" (\"id\" SERIAL NOT NULL, \"email\" TEXT NOT NULL, \"name\" TEXT NOT NULL, \"grade\" TEXT, \"active\" BOOLEAN NOT NULL, \"classId\" INTEGER, CONSTRAINT \"students_pkey\" PRIMARY KEY (\"id\"));\nCREATE UNIQUE INDEX \"students_email_key\" ON \"students\"(\"email\");\n";
    let cases = [
        (
            "ALTER TABLE \"students\" ADD COLUMN \"score\" INTEGER NOT NULL;\n",
            "column \"score\" of relation \"students\" contains null values",
            "ALTER TABLE \"students\" ADD COLUMN \"score\" INTEGER NOT NULL DEFAULT 0;\n",
        ),
        (
            "ALTER TABLE \"students\" ALTER COLUMN \"grade\" SET NOT NULL;\n",
            "column \"grade\" of relation \"students\" contains null values",
            "UPDATE \"students\" SET \"grade\" = 'C' WHERE \"grade\" IS NULL;\nALTER TABLE \"students\" ALTER COLUMN \"grade\" SET NOT NULL;\n",
        ),
        (
            "CREATE UNIQUE INDEX \"students_active_key\" ON \"students\"(\"active\");\n",
            "could not create unique index \"students_active_key\"",
            "CREATE INDEX \"students_active_idx\" ON \"students\"(\"active\");\n",
        ),
        (
            "ALTER TABLE \"students\" ALTER COLUMN \"name\" SET DATA TYPE INTEGER USING (\"name\"::integer);\n",
            "invalid input syntax for type integer",
            "ALTER TABLE \"students\" ALTER COLUMN \"name\" SET DATA TYPE VARCHAR(200);\n",
        ),
        (
            "ALTER TABLE \"students\" ADD CONSTRAINT \"students_classId_fkey\" FOREIGN KEY (\"classId\") REFERENCES \"classes\"(\"id\");\n",
            "violates foreign key constraint \"students_classId_fkey\"",
            "ALTER TABLE \"students\" ADD CONSTRAINT \"students_classId_fkey\" FOREIGN KEY (\"classId\") REFERENCES \"classes\"(\"id\") NOT VALID;\nUPDATE \"students\" SET \"classId\" = NULL WHERE \"classId\" NOT IN (SELECT \"id\" FROM \"classes\");\nALTER TABLE \"students\" VALIDATE CONSTRAINT \"students_classId_fkey\";\n",
        ),
    ];
    for (bad, reason, safe) in cases {
        let repo = TempRepo::new();
        repo.migration("school", "20250101000000_init", INIT);
        repo.migration("school", "20250102000000_change", bad);
        let verify = |data: bool| {
            let mut cmd = xtask(repo.root());
            cmd.args(["verify", "--backend", "local", "--no-lint"]);
            if data {
                cmd.args(["--data", "--rows", "20"]);
            }
            run(&mut cmd)
        };
        let plain = verify(false);
        assert_eq!(plain.code, 0, "{bad}: {}{}", plain.stdout, plain.stderr);
        let out = verify(true);
        assert_eq!(out.code, 1, "{bad}: {}{}", out.stdout, out.stderr);
        assert!(out.stdout.contains(reason), "{bad}: {}", out.stdout);
        assert!(
            out.stdout
                .contains("20250102000000_change/migration.sql:1:"),
            "{bad}: {}",
            out.stdout
        );
        assert!(
            out.stdout
                .contains("with rows: verify --data put up to 20 rows in every table"),
            "{}",
            out.stdout
        );
        repo.migration("school", "20250102000000_change", safe);
        let out = verify(true);
        assert_eq!(out.code, 0, "{safe}: {}{}", out.stdout, out.stderr);
    }
    // With --data, --report measures over the same rows: the backfill touches the 10 NULLs of
    // 20 rows.
    let repo = TempRepo::new();
    repo.migration("school", "20250101000000_init", INIT);
    repo.migration("school", "20250102000000_change", cases[1].2);
    let report = repo.root().join("locks.md");
    let (out, json) = verify_json(
        repo.root(),
        &[
            "--data",
            "--rows",
            "20",
            "--report",
            report.to_str().unwrap(),
        ],
    );
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let backfill = &json[0]["locks"][1]["statements"][0];
    assert!(
        backfill["statement"]
            .as_str()
            .unwrap()
            .starts_with("UPDATE"),
        "{backfill}"
    );
    assert_eq!(backfill["rows"], 10, "{backfill}");
}

/// The same seed, the same rows; rows accumulate across migrations; the seed and tests see
/// empty tables again.
#[test]
fn generated_rows_fit_the_schema_and_are_emptied_after() {
    let repo = TempRepo::new();
    repo.migration(
        "app",
        "20250101000000_init",
        "CREATE TYPE \"Role\" AS ENUM ('A', 'B');\nCREATE TABLE \"parents\" (\"id\" SERIAL NOT NULL, \"code\" VARCHAR(3) NOT NULL, \"role\" \"Role\" NOT NULL, \"tags\" TEXT[], \"meta\" JSONB NOT NULL, \"at\" TIMESTAMP(3) NOT NULL, \"uid\" UUID NOT NULL, CONSTRAINT \"parents_pkey\" PRIMARY KEY (\"id\"));\nCREATE TABLE \"children\" (\"id\" SERIAL NOT NULL, \"parentId\" INTEGER NOT NULL, \"n\" INTEGER NOT NULL, \"m\" INTEGER NOT NULL, CHECK (\"n\" % 2 = 0 OR \"m\" < 0), CONSTRAINT \"children_pkey\" PRIMARY KEY (\"id\"), CONSTRAINT \"children_parentId_fkey\" FOREIGN KEY (\"parentId\") REFERENCES \"parents\"(\"id\"));\n",
    );
    // Fails if any child points nowhere or any table is short of rows.
    repo.migration(
        "app",
        "20250102000000_check",
        "DO $$ BEGIN\n  ASSERT (SELECT count(*) FROM \"parents\") = 30, 'parents';\n  ASSERT (SELECT count(*) FROM \"children\") = 15, 'children: the rows with an odd n (and m) were refused';\n  ASSERT NOT EXISTS (SELECT 1 FROM \"children\" c LEFT JOIN \"parents\" p ON p.\"id\" = c.\"parentId\" WHERE p.\"id\" IS NULL);\nEND $$;\n",
    );
    std::fs::write(
        repo.root().join("services/app/xtask.toml"),
        "[verify]\ndata = true\nrows = 30\ntest = [\"psql\", \"-X\", \"-q\", \"-v\", \"ON_ERROR_STOP=1\", \"-c\", \"DO $$ BEGIN ASSERT (SELECT count(*) FROM parents) = 0; END $$\"]\n",
    )
    .unwrap();
    let detail = migrate_detail(&repo, &[]);
    assert!(
        detail.starts_with("2 migrations applied over rows (45 rows generated, up to 30 per table"),
        "{detail}"
    );
    assert!(
        detail.contains(
            "rows the server refused: \"children\" 15 (new row for relation \"children\" violates check constraint \"children_check\")"
        ),
        "{detail}"
    );
}

/// Keys of several columns, cycles through a nullable and through a deferrable key, references
/// to the own table, one-to-one keys, CHECKs on one column (comparison, IN list, length) and
/// over NULLs ("exactly one of"), a unique column copied into another: every row fits, none is
/// refused.
#[test]
fn keys_cycles_and_checks_get_rows_that_fit() {
    let repo = TempRepo::new();
    repo.migration(
        "app",
        "20250101000000_init",
        concat!(
            "CREATE TABLE \"orgs\" (\"id\" SERIAL PRIMARY KEY, \"ownerId\" INTEGER, \"qty\" INTEGER NOT NULL CHECK (\"qty\" BETWEEN 1 AND 5), \"status\" TEXT NOT NULL CHECK (\"status\" IN ('open', 'closed')), \"code\" VARCHAR(10) NOT NULL CHECK (char_length(\"code\") = 3), \"price\" DECIMAL(10,2) NOT NULL CHECK (\"price\" > 0));\n",
            "CREATE TABLE \"users\" (\"id\" SERIAL PRIMARY KEY, \"orgId\" INTEGER NOT NULL REFERENCES \"orgs\"(\"id\"), \"managerId\" INTEGER REFERENCES \"users\"(\"id\"));\n",
            "ALTER TABLE \"orgs\" ADD FOREIGN KEY (\"ownerId\") REFERENCES \"users\"(\"id\");\n",
            "CREATE TABLE \"regions\" (\"country\" CHAR(2) NOT NULL, \"code\" TEXT NOT NULL, PRIMARY KEY (\"country\", \"code\"));\n",
            "CREATE TABLE \"stores\" (\"id\" SERIAL PRIMARY KEY, \"country\" CHAR(2) NOT NULL, \"region\" TEXT NOT NULL, FOREIGN KEY (\"country\", \"region\") REFERENCES \"regions\"(\"country\", \"code\"));\n",
            "CREATE TABLE \"a\" (\"id\" INTEGER PRIMARY KEY, \"bId\" INTEGER NOT NULL);\n",
            "CREATE TABLE \"b\" (\"id\" INTEGER PRIMARY KEY, \"aId\" INTEGER NOT NULL UNIQUE REFERENCES \"a\"(\"id\"));\n",
            "ALTER TABLE \"a\" ADD CONSTRAINT \"a_bId_fkey\" FOREIGN KEY (\"bId\") REFERENCES \"b\"(\"id\") DEFERRABLE;\n",
            "CREATE TABLE \"fields\" (\"id\" SERIAL PRIMARY KEY, \"orgId\" INTEGER REFERENCES \"orgs\"(\"id\"), \"storeId\" INTEGER REFERENCES \"stores\"(\"id\"), \"label\" TEXT, CHECK ((\"orgId\" IS NULL AND \"storeId\" IS NOT NULL) OR (\"orgId\" IS NOT NULL AND \"storeId\" IS NULL)));\n",
            "CREATE TABLE \"links\" (\"url\" TEXT NOT NULL UNIQUE);\n",
        ),
    );
    // A one-to-one table the migration itself puts rows in: the generated rows point at the
    // users not taken yet.
    repo.migration(
        "app",
        "20250102000000_profiles",
        concat!(
            "CREATE TABLE \"profiles\" (\"id\" SERIAL PRIMARY KEY, \"userId\" INTEGER NOT NULL UNIQUE REFERENCES \"users\"(\"id\"));\n",
            "INSERT INTO \"profiles\" (\"userId\") SELECT \"id\" FROM \"users\" ORDER BY \"id\" DESC LIMIT 3;\n",
            "CREATE TABLE \"mirrors\" (\"url\" TEXT NOT NULL UNIQUE);\n",
        ),
    );
    repo.migration(
        "app",
        "20250103000000_check",
        concat!(
            "INSERT INTO \"mirrors\" (\"url\") SELECT \"url\" FROM \"links\";\n",
            "DO $$ BEGIN\n",
            "  ASSERT (SELECT count(*) FROM \"fields\") = 20, 'fields';\n",
            "  ASSERT (SELECT count(*) FILTER (WHERE \"orgId\" IS NULL) FROM \"fields\") BETWEEN 1 AND 19, 'fields of both kinds';\n",
            "  ASSERT (SELECT count(*) FROM \"profiles\") = 20, 'profiles';\n",
            "  ASSERT (SELECT count(*) FROM \"mirrors\") = 40, 'mirrors: copied links differ from generated mirrors';\n",
            "  ASSERT (SELECT count(*) FROM \"orgs\") = 20 AND (SELECT count(*) FROM \"users\") = 20, 'orgs and users';\n",
            "  ASSERT (SELECT count(*) FROM \"regions\") = 20 AND (SELECT count(*) FROM \"stores\") = 20, 'regions and stores';\n",
            "  ASSERT (SELECT count(*) FROM \"a\") = 20 AND (SELECT count(*) FROM \"b\") = 20, 'a and b';\n",
            "  ASSERT (SELECT count(\"ownerId\") FROM \"orgs\") > 0, 'the nullable key of the cycle points at users';\n",
            "  ASSERT (SELECT count(\"managerId\") FROM \"users\") > 0, 'users have managers';\n",
            "  ASSERT (SELECT count(DISTINCT \"status\") FROM \"orgs\") = 2, 'both statuses';\n",
            "  ASSERT (SELECT count(DISTINCT \"qty\") FROM \"orgs\") = 5, 'every quantity';\n",
            "END $$;\n",
        ),
    );
    std::fs::write(
        repo.root().join("services/app/xtask.toml"),
        "[verify]\ndata = true\nrows = 20\n",
    )
    .unwrap();
    let detail = migrate_detail(&repo, &[]);
    assert!(
        detail
            .starts_with("3 migrations applied over rows (197 rows generated, up to 20 per table"),
        "{detail}"
    );
    assert!(!detail.contains("refused"), "{detail}");
    assert!(!detail.contains("not filled"), "{detail}");
}

/// `[verify] data_since`: history deployed while its tables were empty is applied without rows;
/// the failure says so, and a misspelt name is refused with the nearest one.
#[test]
fn data_since_starts_the_rows_after_deployed_history() {
    let repo = TempRepo::new();
    repo.migration(
        "app",
        "20250101000000_init",
        "CREATE TABLE \"students\" (\"id\" SERIAL PRIMARY KEY, \"name\" TEXT NOT NULL);\n",
    );
    repo.migration(
        "app",
        "20250102000000_add_score",
        "ALTER TABLE \"students\" ADD COLUMN \"score\" INTEGER NOT NULL;\n",
    );
    repo.migration(
        "app",
        "20250103000000_check",
        "DO $$ BEGIN ASSERT (SELECT count(*) FROM \"students\") = 10, 'rows before this one'; END $$;\n",
    );
    let config = repo.root().join("services/app/xtask.toml");
    let verify = || {
        run(xtask(repo.root()).args([
            "verify",
            "--backend",
            "local",
            "--no-lint",
            "--data",
            "--rows",
            "10",
        ]))
    };

    let out = verify();
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    let all = format!("{}{}", out.stdout, out.stderr);
    assert!(
        all.contains("contains null values")
            && all.contains(&format!(
                "start the rows after it: data_since = \"20250102000000_add_score\" under [verify] in {}",
                config.display()
            )),
        "{all}"
    );

    std::fs::write(
        &config,
        "[verify]\ndata_since = \"20250102000000_add_scor\"\n",
    )
    .unwrap();
    let out = verify();
    assert_ne!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let all = format!("{}{}", out.stdout, out.stderr);
    assert!(
        all.contains(&format!(
            "{}: [verify] data_since: service `app` has no migration `20250102000000_add_scor`; did you mean `20250102000000_add_score`?",
            config.display()
        )),
        "{all}"
    );

    std::fs::write(
        &config,
        "[verify]\ndata_since = \"20250102000000_add_score\"\n",
    )
    .unwrap();
    let detail = migrate_detail(&repo, &["--data", "--rows", "10"]);
    assert!(
        detail.contains("up to 10 per table, from the migration after 20250102000000_add_score on"),
        "{detail}"
    );
}

/// A migration marked `-- verify:empty-tables: <reason>` (its tables are empty when it runs in
/// production, e.g. created earlier in the same release) gets no new rows before it; unmarked,
/// the same migration fails on orphans; a marker without a reason is an error at its line.
#[test]
fn a_marked_migration_meets_its_new_tables_empty() {
    let repo = TempRepo::new();
    repo.migration(
        "app",
        "20250101000000_init",
        "CREATE TABLE \"parents\" (\"id\" TEXT PRIMARY KEY);\n",
    );
    repo.migration(
        "app",
        "20250102000000_children",
        "CREATE TABLE \"children\" (\"id\" SERIAL PRIMARY KEY, \"parentId\" TEXT NOT NULL);\n",
    );
    const FK: &str = "ALTER TABLE \"children\" ADD CONSTRAINT \"children_parentId_fkey\" FOREIGN KEY (\"parentId\") REFERENCES \"parents\"(\"id\");\n";
    let verify = || {
        run(xtask(repo.root()).args([
            "verify",
            "--backend",
            "local",
            "--no-lint",
            "--data",
            "--rows",
            "10",
        ]))
    };
    repo.migration("app", "20250103000000_relation", FK);
    let out = verify();
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout
            .contains("violates foreign key constraint \"children_parentId_fkey\""),
        "{}",
        out.stdout
    );

    repo.migration(
        "app",
        "20250103000000_relation",
        &format!("-- verify:empty-tables\n{FK}"),
    );
    let out = verify();
    assert_ne!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let all = format!("{}{}", out.stdout, out.stderr);
    assert!(
        all.contains("20250103000000_relation/migration.sql:1: `-- verify:empty-tables` needs a reason after a colon"),
        "{all}"
    );

    repo.migration(
        "app",
        "20250103000000_relation",
        &format!("-- verify:empty-tables: children is created by the migration before, in the same release\n{FK}"),
    );
    let out = verify();
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
}

/// The example services pass `verify --data` (seeds and tests included), and their lock report
/// says what their migrations do over rows: the price column rewritten (allowed, with the
/// lint:allow's reason), the status backfill touching generated rows.
#[test]
fn examples_pass_over_rows_with_their_lock_report() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("locks.md");
    let out = run(xtask(&repo_root())
        .args([
            "verify",
            "--backend",
            "local",
            "--data",
            "--format",
            "json",
            "--report",
        ])
        .arg(&report));
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let json: Value = serde_json::from_str(&out.stdout).unwrap();
    for r in json.as_array().unwrap() {
        for s in r["steps"].as_array().unwrap() {
            assert_ne!(s["status"], "failed", "{}: {s}", r["service"]);
        }
    }
    let education = &json[0];
    assert_eq!(education["service"], "azora-education");
    let statements: Vec<&Value> = education["locks"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|m| m["statements"].as_array().unwrap())
        .collect();
    let backfill = statements
        .iter()
        .find(|s| {
            s["statement"]
                .as_str()
                .unwrap()
                .starts_with("UPDATE \"students\"")
        })
        .unwrap();
    assert!(backfill["rows"].as_u64().unwrap() > 0, "{backfill}");
    let md = std::fs::read_to_string(&report).unwrap();
    for service in [
        "## azora-education",
        "## azora-notifications",
        "## azora-wallet",
    ] {
        assert!(md.contains(service), "{md}");
    }
    assert!(
        md.contains("rewrites \"courses\" under ACCESS EXCLUSIVE")
            && md.contains("(lint:allow: courses is a catalogue of a few hundred rows"),
        "{md}"
    );
}
