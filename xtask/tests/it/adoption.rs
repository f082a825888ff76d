//! Day one in a Node/Prisma monorepo (issue 28), through the real binary, real PostgreSQL and
//! real Node processes: deployed history accepted, the team's own seeds and tests, nothing but
//! the throwaway database touched, packages where Node monorepos keep them, Prisma 7's rules.

use std::path::{Path, PathBuf};

use shared_migrate::DatabaseUrl;
use test_support::{TempRepo, fresh_database};

use crate::common;
use common::{Out, count, git, repo_root, run, verify_json, xtask};

fn all(out: &Out) -> String {
    format!("{}{}", out.stdout, out.stderr)
}

fn write(root: &Path, rel: &str, text: &str) -> PathBuf {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, text).unwrap();
    path
}

/// This repository's node_modules (the examples' `pg`), linked into `root`: Node finds it from
/// the packages below, as in a real workspace.
fn link_node_modules(root: &Path) {
    let modules = repo_root().join("node_modules");
    assert!(
        modules.is_dir(),
        "run `npm ci` at the repository root first (bash ci/test.sh does)"
    );
    std::os::unix::fs::symlink(modules, root.join("node_modules")).unwrap();
}

const DROP: &str = "ALTER TABLE \"users\" DROP COLUMN \"nickname\";\n";

fn history_repo() -> TempRepo {
    let repo = TempRepo::new();
    repo.migration(
        "svc",
        "20240101000000_init",
        "CREATE TABLE \"users\" (\"id\" INTEGER NOT NULL, \"nickname\" TEXT, \"email\" TEXT, CONSTRAINT \"users_pkey\" PRIMARY KEY (\"id\"));\n",
    );
    // Deployed years ago: unsafe by today's rules, harmless now.
    repo.migration("svc", "20240201000000_drop_nickname", DROP);
    repo.migration(
        "svc",
        "20240301000000_index_email",
        "CREATE INDEX \"users_email_idx\" ON \"users\"(\"email\");\n",
    );
    repo
}

fn lint_rules(repo: &TempRepo, args: &[&str]) -> (i32, Vec<String>) {
    let out = run(xtask(repo.root())
        .args(["lint", "--format", "json", "--no-cache"])
        .args(args));
    let json: serde_json::Value =
        serde_json::from_str(&out.stdout).unwrap_or_else(|_| panic!("{}", all(&out)));
    let rules = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{} {}",
                f["rule"].as_str().unwrap(),
                f["path"].as_str().unwrap().split('/').nth_back(1).unwrap()
            )
        })
        .collect();
    (out.code, rules)
}

#[test]
fn accepted_history_is_quiet_and_a_new_unsafe_migration_is_still_caught() {
    let repo = history_repo();
    let (code, rules) = lint_rules(&repo, &[]);
    assert_eq!(code, 1, "{rules:?}");
    assert!(
        rules.contains(&"drop-column 20240201000000_drop_nickname".to_string()),
        "{rules:?}"
    );
    // verify fails at lint and says how to adopt the tool on deployed history.
    let out = run(xtask(repo.root()).args(["verify", "--backend", "local"]));
    assert_eq!(out.code, 1, "{}", all(&out));
    assert!(
        out.stdout
            .contains("cargo xtask lint --accept-history -s svc"),
        "{}",
        all(&out)
    );

    let accepted = run(xtask(repo.root()).args(["lint", "--accept-history"]));
    assert_eq!(accepted.code, 0, "{}", all(&accepted));
    assert!(
        accepted
            .stdout
            .contains("svc: 3 migrations accepted as history, through 20240301000000_index_email"),
        "{}",
        accepted.stdout
    );
    let file = std::fs::read_to_string(repo.root().join("xtask-history.toml")).unwrap();
    assert!(
        file.contains("svc = \"20240301000000_index_email\""),
        "{file}"
    );
    assert_eq!(lint_rules(&repo, &[]), (0, vec![]));
    let out = run(xtask(repo.root()).args(["verify", "--backend", "local"]));
    assert_eq!(out.code, 0, "{}", all(&out));

    // A new migration is judged as before.
    repo.migration(
        "svc",
        "20250101000000_drop_email",
        "ALTER TABLE \"users\" DROP COLUMN \"email\";\n",
    );
    let (code, rules) = lint_rules(&repo, &[]);
    assert_eq!(code, 1);
    assert_eq!(rules, ["drop-column 20250101000000_drop_email"]);
    // The history rules still cover the accepted migrations: a removed one is caught (against
    // git, with --since).
    git(repo.root(), &["init", "-q"]);
    git(repo.root(), &["add", "-A"]);
    git(repo.root(), &["commit", "-qm", "history"]);
    std::fs::remove_dir_all(
        repo.root()
            .join("services/svc/prisma/migrations/20240201000000_drop_nickname"),
    )
    .unwrap();
    let (code, rules) = lint_rules(&repo, &["--since", "HEAD"]);
    assert_eq!(code, 1);
    assert!(
        rules.iter().any(|r| r.starts_with("removed-migration")),
        "{rules:?}"
    );
}

#[test]
fn a_finding_in_an_applied_migration_is_allowed_from_configuration() {
    let repo = history_repo();
    write(
        repo.root(),
        "services/svc/xtask.toml",
        "[[lint.allow]]\nmigration = \"20240201000000_drop_nickname\"\nrule = \"drop-column\"\nreason = \"the app stopped reading nickname in v1.4, before this deploy\"\n\n[[lint.allow]]\nmigration = \"20240301000000_index_email\"\nrule = \"index-not-concurrent\"\nreason = \"users had 40 rows then\"\n",
    );
    let (code, rules) = lint_rules(&repo, &[]);
    assert_eq!((code, rules), (0, vec![]));
    // Without a reason, or naming what does not exist: refused, saying where.
    for (entry, says) in [
        (
            "migration = \"20240201000000_drop_nickname\"\nrule = \"drop-column\"\n",
            "give the reason",
        ),
        (
            "migration = \"20240201000000_drop_nicknam\"\nrule = \"drop-column\"\nreason = \"x\"\n",
            "did you mean `20240201000000_drop_nickname`",
        ),
        (
            "migration = \"20240201000000_drop_nickname\"\nrule = \"drop-colum\"\nreason = \"x\"\n",
            "did you mean `drop-column`",
        ),
    ] {
        write(
            repo.root(),
            "services/svc/xtask.toml",
            &format!("[[lint.allow]]\n{entry}"),
        );
        let out = run(xtask(repo.root()).args(["lint"]));
        assert_eq!(out.code, 2, "{}", all(&out));
        assert!(
            out.stderr.contains("xtask.toml: [[lint.allow]]") && out.stderr.contains(says),
            "{}",
            all(&out)
        );
    }
}

#[test]
fn verify_since_lints_only_what_changed() {
    let repo = history_repo();
    git(repo.root(), &["init", "-q"]);
    git(repo.root(), &["add", "-A"]);
    git(repo.root(), &["commit", "-qm", "history"]);
    repo.migration(
        "svc",
        "20250101000000_add_age",
        "ALTER TABLE \"users\" ADD COLUMN \"age\" INTEGER;\n",
    );
    let out = run(xtask(repo.root()).args(["verify", "--backend", "local", "--since", "HEAD"]));
    assert_eq!(out.code, 0, "{}", all(&out));
    repo.migration(
        "svc",
        "20250102000000_drop_age",
        "ALTER TABLE \"users\" DROP COLUMN \"age\";\n",
    );
    let out = run(xtask(repo.root()).args(["verify", "--backend", "local", "--since", "HEAD"]));
    assert_eq!(out.code, 1, "{}", all(&out));
    assert!(
        out.stdout.contains("drop-column") && !out.stdout.contains("20240201000000_drop_nickname"),
        "{}",
        all(&out)
    );
}

