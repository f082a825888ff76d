//! `verify --report`: each statement's locks and rewrites, measured on a real server, in JSON,
//! Markdown and JUnit.

mod common;

use common::{run, xtask};
use serde_json::Value;
use shared_migrate::testing::TempRepo;

#[test]
fn each_statement_s_locks_and_rewrites_are_measured() {
    let repo = TempRepo::new();
    repo.migration(
        "shop",
        "20250101000000_init",
        "CREATE TABLE \"items\" (\"id\" INTEGER NOT NULL, \"name\" TEXT NOT NULL, \"price\" DOUBLE PRECISION NOT NULL, CONSTRAINT \"items_pkey\" PRIMARY KEY (\"id\"));\n",
    );
    repo.migration(
        "shop",
        "20250102000000_price_to_decimal",
        "ALTER TABLE \"items\" ALTER COLUMN \"price\" SET DATA TYPE DECIMAL(10,2);\n",
    );
    repo.migration(
        "shop",
        "20250103000000_add_token",
        "-- lint:allow volatile-default: items holds a few rows\nALTER TABLE \"items\" ADD COLUMN \"token\" TEXT NOT NULL DEFAULT md5(random()::text);\n",
    );
    repo.migration(
        "shop",
        "20250104000000_index_name",
        "CREATE INDEX \"items_name_idx\" ON \"items\"(\"name\");\n",
    );
    repo.migration(
        "shop",
        "20250105000000_index_price",
        "CREATE INDEX CONCURRENTLY \"items_price_idx\" ON \"items\"(\"price\");\n",
    );
    let report = repo.root().join("target/locks.md");
    let junit = repo.root().join("target/verify.xml");
    let out = run(xtask(repo.root()).args([
        "verify",
        "--backend",
        "local",
        "--no-lint",
        "--format",
        "json",
        "--report",
        report.to_str().unwrap(),
        "--junit",
        junit.to_str().unwrap(),
    ]));
    assert_eq!(
        out.code, 0,
        "warnings do not fail verify: {}{}",
        out.stdout, out.stderr
    );
    let json: Value = serde_json::from_str(&out.stdout).unwrap();
    let locks = json[0]["locks"].as_array().unwrap();
    assert_eq!(locks.len(), 5);
    let first = |i: usize| &locks[i]["statements"][0];
    let modes = |s: &Value| -> Vec<String> {
        s["locks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| {
                format!(
                    "{}:{}:{}",
                    l["relation"].as_str().unwrap(),
                    l["mode"].as_str().unwrap(),
                    l["existed"]
                )
            })
            .collect()
    };

    // The type change rewrites the table and its index under ACCESS EXCLUSIVE: a warning.
    let retype = first(1);
    assert!(
        modes(retype).contains(&"items:AccessExclusiveLock:true".to_string()),
        "{retype}"
    );
    assert_eq!(
        retype["rewritten"],
        serde_json::json!(["items", "items_pkey"])
    );
    assert_eq!(
        retype["blocks"],
        serde_json::json!(["reads and writes of \"items\""])
    );
    assert!(
        retype["warning"]
            .as_str()
            .unwrap()
            .starts_with("rewrites \"items\" under ACCESS EXCLUSIVE")
    );
    assert!(retype["allowed"].is_null());

    // A volatile default rewrites too; its lint:allow accepts the warning, with its reason.
    let token = first(2);
    assert!(
        token["rewritten"]
            .as_array()
            .unwrap()
            .contains(&"items".into()),
        "{token}"
    );
    assert_eq!(token["allowed"], "items holds a few rows");

    // CREATE INDEX: SHARE on the table, which blocks writes, no rewrite.
    let index = first(3);
    assert!(
        modes(index).contains(&"items:ShareLock:true".to_string()),
        "{index}"
    );
    assert_eq!(index["blocks"], serde_json::json!(["writes of \"items\""]));
    assert_eq!(index["rewritten"], serde_json::json!([]));
    assert!(index["warning"].is_null());

    // CONCURRENTLY runs outside a transaction: no lock outlives it, nothing blocked.
    assert_eq!(locks[4]["transactional"], false);
    let concurrent = first(4);
    assert_eq!(concurrent["locks"], serde_json::json!([]));
    assert_eq!(concurrent["blocks"], serde_json::json!([]));

    // The first migration creates its table: nothing existing is locked.
    assert!(first(0)["blocks"].as_array().unwrap().is_empty());

    let md = std::fs::read_to_string(&report).unwrap();
    assert!(md.starts_with("# Locks and rewrites\n"), "{md}");
    assert!(
        md.contains(
            "### 20250102000000_price_to_decimal (one transaction: locks held until it commits)"
        ),
        "{md}"
    );
    assert!(md.contains("| `ALTER TABLE \"items\" ALTER COLUMN \"price\" SET DATA TYPE DECIMAL(10,2);` | ACCESS EXCLUSIVE on **items**<br>ACCESS EXCLUSIVE on **items_pkey** | items, items_pkey | reads and writes of \"items\" | 0 |"), "{md}");
    assert!(md.contains("> **warning** `"), "{md}");
    assert!(md.contains("(lint:allow: items holds a few rows)"), "{md}");
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.contains("locks: passed"), "{xml}");
    assert!(
        xml.contains("rewrites &quot;items&quot; under ACCESS EXCLUSIVE"),
        "{xml}"
    );

    // Without --report: no locks key, no extra step.
    let out = run(xtask(repo.root()).args([
        "verify",
        "--backend",
        "local",
        "--no-lint",
        "--format",
        "json",
    ]));
    assert_eq!(out.code, 0);
    let json: Value = serde_json::from_str(&out.stdout).unwrap();
    assert!(json[0].get("locks").is_none());
    assert!(
        json[0]["steps"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["name"] != "locks")
    );
}

