//! Monorepos of many services: `affected --since` on real git repositories (each reason),
//! `verify --since`, `migrate --dry-run --since`, `verify --shard` (disjoint, covering), the
//! `ci-plan` matrix, the workflow in ci/ against GitHub's workflow schema, and database
//! isolation (services never see each other's objects).

use std::path::Path;
use std::process::Command;

use test_support::TempRepo;

use crate::common;
use common::{repo_root, run, xtask};

fn git(root: &Path, args: &[&str]) {
    let out = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(args)
        .output()
        .expect("git");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn write(root: &Path, path: &str, text: &str) {
    let path = root.join(path);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// Four services (one table each), the tool's directories and a root xtask.toml, committed on
/// `main`; `billing` declares `depends_on = ["accounts"]`.
fn monorepo() -> TempRepo {
    let repo = TempRepo::new();
    for svc in ["accounts", "billing", "catalog", "search"] {
        repo.migration(
            svc,
            "20250101000000_init",
            &format!("CREATE TABLE \"{svc}_items\" (\"id\" INTEGER PRIMARY KEY);\n"),
        );
    }
    write(
        repo.root(),
        "services/billing/xtask.toml",
        "depends_on = [\"accounts\"]\n",
    );
    write(repo.root(), "xtask.toml", "[verify]\ntimeout = \"5m\"\n");
    write(repo.root(), "xtask/src/main.rs", "fn main() {}\n");
    write(repo.root(), "shared-migrate/src/lib.rs", "\n");
    write(repo.root(), "README.md", "monorepo\n");
    git(repo.root(), &["init", "-q", "-b", "main"]);
    git(repo.root(), &["add", "-A"]);
    git(repo.root(), &["commit", "-qm", "base"]);
    repo
}

/// `affected --since main --format json`: service name -> reason kinds.
fn affected(root: &Path) -> Vec<(String, Vec<String>)> {
    let out = run(xtask(root).args(["affected", "--since", "main", "--format", "json"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    json["affected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            let kinds = a["reasons"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["kind"].as_str().unwrap().to_string())
                .collect();
            (a["service"].as_str().unwrap().to_string(), kinds)
        })
        .collect()
}

fn names(found: &[(String, Vec<String>)]) -> Vec<&str> {
    found.iter().map(|(n, _)| n.as_str()).collect()
}

#[test]
fn affected_services_follow_their_files_dependencies_and_the_tool() {
    let repo = monorepo();
    let root = repo.root();
    git(root, &["checkout", "-qb", "feature"]);
    assert!(affected(root).is_empty(), "nothing changed yet");

    // Outside every service and the tool: nothing.
    write(root, "README.md", "monorepo, documented\n");
    assert!(affected(root).is_empty());

    // A new migration of `catalog`, not yet committed (untracked files count).
    repo.migration(
        "catalog",
        "20250102000000_add_price",
        "ALTER TABLE \"catalog_items\" ADD COLUMN \"price\" INTEGER;\n",
    );
    let found = affected(root);
    assert_eq!(names(&found), ["catalog"]);
    assert_eq!(found[0].1, ["changed"]);

    // A committed change of `accounts` affects `billing` through depends_on.
    write(root, "services/accounts/tests/check.sql", "SELECT 1;\n");
    git(root, &["add", "-A"]);
    git(root, &["commit", "-qm", "accounts test"]);
    let found = affected(root);
    assert_eq!(names(&found), ["accounts", "billing", "catalog"]);
    assert_eq!(found[1].1, ["depends_on"]);

    // The human form says why.
    let out = run(xtask(root).args(["affected", "--since", "main"]));
    assert!(
        out.stdout
            .contains("billing   depends on `accounts`, which is affected"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("3 of 4 services affected since main"));

    // What lands on main after the branch was cut is not this change (merge base).
    git(root, &["checkout", "-q", "main"]);
    write(root, "services/search/notes.txt", "main moved on\n");
    git(root, &["add", "-A"]);
    git(root, &["commit", "-qm", "search on main"]);
    git(root, &["checkout", "-q", "feature"]);
    assert_eq!(names(&affected(root)), ["accounts", "billing", "catalog"]);

    // The repository's xtask.toml: every service.
    write(root, "xtask.toml", "[verify]\ntimeout = \"6m\"\n");
    let found = affected(root);
    assert_eq!(found.len(), 4);
    assert!(found.iter().all(|(_, k)| k.contains(&"config".to_string())));
    git(root, &["checkout", "-q", "--", "xtask.toml"]);

    // The tool itself: every service.
    write(root, "shared-migrate/src/lib.rs", "// changed\n");
    let found = affected(root);
    assert_eq!(found.len(), 4);
    assert!(found.iter().all(|(_, k)| k.contains(&"tool".to_string())));
}

#[test]
fn a_bad_revision_or_dependency_is_a_usage_error() {
    let repo = monorepo();
    let out = run(xtask(repo.root()).args(["affected", "--since", "no-such-branch"]));
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("--since no-such-branch: not a commit"));

    write(
        repo.root(),
        "services/search/xtask.toml",
        "depends_on = [\"acounts\"]\n",
    );
    let out = run(xtask(repo.root()).args(["affected", "--since", "main"]));
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains(
            "services/search/xtask.toml:1:15: depends_on names `acounts`, which is not a service"
        ),
        "{}",
        out.stderr
    );
}

#[test]
fn verify_and_dry_run_cover_only_the_affected_services() {
    let repo = monorepo();
    let root = repo.root();
    repo.migration(
        "search",
        "20250102000000_add_rank",
        "ALTER TABLE \"search_items\" ADD COLUMN \"rank\" INTEGER;\n",
    );
    let out = run(xtask(root).args([
        "verify",
        "--since",
        "main",
        "--backend",
        "local",
        "--no-lint",
        "--format",
        "json",
    ]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let verified: Vec<&str> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["service"].as_str().unwrap())
        .collect();
    assert_eq!(verified, ["search"]);
    assert!(out.stderr.contains("1 of 4 services affected since main"));

    let out = run(xtask(root)
        .env("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
        .args([
            "migrate",
            "--dry-run",
            "--since",
            "main",
            "--format",
            "json",
        ]));
    let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let planned: Vec<&str> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["service"].as_str().unwrap())
        .collect();
    assert_eq!(planned, ["search"], "{}", out.stderr);

    // Nothing affected: nothing to do, and that is a success.
    git(root, &["add", "-A"]);
    git(root, &["commit", "-qm", "rank"]);
    let out = run(xtask(root).args(["verify", "--since", "HEAD", "--backend", "local"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stderr.contains("nothing to verify"), "{}", out.stderr);
}

/// `verify --shard K/N` for every K: disjoint, covering, each service verified once.
#[test]
fn shards_are_disjoint_and_cover_every_service() {
    let repo = TempRepo::new();
    let all: Vec<String> = (0..9).map(|i| format!("svc-{i}")).collect();
    for (i, svc) in all.iter().enumerate() {
        // Uneven histories, so weights differ.
        for m in 0..=(i % 4) {
            repo.migration(
                svc,
                &format!("2025010100000{m}_step_{m}"),
                &format!("CREATE TABLE \"t{m}\" (\"id\" INTEGER);\n"),
            );
        }
    }
    let mut seen: Vec<String> = Vec::new();
    for k in 1..=3 {
        let out = run(xtask(repo.root()).args([
            "verify",
            "--shard",
            &format!("{k}/3"),
            "--backend",
            "local",
            "--no-lint",
            "--format",
            "json",
        ]));
        assert_eq!(out.code, 0, "{}", out.stderr);
        let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
        let shard: Vec<String> = json
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["service"].as_str().unwrap().to_string())
            .collect();
        assert!(!shard.is_empty(), "shard {k} is empty");
        seen.extend(shard);
    }
    seen.sort();
    assert_eq!(seen, all, "every service exactly once");

    let out = run(xtask(repo.root()).args(["verify", "--shard", "4/3"]));
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("`4/3` is not a shard"),
        "{}",
        out.stderr
    );
}

#[test]
fn ci_plan_prints_a_matrix_of_the_affected_services() {
    let repo = monorepo();
    let root = repo.root();
    // Every service, in as many shards as their estimated work is worth.
    let out = run(xtask(root).args(["ci-plan", "--max-shards", "3", "--shard-seconds", "0.5"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout.lines().count(), 1, "one line for $GITHUB_OUTPUT");
    let plan: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let include = plan["include"].as_array().unwrap();
    assert_eq!(include.len(), 3);
    let mut services: Vec<String> = Vec::new();
    for (i, entry) in include.iter().enumerate() {
        assert_eq!(entry["shard"], format!("{}/3", i + 1));
        services.extend(
            entry["services"]
                .as_str()
                .unwrap()
                .split(',')
                .map(str::to_string),
        );
    }
    services.sort();
    assert_eq!(services, ["accounts", "billing", "catalog", "search"]);

    // Affected only, and few enough for one runner.
    repo.migration(
        "catalog",
        "20250102000000_add_price",
        "ALTER TABLE \"catalog_items\" ADD COLUMN \"price\" INTEGER;\n",
    );
    let out = run(xtask(root).args(["ci-plan", "--since", "main"]));
    assert_eq!(
        out.stdout.trim(),
        r#"{"include":[{"shard":"1/1","services":"catalog"}]}"#
    );

    // Earlier timings weigh the shards: the slow service gets a shard of its own.
    let timings = root.join("timings.json");
    std::fs::write(
        &timings,
        r#"[{"service":"accounts","millis":90000},{"service":"billing","millis":1000},
            {"service":"catalog","millis":1000},{"service":"search","millis":1000}]"#,
    )
    .unwrap();
    let out = run(xtask(root)
        .args([
            "ci-plan",
            "--max-shards",
            "2",
            "--shard-seconds",
            "10",
            "--timings",
        ])
        .arg(&timings));
    let plan: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let shards: Vec<&str> = plan["include"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["services"].as_str().unwrap())
        .collect();
    assert!(shards.contains(&"accounts"), "{shards:?}");

    // Nothing affected: an empty matrix (the workflow skips the verify job).
    let out = run(xtask(root).args(["ci-plan", "--since", "HEAD", "--shard-seconds", "1"]));
    git(root, &["add", "-A"]);
    assert!(out.stdout.contains(r#""services":"catalog""#));
    git(root, &["commit", "-qm", "price"]);
    let out = run(xtask(root).args(["ci-plan", "--since", "HEAD"]));
    assert_eq!(out.stdout.trim(), r#"{"include":[]}"#);
}

/// The workflow users copy must stay valid against GitHub's workflow schema (SchemaStore's, as
/// check-jsonschema vendors it; ci/test.sh installs it) and use the plan.
#[test]
fn the_workflow_is_valid_and_runs_the_plan() {
    let checker =
        std::env::var("XTASK_CHECK_JSONSCHEMA").unwrap_or_else(|_| "check-jsonschema".into());
    let workflow = repo_root().join("ci/github-actions/migrations.yml");
    let out = Command::new(&checker)
        .args(["--builtin-schema", "vendor.github-workflows"])
        .arg(&workflow)
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run {checker} ({e}): `bash ci/test.sh` installs it, or `pip install check-jsonschema` and set XTASK_CHECK_JSONSCHEMA")
        });
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // The checker itself can fail: a misspelt key is refused.
    let text = std::fs::read_to_string(&workflow).unwrap();
    let broken = tempfile::NamedTempFile::with_suffix(".yml").unwrap();
    std::fs::write(broken.path(), text.replacen("runs-on:", "runs_on:", 1)).unwrap();
    let out = Command::new(&checker)
        .args(["--builtin-schema", "vendor.github-workflows"])
        .arg(broken.path())
        .output()
        .unwrap();
    assert!(!out.status.success());

    for needed in [
        "cargo xtask ci-plan",
        "fromJSON(needs.plan.outputs.matrix)",
        "args=(--service \"$SERVICES\"",
        "args+=(--compat \"$COMPAT\")",
        "cargo xtask verify \"${args[@]}\"",
        "cargo xtask lint --since",
        "needs: [plan, lint, verify]",
    ] {
        assert!(text.contains(needed), "the workflow lacks `{needed}`");
    }
}

/// Two services on one server, each in its own database: neither's tests see the other's
/// tables; with cluster isolation each gets its own server.
#[test]
fn database_isolation_keeps_services_apart_on_one_server() {
    let repo = TempRepo::new();
    for (svc, other) in [("alpha", "beta"), ("beta", "alpha")] {
        repo.migration(
            svc,
            "20250101000000_init",
            &format!("CREATE TABLE \"{svc}_secret\" (\"id\" INTEGER);\n"),
        );
        write(
            repo.root(),
            &format!("services/{svc}/xtask.toml"),
            &format!(
                "[verify]\ntest = [\"psql\", \"-X\", \"-v\", \"ON_ERROR_STOP=1\", \"-c\", \"DO $$ BEGIN IF to_regclass('public.{svc}_secret') IS NULL THEN RAISE EXCEPTION 'own table missing'; END IF; IF EXISTS (SELECT FROM pg_class WHERE relname = '{other}_secret') THEN RAISE EXCEPTION 'sees {other}'; END IF; END $$\"]\n"
            ),
        );
    }
    let verify = |isolation: &str| {
        let out = run(xtask(repo.root()).args([
            "verify",
            "--backend",
            "local",
            "--isolation",
            isolation,
            "-j",
            "2",
            "--format",
            "json",
        ]));
        assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
        let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
        json.as_array()
            .unwrap()
            .iter()
            .map(|r| {
                assert_eq!(r["isolation"], isolation);
                // postgresql://postgres@127.0.0.1:PORT/DBNAME?schema=public
                let url = r["url"].as_str().unwrap();
                let after_host = url.rsplit_once(':').unwrap().1;
                let (port, rest) = after_host.split_once('/').unwrap();
                let dbname = rest.split('?').next().unwrap();
                (port.to_string(), dbname.to_string())
            })
            .collect::<Vec<_>>()
    };
    let shared = verify("database");
    assert_eq!(shared[0].0, shared[1].0, "one server: {shared:?}");
    assert_ne!(shared[0].1, shared[1].1, "a database each: {shared:?}");
    let own = verify("cluster");
    assert_ne!(own[0].0, own[1].0, "a server each: {own:?}");
}