/// A Node service: package.json with a Prisma 6 seed in JavaScript that loads `.env` the way
/// Node does (not overriding what is set) and writes through `pg`.
fn node_service(repo: &TempRepo, dev: &DatabaseUrl) {
    repo.migration(
        "shop",
        "20250101000000_init",
        "CREATE TABLE \"orders\" (\"id\" SERIAL PRIMARY KEY, \"note\" TEXT);\n",
    );
    let root = repo.root();
    write(
        root,
        "services/shop/prisma/schema.prisma",
        "datasource db {\n  provider = \"postgresql\"\n  url      = env(\"SHOP_DB_URL\")\n}\n\nmodel orders {\n  id   Int     @id @default(autoincrement())\n  note String?\n}\n",
    );
    write(
        root,
        "services/shop/package.json",
        r#"{ "name": "shop", "private": true, "scripts": { "test": "node --test" },
  "prisma": { "seed": "node prisma/seed.js" }, "dependencies": { "pg": "*" } }"#,
    );
    // The developer's own database, as teams keep it in .env.
    write(
        root,
        "services/shop/.env",
        &format!(
            "SHOP_DB_URL={}\nDATABASE_URL={}\n",
            dev.expose(),
            dev.expose()
        ),
    );
    write(
        root,
        "services/shop/prisma/seed.js",
        "process.loadEnvFile('.env');\nconst { Client } = require('pg');\n(async () => {\n  const db = new Client({ connectionString: process.env.SHOP_DB_URL });\n  await db.connect();\n  await db.query(\"INSERT INTO orders (note) VALUES ('seeded')\");\n  await db.end();\n})().catch((e) => { console.error(e); process.exit(1); });\n",
    );
    write(
        root,
        "services/shop/test/orders.test.js",
        "process.loadEnvFile('.env');\nconst { test } = require('node:test');\nconst assert = require('node:assert/strict');\nconst { Client } = require('pg');\ntest('the seed is there', async () => {\n  const db = new Client({ connectionString: process.env.DATABASE_URL });\n  await db.connect();\n  const { rows } = await db.query('SELECT note FROM orders');\n  await db.end();\n  assert.deepEqual(rows.map((r) => r.note), ['seeded']);\n});\n",
    );
    link_node_modules(root);
}

#[test]
fn seeds_and_tests_touch_only_the_throwaway_database_whatever_env_says() {
    let dev = fresh_database("developers_own");
    shared_migrate::connect(&dev)
        .unwrap()
        .batch_execute("CREATE TABLE orders (id SERIAL PRIMARY KEY, note TEXT); INSERT INTO orders (note) VALUES ('mine')")
        .unwrap();
    let repo = TempRepo::new();
    node_service(&repo, &dev);
    let (out, json) = verify_json(repo.root(), &[]);
    assert_eq!(out.code, 0, "{}", all(&out));
    let seed = common::step(&json[0], "seed");
    assert_eq!(seed["status"], "passed", "{seed}");
    assert!(
        seed["detail"]
            .as_str()
            .unwrap()
            .starts_with("ran `node prisma/seed.js` (package.json prisma.seed at package.json:2)"),
        "{seed}"
    );
    let test = common::step(&json[0], "test");
    assert_eq!(test["status"], "passed", "{test}");
    assert_eq!(
        count(&dev, "SELECT count(*) FROM orders"),
        1,
        "the developer's database was written to"
    );
    // The human summary says which seed and which tests ran.
    let out = run(xtask(repo.root()).args(["verify", "--backend", "local", "--no-lint"]));
    assert!(
        out.stdout.contains("seed: `node prisma/seed.js` (package.json prisma.seed at package.json:2); tests: `npm test`"),
        "{}",
        all(&out)
    );
}

#[test]
fn a_prisma_seed_runs_through_a_shell_with_node_modules_bin_on_path() {
    let repo = TempRepo::new();
    repo.migration("tool", "20250101000000_init", "CREATE TABLE t (v text);\n");
    let root = repo.root();
    write(
        root,
        "services/tool/package.json",
        r#"{ "name": "tool", "prisma": { "seed": "seed-tool first && seed-tool second" } }"#,
    );
    let bin = write(
        root,
        "services/tool/node_modules/.bin/seed-tool",
        "#!/bin/sh\npsql -X -q -v ON_ERROR_STOP=1 -c \"INSERT INTO t VALUES ('$1')\"\n",
    );
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
    let (out, json) = verify_json(root, &[]);
    assert_eq!(out.code, 0, "{}", all(&out));
    assert_eq!(common::step(&json[0], "seed")["status"], "passed");
    // No test script, so no tests: the summary says so, and `require` makes it a failure.
    let out = run(xtask(root).args(["verify", "--backend", "local", "--no-lint"]));
    assert!(out.stdout.contains("passed (no tests)"), "{}", all(&out));
    write(
        root,
        "services/tool/xtask.toml",
        "[verify]\nrequire = [\"seed\", \"tests\"]\n",
    );
    let out = run(xtask(root).args(["verify", "--backend", "local", "--no-lint"]));
    assert_eq!(out.code, 1, "{}", all(&out));
    assert!(
        out.stdout.contains("FAILED at test")
            && out.stdout.contains("[verify] require lists `tests`"),
        "{}",
        all(&out)
    );
}

#[test]
fn packages_where_node_monorepos_keep_them_are_services() {
    let repo = TempRepo::new();
    let root = repo.root();
    std::fs::remove_dir(root.join("services")).unwrap();
    write(
        root,
        "package.json",
        r#"{ "private": true, "workspaces": ["packages/*", "apps/*"] }"#,
    );
    // Prisma's second default: schema.prisma and migrations/ at the package root.
    write(
        root,
        "packages/billing/schema.prisma",
        "datasource db {\n  provider = \"postgresql\"\n  url = env(\"BILLING_URL\")\n}\n",
    );
    write(
        root,
        "packages/billing/migrations/20250101000000_init/migration.sql",
        "CREATE TABLE invoices (id int);\n",
    );
    write(
        root,
        "packages/billing/package.json",
        r#"{ "name": "@acme/billing" }"#,
    );
    // A package without Prisma is not a service.
    write(
        root,
        "packages/ui/package.json",
        r#"{ "name": "@acme/ui" }"#,
    );
    // The classic layout, as a workspace package under apps/.
    write(
        root,
        "apps/api/prisma/migrations/20250101000000_init/migration.sql",
        "CREATE TABLE users (id int);\n",
    );
    write(root, "apps/api/package.json", r#"{ "name": "@acme/api" }"#);
    // Not a package (no package.json): the workspace globs do not make it a service.
    write(
        root,
        "apps/scratch/prisma/migrations/20250101000000_init/migration.sql",
        "CREATE TABLE scratch (id int);\n",
    );
    let db = fresh_database("workspace_pkg");
    let out = run(xtask(root)
        .args(["migrate", "--format", "json"])
        .env("BILLING_URL", db.expose())
        .env(
            "API_DATABASE_URL",
            db.with_dbname(&format!("{}_api", db.dbname)).expose(),
        ));
    assert_eq!(out.code, 0, "{}", all(&out));
    let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let names: Vec<&str> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["service"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["api", "billing"]);
    assert_eq!(count(&db, "SELECT count(*) FROM invoices"), 0);
    // Why a directory is not a service, and the nearest name.
    let out = run(xtask(root).args(["lint", "-s", "ui"]));
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("packages/ui is not a Prisma project"),
        "{}",
        all(&out)
    );
    let out = run(xtask(root).args(["lint", "-s", "biling"]));
    assert!(
        out.stderr.contains("did you mean `billing`"),
        "{}",
        all(&out)
    );
    // Inside a package, a command acts on it alone, as `npx prisma` there (`--all`: every one).
    let out = run(xtask(root)
        .args(["lint", "--format", "json"])
        .current_dir(root.join("packages/billing/migrations")));
    assert!(out.stdout.contains("\"services\": 1"), "{}", all(&out));
    assert!(
        out.stderr.contains("working on `billing` alone"),
        "{}",
        all(&out)
    );
    let out = run(xtask(root)
        .args(["lint", "--format", "json", "--all"])
        .current_dir(root.join("packages/billing")));
    assert!(out.stdout.contains("\"services\": 2"), "{}", all(&out));
    // Two packages of one name: refused, naming both.
    write(
        root,
        "apps/billing/prisma/migrations/20250101000000_init/migration.sql",
        "CREATE TABLE x (id int);\n",
    );
    write(
        root,
        "apps/billing/package.json",
        r#"{ "name": "@acme/billing-app" }"#,
    );
    let out = run(xtask(root).args(["lint"]));
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("two services are named `billing`")
            && out.stderr.contains("apps/billing")
            && out.stderr.contains("packages/billing"),
        "{}",
        all(&out)
    );
}

