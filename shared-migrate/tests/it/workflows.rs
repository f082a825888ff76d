//! The guide's workflows as commands, against a real PostgreSQL: the reverse migration of each
//! of the guide's five common changes brings the schema back to what it was before; a backup
//! restores to an identical schema and data; baselining records without running; reset
//! refuses a remote database.

use postgres::Client;
use shared_migrate::DatabaseUrl;
use shared_migrate::MigrateOptions;
use shared_migrate::Service;
use shared_migrate::connect;
use shared_migrate::{baseline, baseline_preview, check_reset_allowed, create_revert, reset};
use shared_migrate::{dump_backup, migrate_service, restore_backup};
use test_support::{TempRepo, fresh_database};

fn client(url: &DatabaseUrl) -> Client {
    connect(url).unwrap()
}

/// Columns, indexes and constraints of the schema (the ledger aside), sorted.
fn schema_of(url: &DatabaseUrl) -> Vec<String> {
    let mut c = client(url);
    let mut out: Vec<String> = Vec::new();
    for row in c
        .query(
            "SELECT table_name || '.' || column_name || ' ' || data_type || coalesce('(' || character_maximum_length || ')', '') \
                    || coalesce('(' || numeric_precision || ',' || numeric_scale || ')', '') || ' null=' || is_nullable \
                    || ' default=' || coalesce(column_default, '-') \
             FROM information_schema.columns WHERE table_schema = $1 AND table_name <> '_prisma_migrations'",
            &[&url.schema],
        )
        .unwrap()
    {
        out.push(format!("column {}", row.get::<_, String>(0)));
    }
    for row in c
        .query(
            "SELECT indexdef FROM pg_indexes WHERE schemaname = $1 AND tablename <> '_prisma_migrations'",
            &[&url.schema],
        )
        .unwrap()
    {
        out.push(format!("index {}", row.get::<_, String>(0)));
    }
    for row in c
        .query(
            "SELECT conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint \
             WHERE connamespace = $1::text::regnamespace AND conrelid <> 0 AND conrelid::regclass::text NOT LIKE '%_prisma_migrations'",
            &[&url.schema],
        )
        .unwrap()
    {
        out.push(format!("constraint {}", row.get::<_, String>(0)));
    }
    for row in c
        .query(
            "SELECT t.typname || ' ' || string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid \
             WHERE t.typnamespace = $1::text::regnamespace GROUP BY t.typname",
            &[&url.schema],
        )
        .unwrap()
    {
        out.push(format!("enum {}", row.get::<_, String>(0)));
    }
    out.sort();
    out
}

fn migrate(service: &Service, url: &DatabaseUrl) {
    let r = migrate_service(
        service,
        Ok(url.clone()),
        &MigrateOptions::default(),
        &|_, _| {},
    );
    assert!(r.result.is_ok(), "{}: {:?}", service.name, r.result);
}

/// An education service whose history ends at `last` (later folders removed).
fn education_up_to(last: &str) -> (TempRepo, Service) {
    let repo = TempRepo::new();
    let service = repo.copy_example("azora-education");
    for (name, dir) in service.migration_dirs().unwrap() {
        if name.as_str() > last {
            std::fs::remove_dir_all(dir).unwrap();
        }
    }
    (repo, service)
}

const GUIDE_CHANGES: [&str; 5] = [
    "20250111090000_add_student_grade",
    "20250112090000_add_certificates",
    "20250113090000_add_certificate_relation",
    "20250114090000_rename_name_to_full_name",
    "20250115090000_change_course_price_to_decimal",
];

#[test]
fn the_revert_of_each_guide_change_brings_the_schema_back() {
    let all = Service::new(
        "azora-education",
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../services/azora-education"),
    )
    .unwrap();
    let names: Vec<String> = all
        .migration_dirs()
        .unwrap()
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    for change in GUIDE_CHANGES {
        let before = &names[names.iter().position(|n| n == change).unwrap() - 1];
        let (_a, prefix) = education_up_to(before);
        let expected_url = fresh_database("revert_before");
        migrate(&prefix, &expected_url);

        let (_b, service) = education_up_to(change);
        let url = fresh_database("revert_after");
        migrate(&service, &url);
        assert_ne!(
            schema_of(&url),
            schema_of(&expected_url),
            "{change} changes nothing?"
        );
        let (path, r) = create_revert(&service, change, &[]).unwrap();
        assert_eq!(r.todos, 0, "{change}:\n{}", r.sql);
        assert!(path.ends_with("migration.sql"));
        assert!(
            path.parent()
                .unwrap()
                .to_str()
                .unwrap()
                .ends_with(&format!("_revert_{}", change.split_once('_').unwrap().1)),
            "{}",
            path.display()
        );
        migrate(&service, &url);
        assert_eq!(
            schema_of(&url),
            schema_of(&expected_url),
            "{change}:\n{}",
            r.sql
        );
    }
}