/// `verify --data`: each migration that only fails on a non-empty table fails verify, located,
/// with the reason and the safe way; its safe variant passes. Without --data all of them pass.
#[test]
fn migrations_that_fail_only_with_rows_fail_verify_data() {
    const INIT: &str = "CREATE TABLE \"students\" (\"id\" SERIAL NOT NULL, \"email\" TEXT NOT NULL, \"name\" TEXT NOT NULL, \"grade\" TEXT, \"active\" BOOLEAN NOT NULL, CONSTRAINT \"students_pkey\" PRIMARY KEY (\"id\"));\nCREATE UNIQUE INDEX \"students_email_key\" ON \"students\"(\"email\");\n";
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
                .contains("20250102000000_change/migration.sql:1:1"),
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
    let out = run(xtask(repo.root()).args([
        "verify",
        "--backend",
        "local",
        "--no-lint",
        "--data",
        "--rows",
        "20",
        "--format",
        "json",
        "--report",
        report.to_str().unwrap(),
    ]));
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let json: Value = serde_json::from_str(&out.stdout).unwrap();
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
        "CREATE TYPE \"Role\" AS ENUM ('A', 'B');\nCREATE TABLE \"parents\" (\"id\" SERIAL NOT NULL, \"code\" VARCHAR(3) NOT NULL, \"role\" \"Role\" NOT NULL, \"tags\" TEXT[], \"meta\" JSONB NOT NULL, \"at\" TIMESTAMP(3) NOT NULL, \"uid\" UUID NOT NULL, CONSTRAINT \"parents_pkey\" PRIMARY KEY (\"id\"));\nCREATE TABLE \"children\" (\"id\" SERIAL NOT NULL, \"parentId\" INTEGER NOT NULL, \"n\" INTEGER NOT NULL CHECK (\"n\" % 2 = 0), CONSTRAINT \"children_pkey\" PRIMARY KEY (\"id\"), CONSTRAINT \"children_parentId_fkey\" FOREIGN KEY (\"parentId\") REFERENCES \"parents\"(\"id\"));\n",
    );
    // Fails if any child points nowhere or any table is short of rows.
    repo.migration(
        "app",
        "20250102000000_check",
        "DO $$ BEGIN\n  ASSERT (SELECT count(*) FROM \"parents\") = 30, 'parents';\n  ASSERT (SELECT count(*) FROM \"children\") = 15, 'children: the odd n were refused';\n  ASSERT NOT EXISTS (SELECT 1 FROM \"children\" c LEFT JOIN \"parents\" p ON p.\"id\" = c.\"parentId\" WHERE p.\"id\" IS NULL);\nEND $$;\n",
    );
    std::fs::write(
        repo.root().join("services/app/xtask.toml"),
        "[verify]\ndata = true\nrows = 30\ntest = [\"psql\", \"-X\", \"-q\", \"-v\", \"ON_ERROR_STOP=1\", \"-c\", \"DO $$ BEGIN ASSERT (SELECT count(*) FROM parents) = 0; END $$\"]\n",
    )
    .unwrap();
    let out = run(xtask(repo.root()).args([
        "verify",
        "--backend",
        "local",
        "--no-lint",
        "--format",
        "json",
    ]));
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let json: Value = serde_json::from_str(&out.stdout).unwrap();
    let migrate = json[0]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "migrate")
        .unwrap();
    let detail = migrate["detail"].as_str().unwrap();
    assert!(
        detail.starts_with("2 migrations applied over rows (45 rows generated, up to 30 per table"),
        "{detail}"
    );
    assert!(
        detail.contains("rows the server refused: \"children\" 15"),
        "{detail}"
    );
}