#[test]
fn the_root_is_found_from_inside_a_package() {
    let repo = TempRepo::new();
    let root = repo.root();
    std::fs::remove_dir(root.join("services")).unwrap();
    write(root, "pnpm-workspace.yaml", "packages:\n  - 'apps/*'\n");
    write(
        root,
        "apps/api/prisma/migrations/20250101000000_init/migration.sql",
        "CREATE TABLE users (id int);\n",
    );
    write(root, "apps/api/package.json", r#"{ "name": "api" }"#);
    // No --root: the binary finds the workspace from where it runs.
    let out = run(std::process::Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["lint", "--format", "json"])
        .current_dir(root.join("apps/api/prisma")));
    assert_eq!(out.code, 0, "{}", all(&out));
    assert!(out.stdout.contains("\"services\": 1"), "{}", all(&out));
}

/// A monorepo whose packages hold no Prisma project: every command has nothing to do, and says
/// why rather than passing in silence (a CI job verifying nothing).
#[test]
fn a_workspace_without_a_prisma_project_says_so() {
    let repo = TempRepo::new();
    let root = repo.root();
    std::fs::remove_dir(root.join("services")).unwrap();
    write(root, "package.json", r#"{ "workspaces": ["packages/*"] }"#);
    write(root, "packages/web/package.json", r#"{ "name": "web" }"#);
    for args in [&["status"][..], &["lint"], &["migrate"], &["verify"]] {
        let out = run(xtask(root).args(args));
        assert_eq!(out.code, 0, "{args:?}: {}", all(&out));
        assert!(
            out.stderr.contains("no service in ")
                && out
                    .stderr
                    .contains("is a Prisma project (prisma/schema.prisma"),
            "{args:?}: {}",
            all(&out)
        );
    }
    // A service that exists and is filtered away is not "no service".
    write(
        root,
        "packages/api/prisma/schema.prisma",
        "datasource db {\n  provider = \"postgresql\"\n  url = env(\"API_URL\")\n}\n",
    );
    write(root, "packages/api/package.json", r#"{ "name": "api" }"#);
    git(root, &["init", "-q"]);
    git(root, &["add", "-A"]);
    git(root, &["commit", "-qm", "api"]);
    let out = run(xtask(root).args(["verify", "--since", "HEAD"]));
    assert!(
        out.stderr.contains("nothing to verify") && !out.stderr.contains("no service in "),
        "{}",
        all(&out)
    );
}

#[test]
fn urls_as_prisma_7_configurations_write_them() {
    let repo = TempRepo::new();
    let root = repo.root();
    repo.migration("svc", "20250101000000_init", "CREATE TABLE a (id int);\n");
    write(
        root,
        "services/svc/prisma.config.ts",
        "import path from 'node:path';\nimport { defineConfig } from 'prisma/config';\nexport default defineConfig({\n  schema: path.join(__dirname, 'prisma', 'schema.prisma'),\n  datasource: { url: process.env.DIRECT_URL || process.env.DATABASE_URL_UNPOOLED },\n});\n",
    );
    write(
        root,
        "services/svc/prisma/schema.prisma",
        "datasource db {\n  provider = \"postgresql\"\n}\n",
    );
    let db = fresh_database("prisma7");
    let out = run(xtask(root)
        .args(["migrate", "--format", "json"])
        .env("DATABASE_URL_UNPOOLED", db.expose()));
    assert_eq!(out.code, 0, "{}", all(&out));
    assert!(
        out.stdout
            .contains("\"url_variable\": \"DATABASE_URL_UNPOOLED\""),
        "{}",
        out.stdout
    );
    // Prisma 7 reads no .env file: neither do we for a package on Prisma 7.
    write(
        root,
        "services/svc/package.json",
        r#"{ "devDependencies": { "prisma": "^7.4.0" } }"#,
    );
    write(
        root,
        "services/svc/.env",
        &format!("DIRECT_URL={}\n", db.expose()),
    );
    let out = run(xtask(root).args(["status"]));
    assert_eq!(out.code, 2, "{}", all(&out));
    assert!(
        out.stdout.contains("DIRECT_URL or DATABASE_URL_UNPOOLED")
            && out.stdout.contains("Prisma 7 reads no .env file"),
        "{}",
        all(&out)
    );
    // Unless the config loads it itself, as Prisma's upgrade guide has teams do.
    let config_path = root.join("services/svc/prisma.config.ts");
    let config = std::fs::read_to_string(&config_path).unwrap();
    std::fs::write(&config_path, format!("import \"dotenv/config\";\n{config}")).unwrap();
    let out = run(xtask(root).args(["migrate", "--format", "json"]));
    assert_eq!(out.code, 0, "{}", all(&out));
    assert!(
        out.stdout.contains("\"url_variable\": \"DIRECT_URL\""),
        "{}",
        out.stdout
    );
    // A config reading DATABASE_URL, set nowhere: the message names it, and the way to load
    // a .env file.
    std::fs::write(
        &config_path,
        "import { defineConfig, env } from 'prisma/config';\nexport default defineConfig({\n  schema: 'prisma/schema.prisma',\n  datasource: { url: env('DATABASE_URL') },\n});\n",
    )
    .unwrap();
    let out = run(xtask(root).args(["status"]).env_remove("DATABASE_URL"));
    assert_eq!(out.code, 2, "{}", all(&out));
    assert!(
        out.stdout
            .contains("set DATABASE_URL (the datasource's datasource.url at ")
            && out.stdout.contains(
                "svc/prisma.config.ts:4:22 reads it) or the environment variable SVC_DATABASE_URL"
            )
            && out.stdout.contains("add `import \"dotenv/config\"`"),
        "{}",
        all(&out)
    );
    std::fs::write(&config_path, config).unwrap();
    // On Prisma 6 the same .env is read.
    write(
        root,
        "services/svc/package.json",
        r#"{ "devDependencies": { "prisma": "6.19.0" } }"#,
    );
    let out = run(xtask(root).args(["status"]));
    assert_eq!(out.code, 0, "{}", all(&out));
}

#[test]
fn missing_dependencies_are_installed_from_the_lockfile() {
    // A copy of the examples' workspace without node_modules: verify runs `npm ci` itself.
    let repo = TempRepo::new();
    let root = repo.root();
    for f in ["package.json", "package-lock.json"] {
        std::fs::copy(repo_root().join(f), root.join(f)).unwrap();
    }
    for svc in ["azora-education", "azora-notifications", "azora-wallet"] {
        let status = std::process::Command::new("cp")
            .arg("-a")
            .arg(repo_root().join("services").join(svc))
            .arg(root.join("services"))
            .status()
            .unwrap();
        assert!(status.success());
    }
    let out = run(xtask(root).args(["verify", "--backend", "local", "-s", "azora-wallet"]));
    assert_eq!(out.code, 0, "{}", all(&out));
    assert!(root.join("node_modules/pg").is_dir());
    assert!(
        out.stderr.contains("installing dependencies: `npm ci`"),
        "{}",
        all(&out)
    );
}

#[test]
fn on_github_verify_annotates_lint_findings_and_keeps_its_report() {
    let repo = TempRepo::new();
    repo.migration(
        "svc",
        "20240101000000_init",
        "CREATE TABLE a (id int, b int);\n",
    );
    repo.migration(
        "svc",
        "20240201000000_drop_b",
        "ALTER TABLE a DROP COLUMN b;\n",
    );
    let report = repo.root().join("target/reports/nested/verify.xml");
    let out = run(xtask(repo.root())
        .args(["verify", "--backend", "local", "--junit"])
        .arg(&report)
        .env("GITHUB_ACTIONS", "true"));
    assert_eq!(out.code, 1, "{}", all(&out));
    assert!(
        out.stdout.lines().any(|l| l.starts_with(
            "::error file=services/svc/prisma/migrations/20240201000000_drop_b/migration.sql,line=1"
        ) && l.contains("title=drop-column")),
        "{}",
        all(&out)
    );
    assert!(report.is_file(), "the report's directory was created");
}

#[test]
fn a_root_lockfile_change_affects_every_node_package() {
    let repo = TempRepo::new();
    let root = repo.root();
    repo.migration(
        "node_svc",
        "20250101000000_init",
        "CREATE TABLE a (id int);\n",
    );
    repo.migration(
        "plain_svc",
        "20250101000000_init",
        "CREATE TABLE a (id int);\n",
    );
    write(
        root,
        "services/node_svc/package.json",
        r#"{ "name": "node_svc" }"#,
    );
    write(root, "package-lock.json", "{}\n");
    git(root, &["init", "-q"]);
    git(root, &["add", "-A"]);
    git(root, &["commit", "-qm", "base"]);
    write(root, "package-lock.json", "{ \"lockfileVersion\": 3 }\n");
    let out = run(xtask(root).args(["affected", "--since", "HEAD", "--format", "json"]));
    assert_eq!(out.code, 0, "{}", all(&out));
    let json: serde_json::Value =
        serde_json::from_str(&out.stdout).unwrap_or_else(|_| panic!("{}", all(&out)));
    let affected: Vec<&str> = json["affected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["service"].as_str().unwrap())
        .collect();
    assert_eq!(affected, ["node_svc"], "{}", out.stdout);
}

/// A team's own xtask, in a workspace of its own, takes these commands through a git
/// dependency (here a `file://` URL of this repository's commit) and `#[command(flatten)]`,
/// and runs them on the examples. Built with this repository's lockfile and profile, in its
/// target directory, so that only the git packages compile anew.
#[test]
fn a_team_xtask_runs_the_commands_through_a_git_dependency() {
    let repo = repo_root().canonicalize().unwrap();
    let head = std::process::Command::new("git")
        .args(["rev-parse", "HEAD"])
        .current_dir(&repo)
        .output()
        .unwrap();
    assert!(
        head.status.success(),
        "this test needs the repository's git history"
    );
    let rev = String::from_utf8(head.stdout).unwrap().trim().to_string();
    let team = tempfile::tempdir().unwrap();
    let root = team.path();
    let manifest = std::fs::read_to_string(repo.join("Cargo.toml")).unwrap();
    let profiles = &manifest[manifest.find("[profile.dev]").unwrap()..];
    write(
        root,
        "Cargo.toml",
        &format!("[workspace]\nresolver = \"3\"\nmembers = [\"xtask\"]\n\n{profiles}"),
    );
    write(
        root,
        ".cargo/config.toml",
        "[alias]\nxtask = \"run --package xtask --\"\n",
    );
    write(
        root,
        "xtask/Cargo.toml",
        &format!(
            "[package]\nname = \"xtask\"\nversion = \"0.1.0\"\nedition = \"2024\"\npublish = false\n\n# Not `xtask`, only because this test builds in the repository's target directory.\n[[bin]]\nname = \"team-xtask\"\npath = \"src/main.rs\"\n\n[dependencies]\nxtask-migrate = {{ git = \"file://{}\", rev = \"{rev}\" }}\nclap = {{ version = \"4.6\", features = [\"derive\"] }}\n",
            repo.display()
        ),
    );
    write(
        root,
        "xtask/src/main.rs",
        "use clap::{Parser, Subcommand};\n\n#[derive(Parser)]\nstruct Cli {\n    #[command(subcommand)]\n    command: Command,\n}\n\n#[derive(Subcommand)]\nenum Command {\n    /// The team's own task.\n    Hello,\n    #[command(flatten)]\n    Migrations(xtask_migrate::Command),\n}\n\nfn main() -> std::process::ExitCode {\n    match Cli::parse().command {\n        Command::Hello => {\n            println!(\"hello from the team\");\n            std::process::ExitCode::SUCCESS\n        }\n        Command::Migrations(c) => xtask_migrate::run(c, None),\n    }\n}\n",
    );
    std::fs::copy(repo.join("Cargo.lock"), root.join("Cargo.lock")).unwrap();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let xtask = |args: &[&str]| {
        let mut command = std::process::Command::new(&cargo);
        // What cargo set for this test binary (CARGO_MANIFEST_DIR, CARGO_PKG_*, ...) must not
        // reach the inner build: build scripts that watch one (ring's) would be rerun, and the
        // next `cargo test` would rebuild the library after them.
        for (name, _) in std::env::vars_os() {
            let name = name.to_string_lossy().into_owned();
            if name.starts_with("CARGO_") && name != "CARGO_HOME" {
                command.env_remove(&name);
            }
        }
        run(command
            .args(["xtask"])
            .args(args)
            .current_dir(root)
            .env("CARGO_TARGET_DIR", repo.join("target"))
            .env("CARGO_NET_GIT_FETCH_WITH_CLI", "true")
            .env("XTASK_ROOT", &repo)
            .env_remove("RUSTFLAGS"))
    };
    let out = xtask(&["hello"]);
    assert_eq!(out.code, 0, "{}", all(&out));
    assert!(out.stdout.contains("hello from the team"), "{}", all(&out));
    let out = xtask(&["lint", "-s", "azora-wallet", "--format", "json"]);
    assert_eq!(out.code, 0, "{}", all(&out));
    assert!(out.stdout.contains("\"migrations\": 4"), "{}", all(&out));
}

/// The rest of what the new user met (issue 28, point 9), each as it reads now.
#[test]
fn what_the_new_user_met_reads_right() {
    let repo = TempRepo::new();
    repo.migration(
        "svc",
        "20250101000000_init",
        "CREATE TABLE \"students\" (id int);\nINSERT INTO \"students\" VALUES (1);\n",
    );
    let db = fresh_database("new_user");
    let cmd =
        |args: &[&str], url: &str| run(xtask(repo.root()).args(args).env("SVC_DATABASE_URL", url));
    // status that cannot connect still counts the local migrations.
    let out = cmd(&["status"], "postgresql://u@127.0.0.1:1/x");
    assert_eq!(out.code, 4, "{}", all(&out));
    assert!(
        out.stdout
            .lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>()
                == ["svc", "1", "?", "?", "?", "PROBLEM"]),
        "{}",
        all(&out)
    );
    assert_eq!(cmd(&["migrate"], &db.expose()).code, 0);
    // A failure without a server position: the caret at the clause it is about.
    repo.migration(
        "svc",
        "20250102000000_add_grade",
        "-- AlterTable\nALTER TABLE \"students\" ADD COLUMN \"nick\" TEXT,\n    ADD COLUMN \"grade\" TEXT NOT NULL;\n",
    );
    let out = cmd(&["migrate"], &db.expose());
    assert_eq!(out.code, 1, "{}", all(&out));
    assert!(
        out.stdout.contains("migration.sql:3:16")
            && out.stdout.contains("\n  |                ^\n"),
        "{}",
        all(&out)
    );
    // Nothing of it persisted: `resolve --applied` is not offered, in migrate or status.
    let out = cmd(&["migrate"], &db.expose());
    assert_eq!(out.code, 1, "{}", all(&out));
    assert!(
        out.stdout
            .contains("--rolled-back 20250102000000_add_grade")
            && !out.stdout.contains("--applied"),
        "{}",
        all(&out)
    );
    let out = cmd(&["status"], &db.expose());
    assert!(
        out.stdout.contains("nothing of it persisted") && !out.stdout.contains("--applied"),
        "{}",
        all(&out)
    );
    // An edited applied migration: told once, with the way out.
    let out = cmd(
        &[
            "resolve",
            "-s",
            "svc",
            "--rolled-back",
            "20250102000000_add_grade",
        ],
        &db.expose(),
    );
    assert_eq!(out.code, 0, "{}", all(&out));
    std::fs::remove_dir_all(
        repo.root()
            .join("services/svc/prisma/migrations/20250102000000_add_grade"),
    )
    .unwrap();
    let init = repo
        .root()
        .join("services/svc/prisma/migrations/20250101000000_init/migration.sql");
    let text = std::fs::read_to_string(&init).unwrap();
    std::fs::write(&init, format!("{text}-- a comment added later\n")).unwrap();
    let out = cmd(&["migrate"], &db.expose());
    assert_eq!(
        all(&out).matches("was edited after it was applied").count(),
        1,
        "{}",
        all(&out)
    );
    assert!(
        out.stdout.contains("put the change in a new migration"),
        "{}",
        all(&out)
    );
    // P3005: a schema with tables and no ledger points at baseline.
    let legacy = fresh_database("new_user_legacy");
    shared_migrate::connect(&legacy)
        .unwrap()
        .batch_execute("CREATE TABLE students (id int)")
        .unwrap();
    let out = cmd(&["migrate"], &legacy.expose());
    assert!(
        out.stdout.contains("cargo xtask baseline --service svc") && out.stdout.contains("P3005"),
        "{}",
        all(&out)
    );
}

#[test]
fn the_drift_hint_names_the_service() {
    let repo = TempRepo::new();
    repo.migration(
        "edu",
        "20250101000000_init",
        "CREATE TABLE \"A\" (\"id\" INTEGER NOT NULL, CONSTRAINT \"A_pkey\" PRIMARY KEY (\"id\"));\n",
    );
    write(
        repo.root(),
        "services/edu/prisma/schema.prisma",
        "datasource db {\n  provider = \"postgresql\"\n  url = env(\"DATABASE_URL\")\n}\n\nmodel A {\n  id Int @id\n  name String?\n}\n",
    );
    let out = run(xtask(repo.root()).args(["verify", "--backend", "local", "--no-lint"]));
    assert_eq!(out.code, 1, "{}", all(&out));
    assert!(
        out.stdout
            .contains("cargo xtask new -s edu --from-schema --name <change>"),
        "{}",
        all(&out)
    );
}

/// `diff --from migrations --to database`: an object schema.prisma does not manage (a partial
/// index here), present on both sides, is listed once.
#[test]
fn objects_schema_prisma_does_not_manage_are_listed_once() {
    let repo = TempRepo::new();
    repo.migration(
        "svc",
        "20250101000000_init",
        "CREATE TABLE \"A\" (\"id\" INTEGER NOT NULL, \"gone\" BOOLEAN, CONSTRAINT \"A_pkey\" PRIMARY KEY (\"id\"));\nCREATE INDEX \"A_live_idx\" ON \"A\"(\"id\") WHERE \"gone\" IS NULL;\n",
    );
    write(
        repo.root(),
        "services/svc/prisma/schema.prisma",
        "datasource db {\n  provider = \"postgresql\"\n  url = env(\"DATABASE_URL\")\n}\n\nmodel A {\n  id Int @id\n  gone Boolean?\n}\n",
    );
    let db = fresh_database("unmanaged");
    let env = |c: &mut std::process::Command| {
        c.env("SVC_DATABASE_URL", db.expose());
    };
    let mut migrate = xtask(repo.root());
    migrate.arg("migrate");
    env(&mut migrate);
    assert_eq!(run(&mut migrate).code, 0);
    let mut diff = xtask(repo.root());
    diff.args([
        "diff",
        "--from",
        "migrations",
        "--to",
        "database",
        "--backend",
        "local",
    ]);
    env(&mut diff);
    let out = run(&mut diff);
    assert_eq!(out.code, 0, "{}", all(&out));
    assert_eq!(out.stdout.matches("A_live_idx").count(), 1, "{}", all(&out));
}

#[test]
fn help_describes_every_flag_and_new_reads_right() {
    let help = |args: &[&str]| run(xtask(&repo_root()).args(args).arg("--help")).stdout;
    let reset = help(&["reset"]);
    assert!(
        reset.contains("--database-url <URL>") && reset.contains("The database URL (default"),
        "{reset}"
    );
    let new = help(&["new"]);
    assert!(
        new.contains("Usage: cargo xtask new [-s SERVICE] NAME [OPTIONS]")
            && new.contains("cargo xtask new [-s SERVICE] --name NAME [OPTIONS]"),
        "{new}"
    );
}

/// `cargo xtask seed` (Prisma's `db seed`): the team's seed against the service's database,
/// from inside the package too; a database elsewhere needs --force.
#[test]
fn seed_runs_the_teams_seed_on_the_services_database() {
    let dev = fresh_database("seed_cmd_dev");
    let repo = TempRepo::new();
    node_service(&repo, &dev);
    let target = fresh_database("seed_cmd_target");
    let migrate = run(xtask(repo.root())
        .args(["migrate", "-s", "shop"])
        .env("SHOP_DB_URL", target.expose()));
    assert_eq!(migrate.code, 0, "{}", all(&migrate));
    let out = run(xtask(repo.root())
        .arg("seed")
        .current_dir(repo.root().join("services/shop/prisma"))
        .env("SHOP_DB_URL", target.expose()));
    assert_eq!(out.code, 0, "{}", all(&out));
    assert!(
        out.stdout.contains("ran `node prisma/seed.js`"),
        "{}",
        all(&out)
    );
    assert_eq!(count(&target, "SELECT count(*) FROM orders"), 1);
    let far = "postgresql://app@db.example.com:5432/shop";
    let out = run(xtask(repo.root()).args(["seed", "-s", "shop", "--database-url", far]));
    assert_eq!(out.code, 2, "{}", all(&out));
    assert!(out.stderr.contains("pass --force"), "{}", all(&out));
}

/// `cargo xtask push` (Prisma's `db push`): the database made to match schema.prisma, no
/// migration, no ledger row; data loss refused until accepted.
#[test]
fn push_makes_the_database_match_the_schema_without_a_migration() {
    let repo = TempRepo::new();
    let root = repo.root();
    let schema = |fields: &str| {
        write(
            root,
            "services/app/prisma/schema.prisma",
            &format!(
                "datasource db {{\n  provider = \"postgresql\"\n  url = env(\"APP_URL\")\n}}\n\nmodel Post {{\n  id Int @id\n{fields}}}\n"
            ),
        );
    };
    std::fs::create_dir_all(root.join("services/app/prisma/migrations")).unwrap();
    schema("  title String\n");
    let db = fresh_database("push");
    let push = |args: &[&str]| {
        run(xtask(root)
            .args(["push", "-s", "app"])
            .args(args)
            .env("APP_URL", db.expose()))
    };
    let out = push(&[]);
    assert_eq!(out.code, 0, "{}", all(&out));
    assert!(
        out.stdout.contains("now matches schema.prisma"),
        "{}",
        all(&out)
    );
    shared_migrate::connect(&db)
        .unwrap()
        .batch_execute("INSERT INTO \"Post\" VALUES (1, 'hello')")
        .unwrap();
    // A column added: applied, the row kept.
    schema("  title String\n  body String?\n");
    let out = push(&[]);
    assert_eq!(out.code, 0, "{}", all(&out));
    assert_eq!(
        count(&db, "SELECT count(*) FROM \"Post\" WHERE body IS NULL"),
        1
    );
    // A column dropped: refused, named, nothing changed; then accepted.
    schema("  body String?\n");
    let out = push(&[]);
    assert_eq!(out.code, 2, "{}", all(&out));
    assert!(
        out.stderr.contains("drop the column `title`") && out.stderr.contains("--accept-data-loss"),
        "{}",
        all(&out)
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM information_schema.columns WHERE column_name = 'title'"
        ),
        1
    );
    let out = push(&["--accept-data-loss"]);
    assert_eq!(out.code, 0, "{}", all(&out));
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM information_schema.columns WHERE column_name = 'title'"
        ),
        0
    );
    let out = push(&[]);
    assert!(out.stdout.contains("already in sync"), "{}", all(&out));
    // No migration written, no ledger.
    assert_eq!(
        std::fs::read_dir(root.join("services/app/prisma/migrations"))
            .unwrap()
            .count(),
        0
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM pg_tables WHERE tablename = '_prisma_migrations'"
        ),
        0
    );
    // --force-reset starts from an empty schema: the row is gone.
    let out = push(&["--force-reset"]);
    assert_eq!(out.code, 0, "{}", all(&out));
    assert_eq!(count(&db, "SELECT count(*) FROM \"Post\""), 0);
    let out = run(xtask(root).args([
        "push",
        "-s",
        "app",
        "--database-url",
        "postgresql://a@db.example.com/x",
    ]));
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("not on this machine"), "{}", all(&out));
}

