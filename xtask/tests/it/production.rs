//! The binary against production-like setups: URLs from the service's own datasource
//! (`schema.prisma` variables and `directUrl`, Prisma 7's `prisma.config.ts`), and every command
//! against a TLS-only server that wants a client certificate.

use crate::common;

use std::path::Path;

use common::{run, xtask};
use shared_migrate::DatabaseUrl;
use shared_migrate::Pki;
use test_support::{TempRepo, TlsServer, fresh_database};

fn write(root: &Path, path: &str, text: &str) {
    let p = root.join(path);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

const INIT: &str = "CREATE TABLE \"Student\" (\"id\" SERIAL NOT NULL, CONSTRAINT \"Student_pkey\" PRIMARY KEY (\"id\"));\n";

fn unreachable() -> String {
    "postgresql://app:pooled-secret@127.0.0.1:1/nowhere?pgbouncer=true".into()
}

#[test]
fn the_schemas_own_variables_and_direct_url_decide_the_database() {
    let repo = TempRepo::new();
    repo.migration("edu", "20250101000000_init", INIT);
    write(
        repo.root(),
        "services/edu/prisma/schema.prisma",
        "datasource db {\n  provider  = \"postgresql\"\n  url       = env(\"EDU_POOLED\")\n  directUrl = env(\"EDU_DIRECT\")\n}\n\nmodel Student {\n  id Int @id @default(autoincrement())\n}\n",
    );
    let db = fresh_database("edu_direct");
    let cmd = |args: &[&str]| {
        let mut c = xtask(repo.root());
        c.args(args)
            .env("EDU_POOLED", unreachable())
            .env("EDU_DIRECT", db.expose())
            .env_remove("EDU_DATABASE_URL");
        c
    };
    // Migrations go through directUrl, never the pooled url.
    let out = run(&mut cmd(&["migrate"]));
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let out = run(&mut cmd(&["status", "--format", "json"]));
    let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(json[0]["url_variable"], "EDU_DIRECT");
    let source = json[0]["url_source"].as_str().unwrap();
    assert!(
        source.ends_with("(named by directUrl at ")
            || source.contains("services/edu/prisma/schema.prisma:4:15"),
        "{source}"
    );
    let out = run(&mut cmd(&["status"]));
    assert!(
        out.stdout
            .contains("from environment variable EDU_DIRECT (named by directUrl at "),
        "{}",
        out.stdout
    );
    // The explicit override wins over the datasource.
    let mut c = cmd(&["status", "--format", "json"]);
    c.env("EDU_DATABASE_URL", db.expose())
        .env("EDU_DIRECT", unreachable());
    let out = run(&mut c);
    let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(
        json[0]["url_variable"], "EDU_DATABASE_URL",
        "{}",
        out.stdout
    );
    // A variable the datasource names but nobody set: said so, with where it is named.
    let mut c = xtask(repo.root());
    c.args(["status"]).env_remove("EDU_DIRECT");
    let out = run(&mut c);
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    let all = format!("{}{}", out.stdout, out.stderr);
    assert!(
        all.contains("EDU_DIRECT (the datasource's directUrl at ")
            && all.contains("schema.prisma:4:15 reads it)")
            && all.contains("or set EDU_DATABASE_URL to override"),
        "{all}"
    );
}

#[test]
fn a_prisma_config_ts_service_is_found_and_read() {
    let repo = TempRepo::new();
    // No prisma/ folder at all: the configuration says where things are.
    write(
        repo.root(),
        "services/billing/db/migrations/20250101000000_init/migration.sql",
        INIT,
    );
    write(
        repo.root(),
        "services/billing/db/schema.prisma",
        "datasource db {\n  provider = \"postgresql\"\n}\n",
    );
    write(
        repo.root(),
        "services/billing/prisma.config.ts",
        "import \"dotenv/config\";\nimport path from \"node:path\";\nimport { defineConfig, env } from \"prisma/config\";\n\nexport default defineConfig({\n  schema: path.join(\"db\", \"schema.prisma\"),\n  migrations: {\n    path: \"db/migrations\",\n    seed: \"tsx db/seed.ts\",\n  },\n  datasource: {\n    url: env(\"BILLING_DIRECT_URL\"),\n  },\n});\n",
    );
    let db = fresh_database("billing_cfg");
    let mut c = xtask(repo.root());
    c.args(["migrate", "--format", "json"])
        .env("BILLING_DIRECT_URL", db.expose());
    let out = run(&mut c);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(json[0]["service"], "billing");
    assert_eq!(json[0]["applied"].as_array().unwrap().len(), 1);
    assert_eq!(json[0]["url_variable"], "BILLING_DIRECT_URL");
    assert!(
        json[0]["url_source"]
            .as_str()
            .unwrap()
            .contains("datasource.url at "),
        "{}",
        out.stdout
    );
    // lint and new find the migrations where the configuration puts them.
    let out = run(xtask(repo.root()).args(["lint", "-s", "billing"]));
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let out =
        run(xtask(repo.root()).args(["new", "-s", "billing", "add_invoice_number", "--empty"]));
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let folders = std::fs::read_dir(repo.root().join("services/billing/db/migrations"))
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().is_dir())
        .count();
    assert_eq!(folders, 2);
}

