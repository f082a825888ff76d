//! `verify --report`: each statement's locks and rewrites, measured on a real server, in JSON,
//! Markdown and JUnit.

use crate::common;

use common::verify_json;
use serde_json::Value;
use test_support::TempRepo;

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
    let (out, json) = verify_json(
        repo.root(),
        &[
            "--report",
            report.to_str().unwrap(),
            "--junit",
            junit.to_str().unwrap(),
        ],
    );
    assert_eq!(
        out.code, 0,
        "warnings do not fail verify: {}{}",
        out.stdout, out.stderr
    );
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
    let (out, json) = verify_json(repo.root(), &[]);
    assert_eq!(out.code, 0);
    assert!(json[0].get("locks").is_none());
    assert!(
        json[0]["steps"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["name"] != "locks")
    );
}