/// `cargo xtask dev` (Prisma's `migrate dev`) on the education example: a fresh database
/// brought forward, in sync, a schema edit written and applied, drift refused until confirmed
/// (then reset and seeded), --create-only, the client generation.
#[test]
fn dev_is_the_development_loop_in_one_command() {
    let repo = TempRepo::new();
    repo.copy_example("azora-education");
    let root = repo.root();
    let svc = root.join("services/azora-education");
    write(
        root,
        "services/azora-education/xtask.toml",
        "[dev]\ngenerate = [\"sh\", \"-c\", \"echo generated >> generated.txt\"]\n",
    );
    let db = fresh_database("dev_loop");
    let dev = |args: &[&str]| {
        run(xtask(root)
            .args(["dev", "-s", "azora-education"])
            .args(args)
            .env("EDUCATION_DATABASE_URL", db.expose()))
    };
    let ledger = || {
        count(
            &db,
            "SELECT count(*) FROM _prisma_migrations WHERE finished_at IS NOT NULL",
        )
    };
    let out = dev(&[]);
    assert_eq!(out.code, 0, "{}", all(&out));
    assert!(
        out.stdout.contains("now in sync with schema.prisma"),
        "{}",
        all(&out)
    );
    assert_eq!(ledger(), 7);
    assert_eq!(
        std::fs::read_to_string(svc.join("generated.txt")).unwrap(),
        "generated\n"
    );
    let out = dev(&[]);
    assert_eq!(out.code, 0, "{}", all(&out));
    assert!(out.stdout.contains("Already in sync"), "{}", all(&out));
    // A schema edit: a name is needed (no terminal: exit 2), then written and applied.
    let schema = svc.join("prisma/schema.prisma");
    let text = std::fs::read_to_string(&schema).unwrap();
    std::fs::write(
        &schema,
        text.replacen(
            "model Course {\n",
            "model Course {\n  subtitle String?\n",
            1,
        ),
    )
    .unwrap();
    let out = dev(&[]);
    assert_eq!(out.code, 2, "{}", all(&out));
    assert!(out.stderr.contains("--name NAME"), "{}", all(&out));
    // On a terminal the name is asked for, as Prisma asks (util-linux `script` gives the run
    // a terminal and types the answer).
    let typed = on_a_terminal(
        &format!(
            "{} --root {} dev -s azora-education --create-only",
            env!("CARGO_BIN_EXE_xtask"),
            root.display()
        ),
        &[("EDUCATION_DATABASE_URL", &db.expose())],
        "add_course_subtitle\n",
    );
    assert!(
        typed.contains("name the new migration (lower snake case)")
            && typed.contains("--create-only: not applied"),
        "{typed}"
    );
    assert!(
        std::fs::read_dir(svc.join("prisma/migrations"))
            .unwrap()
            .any(|e| e
                .unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with("_add_course_subtitle")),
        "{typed}"
    );
    assert_eq!(ledger(), 7);
    let out = dev(&[]);
    assert_eq!(out.code, 0, "{}", all(&out));
    assert_eq!(ledger(), 8);
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM information_schema.columns WHERE column_name = 'subtitle'"
        ),
        1
    );
    // Drift: refused without a confirmation, nothing changed; --yes resets and seeds.
    shared_migrate::connect(&db)
        .unwrap()
        .batch_execute("ALTER TABLE courses ADD COLUMN hand_made int")
        .unwrap();
    let out = dev(&[]);
    assert_eq!(out.code, 2, "{}", all(&out));
    assert!(
        out.stderr.contains("cannot be brought forward") && out.stderr.contains("hand_made"),
        "{}",
        all(&out)
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM information_schema.columns WHERE column_name = 'hand_made'"
        ),
        1
    );
    let out = dev(&["--yes"]);
    assert_eq!(out.code, 0, "{}", all(&out));
    assert!(
        out.stdout.contains("reset: 8 migrations applied"),
        "{}",
        all(&out)
    );
    assert_eq!(
        count(&db, "SELECT count(*) FROM students"),
        2,
        "seeded after the reset"
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM information_schema.columns WHERE column_name = 'hand_made'"
        ),
        0
    );
    // Tables and no ledger (Prisma's P3005): a reset too, asked for first.
    shared_migrate::connect(&db)
        .unwrap()
        .batch_execute("DROP TABLE _prisma_migrations")
        .unwrap();
    let out = dev(&[]);
    assert_eq!(out.code, 2, "{}", all(&out));
    assert!(
        out.stderr.contains("cannot be brought forward") && out.stderr.contains("P3005"),
        "{}",
        all(&out)
    );
    let out = dev(&["--yes"]);
    assert_eq!(out.code, 0, "{}", all(&out));
    assert_eq!(ledger(), 8);
}

