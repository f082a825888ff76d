//! Discovery of services and migration folders, and the errors bad trees get: each names the
//! path (and line), and each is a usage error (exit 2).

use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::symlink;

use shared_migrate::ExitCode;
use test_support::TempRepo;

fn error_of(repo: &TempRepo, service: &str) -> String {
    let e = repo.service(service).migrations().unwrap_err();
    assert_eq!(e.exit_code(), ExitCode::Usage, "{e}");
    e.to_string()
}

#[test]
fn services_are_directories_with_a_prisma_folder_in_name_order() {
    let repo = TempRepo::new();
    repo.migration("zeta", "20250101000000_init", "SELECT 1;");
    repo.migration("alpha", "20250101000000_init", "SELECT 1;");
    std::fs::create_dir_all(repo.root().join("services/web-frontend/src")).unwrap();
    std::fs::write(repo.root().join("services/README.md"), "not a service").unwrap();
    let names: Vec<String> = repo
        .workspace()
        .services()
        .unwrap()
        .into_iter()
        .map(|s| s.name)
        .collect();
    assert_eq!(names, ["alpha", "zeta"]);
    let e = repo
        .workspace()
        .select(&["web-frontend".into()])
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("unknown service `web-frontend`: ")
            && e.contains("services/web-frontend is not a Prisma project"),
        "{e}"
    );
    let e = repo
        .workspace()
        .select(&["alpah".into()])
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("known services: alpha, zeta; did you mean `alpha`?"),
        "{e}"
    );
}

#[test]
fn migrations_are_subdirectories_in_byte_order_and_files_beside_them_are_ignored() {
    let repo = TempRepo::new();
    for name in [
        "20250102000000_b",
        "20250101000000_a",
        "20250101000000_B",
        "20250101000000_a_2",
    ] {
        repo.migration("svc", name, "SELECT 1;");
    }
    std::fs::write(
        repo.root().join("services/svc/prisma/migrations/README.md"),
        "notes",
    )
    .unwrap();
    let names: Vec<String> = repo
        .service("svc")
        .migrations()
        .unwrap()
        .into_iter()
        .map(|m| m.name)
        .collect();
    assert_eq!(
        names,
        [
            "20250101000000_B",
            "20250101000000_a",
            "20250101000000_a_2",
            "20250102000000_b"
        ]
    );
}

#[test]
fn a_folder_without_migration_sql_is_prismas_p3015() {
    let repo = TempRepo::new();
    repo.migration("svc", "20250101000000_a", "SELECT 1;");
    std::fs::create_dir_all(
        repo.root()
            .join("services/svc/prisma/migrations/20250102000000_b"),
    )
    .unwrap();
    let e = error_of(&repo, "svc");
    assert!(
        e.contains("20250102000000_b/migration.sql") && e.contains("P3015"),
        "{e}"
    );
}

#[test]
fn migration_sql_that_is_a_directory_or_a_dangling_symlink() {
    let repo = TempRepo::new();
    let dir = repo
        .root()
        .join("services/svc/prisma/migrations/20250101000000_a");
    std::fs::create_dir_all(dir.join("migration.sql")).unwrap();
    let e = error_of(&repo, "svc");
    assert!(
        e.contains("20250101000000_a/migration.sql is not a regular file"),
        "{e}"
    );

    std::fs::remove_dir(dir.join("migration.sql")).unwrap();
    symlink(dir.join("nowhere.sql"), dir.join("migration.sql")).unwrap();
    let e = error_of(&repo, "svc");
    assert!(
        e.contains("20250101000000_a/migration.sql") && e.contains("P3015"),
        "{e}"
    );
}

#[test]
fn lockfile_provider_must_be_postgresql() {
    let repo = TempRepo::new();
    repo.migration("svc", "20250101000000_a", "SELECT 1;");
    let lock = repo
        .root()
        .join("services/svc/prisma/migrations/migration_lock.toml");
    std::fs::write(&lock, "# comment\n# comment\nprovider = \"postgres\"\n").unwrap();
    let e = error_of(&repo, "svc");
    assert!(
        e.contains("migration_lock.toml:3:1") && e.contains("`postgres`") && e.contains("P3019"),
        "{e}"
    );
    std::fs::write(&lock, "# comment\nprovider = \"postgresql\"\n").unwrap();
    assert!(repo.service("svc").migrations().is_ok());
}

#[test]
fn bom_and_non_utf8_contents_and_names() {
    let repo = TempRepo::new();
    repo.migration("svc", "20250101000000_a", "\u{feff}SELECT 1;");
    let e = error_of(&repo, "svc");
    assert!(
        e.contains("20250101000000_a/migration.sql:1:1") && e.contains("byte order mark"),
        "{e}"
    );

    let repo = TempRepo::new();
    let name = std::ffi::OsStr::from_bytes(b"20250101000000_caf\xe9");
    std::fs::create_dir_all(
        repo.root()
            .join("services/svc/prisma/migrations")
            .join(name),
    )
    .unwrap();
    let e = error_of(&repo, "svc");
    assert!(e.contains("folder name is not valid UTF-8"), "{e}");
}

#[test]
fn symlink_loop_under_services_is_an_error_not_a_hang() {
    let repo = TempRepo::new();
    repo.migration("svc", "20250101000000_a", "SELECT 1;");
    let migrations = repo.root().join("services/svc/prisma/migrations");
    symlink(&migrations, migrations.join("20250102000000_loop")).unwrap();
    // The loop is a migration folder without migration.sql: named, not followed forever.
    let e = error_of(&repo, "svc");
    assert!(e.contains("20250102000000_loop"), "{e}");
}

#[test]
fn missing_migrations_directory_says_how_to_start() {
    let repo = TempRepo::new();
    std::fs::create_dir_all(repo.root().join("services/svc/prisma")).unwrap();
    let service = repo.workspace().select(&["svc".into()]).unwrap().remove(0);
    let e = service.migrations().unwrap_err().to_string();
    assert!(
        e.contains("prisma/migrations") && e.contains("cargo xtask new --service svc"),
        "{e}"
    );
}