#[test]
fn a_url_only_running_the_config_could_tell_is_an_error_at_its_line() {
    let repo = TempRepo::new();
    repo.migration("svc", "20250101000000_init", INIT);
    write(
        repo.root(),
        "services/svc/prisma.config.ts",
        "import { defineConfig } from \"prisma/config\";\nconst host = process.env.DB_HOST;\nexport default defineConfig({\n  datasource: {\n    url: `postgresql://app@${host}/app`,\n  },\n});\n",
    );
    let out = run(xtask(repo.root()).args(["status"]));
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    let all = format!("{}{}", out.stdout, out.stderr);
    assert!(
        all.contains(
            "services/svc/prisma.config.ts:5:10: `datasource.url` is computed when the file runs"
        ) && all.contains("set SVC_DATABASE_URL"),
        "{all}"
    );
    // Which is the way out.
    let db = fresh_database("svc_cfg_dynamic");
    let mut c = xtask(repo.root());
    c.args(["migrate"]).env("SVC_DATABASE_URL", db.expose());
    assert_eq!(run(&mut c).code, 0);
}

/// Every command against a TLS-only server, as `certuser`, whose client certificate comes as
/// PKCS#12 (Prisma's `sslidentity`) with paths relative to the schema's directory.
#[test]
fn every_command_speaks_tls_the_same_way() {
    let server = TlsServer::start();
    let repo = TempRepo::new();
    let certs = repo.root().join("services/secure/prisma/certs");
    std::fs::create_dir_all(&certs).unwrap();
    for from in [&server.pki.ca, &server.pki.client_p12] {
        std::fs::copy(from, certs.join(from.file_name().unwrap())).unwrap();
    }
    repo.migration("secure", "20250101000000_init", INIT);
    write(
        repo.root(),
        "services/secure/prisma/schema.prisma",
        "datasource db {\n  provider = \"postgresql\"\n  url      = env(\"SECURE_DB\")\n}\n\nmodel Student {\n  id    Int  @id @default(autoincrement())\n  grade Int?\n}\n",
    );
    write(
        repo.root(),
        "services/secure/prisma/seed.sql",
        "INSERT INTO \"Student\" DEFAULT VALUES;\n",
    );
    // The test command: psql, through libpq's environment, must be on TLS with the identity.
    write(
        repo.root(),
        "services/secure/xtask.toml",
        "[verify]\ntest = [\"sh\", \"-c\", \"test \\\"$(psql -XAtc 'SELECT ssl AND client_dn IS NOT NULL FROM pg_stat_ssl WHERE pid = pg_backend_pid()')\\\" = t\"]\n",
    );
    let port = server.cluster.port();
    let query = format!(
        "sslmode=verify-full&sslrootcert=certs/ca.crt&sslidentity=certs/client.p12&sslpassword={}",
        Pki::PASSWORD
    );
    let url = |db: &str| format!("postgresql://certuser@localhost:{port}/{db}?{query}");
    let cmd = |args: &[&str]| {
        let mut c = xtask(repo.root());
        c.args(args).env("SECURE_DB", url("app"));
        c
    };
    let check = |what: &str, out: common::Out, code: i32| {
        assert_eq!(out.code, code, "{what}:\n{}{}", out.stdout, out.stderr);
        for text in [&out.stdout, &out.stderr] {
            assert!(
                !text.contains(Pki::PASSWORD),
                "{what}: password shown:\n{text}"
            );
        }
        out
    };
    let backups = repo.root().join("backups");
    let out = check(
        "migrate --backup",
        run(&mut cmd(&[
            "migrate",
            "--backup",
            backups.to_str().unwrap(),
        ])),
        0,
    );
    // No pending migration, no backup; add one so that the dump runs over TLS.
    drop(out);
    repo.migration(
        "secure",
        "20250102000000_add_grade",
        "ALTER TABLE \"Student\" ADD COLUMN \"grade\" INTEGER;\n",
    );
    let out = check(
        "migrate --backup",
        run(&mut cmd(&[
            "migrate",
            "--backup",
            backups.to_str().unwrap(),
            "--format",
            "json",
        ])),
        0,
    );
    let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let restore = json[0]["backup"]["restore_command"].as_str().unwrap();
    assert!(
        restore.starts_with("PGSSLMODE=verify-full PGSSLROOTCERT=")
            && restore.contains("certs/ca.crt"),
        "{restore}"
    );
    check("status", run(&mut cmd(&["status"])), 0);
    // A failing migration, then resolve over TLS.
    repo.migration("secure", "20250103000000_broken", "SELEC 1;\n");
    check("migrate (failing)", run(&mut cmd(&["migrate"])), 1);
    check(
        "resolve",
        run(&mut cmd(&[
            "resolve",
            "-s",
            "secure",
            "--rolled-back",
            "20250103000000_broken",
        ])),
        0,
    );
    std::fs::remove_dir_all(
        repo.root()
            .join("services/secure/prisma/migrations/20250103000000_broken"),
    )
    .unwrap();
    // baseline on a second database that has the tables but no ledger.
    let socket = server.cluster.socket_url("postgres");
    let mut c = shared_migrate::connect(&socket).unwrap();
    c.batch_execute("CREATE DATABASE legacy OWNER certuser")
        .unwrap();
    let legacy = server.cluster.socket_url("legacy");
    let mut l = shared_migrate::connect(&legacy).unwrap();
    l.batch_execute("SET ROLE certuser").unwrap();
    l.batch_execute(INIT).unwrap();
    check(
        "baseline",
        run(&mut cmd(&[
            "baseline",
            "-s",
            "secure",
            "--up-to",
            "20250101000000_init",
            "--yes",
            "--database-url",
            &url("legacy"),
        ])),
        0,
    );
    check(
        "reset",
        run(&mut cmd(&["reset", "-s", "secure", "--yes"])),
        0,
    );
    // verify on scratch databases of the TLS server; the test command checks psql's session.
    let flag = url("postgres").replace("certs/", &format!("{}/", certs.display()));
    let out = check(
        "verify --backend url",
        run(&mut cmd(&[
            "verify",
            "--backend",
            "url",
            "--database-url",
            &flag,
            "--no-lint",
            "--format",
            "json",
        ])),
        0,
    );
    let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let steps: Vec<(&str, &str)> = json[0]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["name"].as_str().unwrap(), s["status"].as_str().unwrap()))
        .collect();
    assert!(steps.contains(&("test", "passed")), "{steps:?}");
    // The server saw only TLS sessions with the client certificate from certuser.
    let log = server.cluster.log();
    assert!(!log.contains("no pg_hba.conf entry"), "{log}");
    let _ = DatabaseUrl::parse(&url("app")).unwrap();
}