#[test]
fn a_backup_restores_to_an_identical_schema_and_data() {
    let repo = TempRepo::new();
    let service = repo.copy_example("azora-education");
    let url = fresh_database("backup");
    migrate(&service, &url);
    client(&url)
        .batch_execute(
            "INSERT INTO students (id, email, \"fullName\", status) VALUES \
             ('stu_ada', 'ada@example.com', 'Ada Lovelace', 'active'), \
             ('stu_alan', 'alan@example.com', 'Alan Turing', 'inactive')",
        )
        .unwrap();
    let data = |url: &DatabaseUrl| -> Vec<String> {
        let mut c = client(url);
        let mut rows: Vec<String> = c
            .query("SELECT row_to_json(s)::text FROM students s", &[])
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
        rows.extend(
            c.query("SELECT migration_name FROM _prisma_migrations", &[])
                .unwrap()
                .iter()
                .map(|r| r.get::<_, String>(0)),
        );
        rows.sort();
        rows
    };
    let (schema_before, data_before) = (schema_of(&url), data(&url));
    assert!(data_before.len() > 3, "{data_before:?}");

    let dir = tempfile::tempdir().unwrap();
    let b = dump_backup(&service.name, &url, dir.path()).unwrap();
    assert!(b.objects > 5 && b.bytes > 0, "{b:?}");
    assert!(
        !b.restore_command.contains("postgresql://"),
        "{}",
        b.restore_command
    );

    // Change schema and data after the backup, then restore it.
    client(&url)
        .batch_execute("ALTER TABLE students ADD COLUMN extra TEXT; DELETE FROM certificates; DELETE FROM students; CREATE TABLE later (id INT)")
        .unwrap();
    assert_ne!(schema_of(&url), schema_before);
    restore_backup(&url, &b.path).unwrap();
    assert_eq!(schema_of(&url), schema_before);
    assert_eq!(data(&url), data_before);
}

#[test]
fn baseline_records_without_running_and_migrate_applies_only_the_rest() {
    let repo = TempRepo::new();
    let service = repo.copy_example("azora-education");
    let url = fresh_database("baseline");
    // The existing database: made by hand, not through the history.
    let init = service
        .migrations_dir()
        .join("20250110090000_init/migration.sql");
    shared_migrate::run_sql_file(&url, &init).unwrap();

    let up_to = Some("20250110090000_init");
    assert_eq!(
        baseline_preview(&service, &url, up_to).unwrap(),
        ["20250110090000_init"]
    );
    let unknown = baseline_preview(&service, &url, Some("init")).unwrap_err();
    assert!(
        unknown
            .to_string()
            .contains("did you mean `20250110090000_init`"),
        "{unknown}"
    );
    let done = baseline(
        &service,
        &url,
        up_to,
        shared_migrate::MigrationLock::prisma(std::time::Duration::from_secs(5)),
    )
    .unwrap();
    assert_eq!(done, ["20250110090000_init"]);
    assert!(baseline_preview(&service, &url, up_to).unwrap().is_empty());

    let r = migrate_service(
        &service,
        Ok(url.clone()),
        &MigrateOptions::default(),
        &|_, _| {},
    );
    assert!(r.result.is_ok(), "{:?}", r.result);
    assert_eq!(r.applied.len(), service.migration_dirs().unwrap().len() - 1);
    let steps: Vec<i32> = client(&url)
        .query("SELECT applied_steps_count FROM _prisma_migrations WHERE migration_name = '20250110090000_init'", &[])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(
        steps,
        [0],
        "recorded as applied without running, as Prisma records it"
    );
}

#[test]
fn reset_refuses_a_database_not_on_this_machine_unless_forced() {
    let repo = TempRepo::new();
    let service = repo.copy_example("azora-education");
    for host in ["db.example.com", "10.0.0.7", "[2001:db8::1]"] {
        let url = DatabaseUrl::parse(&format!("postgresql://app:s3cret@{host}:5432/edu")).unwrap();
        let e = check_reset_allowed(&service, &url, false)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("not on this machine") && e.contains("--force"),
            "{e}"
        );
        assert!(!e.contains("s3cret"), "{e}");
        assert!(check_reset_allowed(&service, &url, true).is_ok());
    }
    for host in ["localhost", "127.0.0.1", "[::1]"] {
        let url = DatabaseUrl::parse(&format!("postgresql://app@{host}:5432/edu")).unwrap();
        assert!(check_reset_allowed(&service, &url, false).is_ok(), "{host}");
    }
}

#[test]
fn reset_drops_everything_then_applies_every_migration_and_the_seed() {
    let repo = TempRepo::new();
    let service = repo.copy_example("azora-education");
    let url = fresh_database("reset");
    migrate(&service, &url);
    client(&url)
        .batch_execute(
            "CREATE TABLE scratch (id INT); DELETE FROM certificates; DELETE FROM students",
        )
        .unwrap();
    let done = reset(
        &repo.workspace(),
        &service,
        &url,
        shared_migrate::MigrationLock::prisma(std::time::Duration::from_secs(5)),
        &|_, _| {},
    )
    .unwrap();
    assert_eq!(done.applied, service.migration_dirs().unwrap().len());
    let mut c = client(&url);
    let scratch: i64 = c
        .query_one(
            "SELECT count(*) FROM pg_tables WHERE tablename = 'scratch'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(scratch, 0);
    let students: i64 = c
        .query_one("SELECT count(*) FROM students", &[])
        .unwrap()
        .get(0);
    assert!(students > 0, "the seed ran");
}
