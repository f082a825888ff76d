//! `[migrate] lock`: Prisma's advisory key by default (our deploys and the Prisma CLI's exclude
//! each other, and every service of a database waits for the others); a key of the database
//! and schema with `lock = "schema"`, honoured by every command that takes the lock.

use shared_migrate::{DatabaseUrl, LockMode};
use test_support::{TempRepo, fresh_database};

use crate::common::{Out, run, xtask};

fn in_schema(db: &DatabaseUrl, schema: &str) -> DatabaseUrl {
    let mut url = db.clone();
    url.schema = schema.to_string();
    url
}

#[test]
fn a_lock_per_schema_lets_the_services_of_one_database_pass_each_other() {
    let repo = TempRepo::new();
    for svc in ["orders", "billing"] {
        repo.migration(svc, "20250101000000_init", "CREATE TABLE t (id int);\n");
    }
    let db = fresh_database("lock_modes");
    let command = |svc: &str, args: &[&str]| -> Out {
        run(xtask(repo.root())
            .args(args)
            .args(["-s", svc, "--lock-timeout", "300ms"])
            .env(
                format!("{}_DATABASE_URL", svc.to_uppercase()),
                in_schema(&db, svc).expose(),
            ))
    };
    // Another deployer (the Prisma CLI, say) holds Prisma's key on the database.
    let mut holder = shared_migrate::connect(&db).unwrap();
    holder
        .execute("SELECT pg_advisory_lock($1)", &[&72707369i64])
        .unwrap();

    // Prisma's key, the default: every service of the database waits for it.
    let out = command("billing", &["migrate"]);
    assert_eq!(out.code, 5, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("pg_advisory_lock(72707369)"),
        "{}",
        out.stdout
    );

    // A lock per schema: Prisma's key no longer matters, another schema's holder does not
    // either; only the service's own schema's key makes it wait.
    std::fs::write(
        repo.root().join("xtask.toml"),
        "[migrate]\nlock = \"schema\"\n",
    )
    .unwrap();
    let orders_key = LockMode::Schema.key(&in_schema(&db, "orders"));
    assert_ne!(orders_key, LockMode::Schema.key(&in_schema(&db, "billing")));
    holder
        .execute("SELECT pg_advisory_lock($1)", &[&orders_key])
        .unwrap();
    let out = command("billing", &["migrate"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let out = command("orders", &["migrate"]);
    assert_eq!(out.code, 5, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout
            .contains(&format!("pg_advisory_lock({orders_key})")),
        "{}",
        out.stdout
    );
    // Every command that takes the lock honours it: resolve waits on the schema's key too.
    let out = command("orders", &["resolve", "--applied", "20250101000000_init"]);
    assert_eq!(out.code, 5, "{}{}", out.stdout, out.stderr);
    holder
        .execute("SELECT pg_advisory_unlock($1)", &[&orders_key])
        .unwrap();
    let out = command("orders", &["migrate"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);

    // A lock mode that does not exist is refused, located.
    std::fs::write(
        repo.root().join("xtask.toml"),
        "[migrate]\nlock = \"table\"\n",
    )
    .unwrap();
    let out = command("orders", &["migrate"]);
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("xtask.toml") || out.stderr.contains("xtask.toml"));
}