/// What `command` (a shell command line) printed when run on a pseudo-terminal, `input` typed
/// on it: util-linux `script`, which Debian always has.
fn on_a_terminal(command: &str, env: &[(&str, &str)], input: &str) -> String {
    use std::io::Write;
    let mut child = std::process::Command::new("script")
        .args(["-qec", command, "/dev/null"])
        .envs(env.iter().copied())
        .env("CI", "true")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("util-linux `script`");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let o = child.wait_with_output().unwrap();
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A package on Prisma 8 (contract-hash migrations, no `_prisma_migrations`) is refused with
/// what shows it, and can be left out of the services.
#[test]
fn a_prisma_8_package_is_refused_with_its_markers() {
    let repo = TempRepo::new();
    let root = repo.root();
    repo.migration("old", "20250101000000_init", "CREATE TABLE a (id int);\n");
    write(
        root,
        "services/next/src/prisma/contract.prisma",
        "model User {\n  id Int @id\n}\n",
    );
    write(
        root,
        "services/next/prisma.config.ts",
        "import { definePrismaConfig } from '@prisma/orm-postgres/config';\nexport default definePrismaConfig({});\n",
    );
    write(
        root,
        "services/next/package.json",
        r#"{ "dependencies": { "@prisma/orm-postgres": "8.0.0", "prisma": "^8.0.0" } }"#,
    );
    let out = run(xtask(root).args(["lint"]));
    assert_eq!(out.code, 2, "{}", all(&out));
    assert!(
        out.stderr.contains("is a Prisma 8 project")
            && out.stderr.contains("definePrismaConfig")
            && out.stderr.contains("@prisma/orm-postgres")
            && out.stderr.contains("pin `prisma@7`"),
        "{}",
        all(&out)
    );
    write(root, "xtask.toml", "services = [\"!services/next\"]\n");
    let out = run(xtask(root).args(["lint"]));
    assert_eq!(out.code, 0, "{}", all(&out));
    assert!(out.stdout.contains("lint: 1 service"), "{}", all(&out));
}

/// Prisma 7's `tables.external` / `enums.external`: objects another tool manages are left out
/// of drift and generation.
#[test]
fn external_tables_and_enums_are_left_alone() {
    let repo = TempRepo::new();
    let root = repo.root();
    repo.migration(
        "svc",
        "20250101000000_init",
        "CREATE TABLE \"A\" (\"id\" INTEGER NOT NULL, CONSTRAINT \"A_pkey\" PRIMARY KEY (\"id\"));\nCREATE TYPE \"mood\" AS ENUM ('ok');\nCREATE TABLE \"audit_log\" (\"id\" INTEGER NOT NULL, \"m\" \"mood\");\n",
    );
    write(
        root,
        "services/svc/prisma/schema.prisma",
        "datasource db {\n  provider = \"postgresql\"\n}\n\nmodel A {\n  id Int @id\n}\n",
    );
    let config = |external: &str| {
        write(
            root,
            "services/svc/prisma.config.ts",
            &format!(
                "import {{ defineConfig, env }} from 'prisma/config';\nexport default defineConfig({{\n  schema: 'prisma/schema.prisma',\n  datasource: {{ url: env('SVC_URL') }},\n{external}}});\n"
            ),
        );
    };
    config("");
    let diff = || run(xtask(root).args(["diff", "-s", "svc", "--backend", "local"]));
    let out = diff();
    assert_eq!(out.code, 2, "{}", all(&out));
    assert!(out.stdout.contains("audit_log"), "{}", all(&out));
    config("  tables: { external: ['public.audit_log'] },\n  enums: { external: ['mood'] },\n");
    let out = diff();
    assert_eq!(out.code, 0, "{}", all(&out));
    let out = run(xtask(root).args([
        "new",
        "-s",
        "svc",
        "--from-schema",
        "--name",
        "nothing_to_do",
    ]));
    assert_eq!(out.code, 0, "{}", all(&out));
    assert!(out.stdout.contains("Already in sync"), "{}", all(&out));
}

/// Prisma 7.4's `partialIndexes` preview: a new service's first migration writes the conditions
/// as schema.prisma gives them; the replayed history is then in sync with schema.prisma (even
/// for a condition PostgreSQL prints back differently), verify passes, a changed condition is
/// a difference naming it, and without the preview a hand-written partial index is left alone.
#[test]
fn partial_indexes_are_read_compared_and_generated() {
    let repo = TempRepo::new();
    let root = repo.root();
    let schema = |preview: &str, condition: &str| {
        write(
            root,
            "services/svc/prisma/schema.prisma",
            &format!(
                "generator client {{\n  provider = \"prisma-client-js\"\n{preview}}}\n\ndatasource db {{\n  provider = \"postgresql\"\n  url      = env(\"SVC_URL\")\n}}\n\nmodel User {{\n  id        Int       @id\n  email     String\n  status    String\n  deletedAt DateTime?\n\n  @@unique([email], where: raw(\"\\\"deletedAt\\\" IS NULL\"))\n  @@index([status], where: raw(\"{condition}\"))\n}}\n"
            ),
        )
    };
    let preview = "  previewFeatures = [\"partialIndexes\"]\n";
    schema(preview, "status IN ('active', 'pending')");
    let out = run(xtask(root).args(["new", "-s", "svc", "--name", "init"]));
    assert_eq!(
        out.code,
        0,
        "a new service's first migration: {}",
        all(&out)
    );
    let file = std::fs::read_dir(root.join("services/svc/prisma/migrations"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.is_dir())
        .unwrap()
        .join("migration.sql");
    let sql = std::fs::read_to_string(&file).unwrap();
    assert!(
        sql.contains(
            "CREATE UNIQUE INDEX \"User_email_key\" ON \"User\"(\"email\") WHERE \"deletedAt\" IS NULL;"
        ) && sql.contains(
            "CREATE INDEX \"User_status_idx\" ON \"User\"(\"status\") WHERE status IN ('active', 'pending');"
        ),
        "{sql}"
    );
    let diff = || run(xtask(root).args(["diff", "-s", "svc", "--backend", "local"]));
    let out = diff();
    assert_eq!(out.code, 0, "in sync: {}", all(&out));
    let out = run(xtask(root).args(["verify", "--backend", "local"]));
    assert_eq!(out.code, 0, "{}", all(&out));
    // A changed condition is a difference, and the hint writes it the Prisma way.
    schema(preview, "status = 'active'");
    let out = diff();
    assert_eq!(out.code, 2, "{}", all(&out));
    assert!(
        out.stdout.contains(
            "WHERE (status = ANY (ARRAY['active'::text, 'pending'::text])) is in the migrations"
        ) && out
            .stdout
            .contains("WHERE (status = 'active') is in schema.prisma")
            && out.stdout.contains("where: raw(\"status = ANY (ARRAY["),
        "{}",
        all(&out)
    );
    // `where:` without the preview is refused, located, as Prisma refuses it.
    schema("", "status = 'active'");
    let out = diff();
    assert_eq!(out.code, 1, "diff's error code, as Prisma's: {}", all(&out));
    assert!(
        all(&out).contains("schema.prisma:17:3")
            && all(&out).contains("previewFeatures = [\"partialIndexes\"]"),
        "{}",
        all(&out)
    );
    // Without the preview (Prisma before 7.4), partial indexes are not Prisma's: left alone.
    write(
        root,
        "services/svc/prisma/schema.prisma",
        "datasource db {\n  provider = \"postgresql\"\n  url      = env(\"SVC_URL\")\n}\n\nmodel User {\n  id        Int       @id\n  email     String\n  status    String\n  deletedAt DateTime?\n}\n",
    );
    let out = diff();
    assert_eq!(out.code, 0, "{}", all(&out));
    assert!(
        out.stdout.contains("partial index \"User_email_key\""),
        "{}",
        all(&out)
    );
}

/// `dev` replays on the server of the datasource's `shadowDatabaseUrl` when one is set, as
/// Prisma uses its shadow database (here an unreachable one shows it is used).
#[test]
fn dev_uses_the_shadow_database_server_when_the_datasource_names_one() {
    let repo = TempRepo::new();
    repo.migration("svc", "20250101000000_init", "CREATE TABLE a (id int);\n");
    write(
        repo.root(),
        "services/svc/prisma/schema.prisma",
        "datasource db {\n  provider = \"postgresql\"\n  url = env(\"SVC_URL\")\n  shadowDatabaseUrl = env(\"SVC_SHADOW\")\n}\n",
    );
    let db = fresh_database("dev_shadow");
    let out = run(xtask(repo.root())
        .args(["dev", "-s", "svc"])
        .env("SVC_URL", db.expose())
        .env("SVC_SHADOW", "postgresql://shadow@127.0.0.1:1/shadow"));
    assert_eq!(out.code, 4, "{}", all(&out));
    assert!(
        out.stderr
            .contains("cannot connect to postgresql://shadow@127.0.0.1:1/shadow"),
        "{}",
        all(&out)
    );
}

/// A repository that is one Prisma project (no services/, no workspaces): found from inside it,
/// its root the one service, named by its directory.
#[test]
fn a_single_prisma_project_is_a_monorepo_of_one() {
    let outer = tempfile::tempdir().unwrap();
    let root = outer.path().join("billing-api");
    write(
        &root,
        "prisma/migrations/20250101000000_init/migration.sql",
        "CREATE TABLE invoices (id int);\n",
    );
    write(&root, "package.json", r#"{ "name": "billing-api" }"#);
    let out = run(std::process::Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["lint", "--format", "json"])
        .current_dir(root.join("prisma/migrations")));
    assert_eq!(out.code, 0, "{}", all(&out));
    assert!(
        out.stdout.contains("\"services\": 1") && out.stdout.contains("\"migrations\": 1"),
        "{}",
        all(&out)
    );
    assert!(
        !out.stderr.contains("alone"),
        "at its root, no scoping note: {}",
        all(&out)
    );
    let out = run(std::process::Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["status"])
        .current_dir(&root));
    assert!(out.stdout.contains("billing-api"), "{}", all(&out));
    // Commands on one service need no -s at its root: it is the only one.
    let out = run(std::process::Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["new", "add_invoice_notes", "--empty"])
        .current_dir(&root));
    assert_eq!(out.code, 0, "{}", all(&out));
    assert!(
        out.stdout.contains("_add_invoice_notes/migration.sql"),
        "{}",
        all(&out)
    );
}

/// `new --safe`: the guide's form, whose only finding is the backfill value a person writes;
/// then lint-clean, deployed over rows (`verify --data`), no drift left. Without --safe, lint's
/// findings on Prisma's bytes and the --safe alternative are printed.
#[test]
fn new_safe_writes_what_lint_accepts() {
    let repo = TempRepo::new();
    repo.copy_example("azora-education");
    let root = repo.root();
    let svc = root.join("services/azora-education");
    let schema = svc.join("prisma/schema.prisma");
    let text = std::fs::read_to_string(&schema).unwrap();
    let text = text.replacen("model Course {\n", "model Course {\n  code String\n", 1);
    let text = text.replacen(
        "  @@map(\"students\")",
        "  @@index([status])\n  @@map(\"students\")",
        1,
    );
    std::fs::write(&schema, text).unwrap();
    let migrations = svc.join("prisma/migrations");
    let before: Vec<_> = std::fs::read_dir(&migrations)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    let out = run(xtask(root).args(["new", "-s", "azora-education", "add_course_code"]));
    assert_eq!(out.code, 0, "{}", all(&out));
    assert!(
        out.stdout.contains("lint: error[add-required-column]")
            && out.stdout.contains("lint: error[index-not-concurrent]")
            && out.stdout.contains("--safe NAME"),
        "{}",
        all(&out)
    );
    for e in std::fs::read_dir(&migrations).unwrap() {
        let p = e.unwrap().path();
        if !before.contains(&p) {
            std::fs::remove_dir_all(p).unwrap();
        }
    }
    let out = run(xtask(root).args(["new", "-s", "azora-education", "add_course_code", "--safe"]));
    assert_eq!(out.code, 0, "{}", all(&out));
    let findings: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| l.starts_with("lint: "))
        .collect();
    assert_eq!(findings.len(), 1, "{}", all(&out));
    assert!(findings[0].contains("backfill-todo"), "{}", all(&out));
    let created: Vec<std::path::PathBuf> = out
        .stdout
        .lines()
        .filter_map(|l| l.strip_prefix("created "))
        .map(|l| std::path::PathBuf::from(l.split(' ').next().unwrap()))
        .collect();
    assert_eq!(created.len(), 2, "{}", all(&out));
    let index = std::fs::read_to_string(&created[1]).unwrap();
    assert_eq!(
        index,
        "-- CreateIndex\nCREATE INDEX CONCURRENTLY \"students_status_idx\" ON \"students\"(\"status\");\n"
    );
    // The person writes the value; the team's seed learns the column.
    let main = std::fs::read_to_string(&created[0]).unwrap();
    let filled = main.replace(
        "NULL /* TODO(backfill): the value of \"code\" for the rows already in \"courses\" */",
        "\"id\"",
    );
    assert_ne!(main, filled);
    std::fs::write(&created[0], filled).unwrap();
    let seed = svc.join("prisma/seed.js");
    let text = std::fs::read_to_string(&seed).unwrap().replace(
        "INSERT INTO \"courses\" (\"id\", \"title\", \"price\") VALUES ($1, $2, $3)",
        "INSERT INTO \"courses\" (\"id\", \"title\", \"price\", \"code\") VALUES ($1, $2, $3, $1)",
    );
    std::fs::write(&seed, text).unwrap();
    let out = run(xtask(root).args(["lint", "-s", "azora-education"]));
    assert_eq!(out.code, 0, "{}", all(&out));
    assert!(out.stdout.contains("0 errors, 0 warnings"), "{}", all(&out));
    let out = run(xtask(root).args(["verify", "--backend", "local", "--data"]));
    assert_eq!(out.code, 0, "{}", all(&out));
}
