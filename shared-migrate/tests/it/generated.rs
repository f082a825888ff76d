//! The benchmark's generated monorepos are real work: for several seeds, every history applies
//! in order on an empty database and lints without a finding. (A broken generator would
//! otherwise only show up as a failed `cargo xtask bench`.)

use shared_migrate::MigrateOptions;
use shared_migrate::{
    LintOptions, RuleLevel, Shape, Workspace, generate_monorepo, lint_human, migrate_service,
};
use test_support::fresh_database;

#[test]
fn generated_histories_apply_and_lint_clean_for_several_seeds() {
    for seed in 1..=4 {
        let dir = tempfile::tempdir().unwrap();
        let shape = Shape {
            services: 2,
            migrations: 60,
            rows: 50,
            seed,
        };
        generate_monorepo(dir.path(), shape).unwrap();
        let ws = Workspace::new(dir.path());
        let services = ws.services().unwrap();
        assert_eq!(services.len(), 2);

        let report =
            shared_migrate::lint_services(&ws, &services, &LintOptions::now(None)).unwrap();
        assert_eq!(report.migrations, 120);
        assert!(
            report.findings.is_empty(),
            "seed {seed}: {}",
            lint_human(&report, false)
        );
        assert_eq!(report.count(RuleLevel::Error), 0);

        for service in &services {
            let url = fresh_database("generated");
            let r = migrate_service(service, Ok(url), &MigrateOptions::default(), &|_, _| {});
            assert!(
                r.result.is_ok(),
                "seed {seed}, {}: {:?}",
                service.name,
                r.result
            );
            assert_eq!(r.applied.len(), 60);
        }
    }
}

/// The drift benchmark's project: for several seeds, its history (written by our differ, one
/// change at a time) replays and builds exactly its last schema.prisma, as verify checks it.
#[test]
fn generated_schema_histories_build_their_schema() {
    use shared_migrate::{SchemaShape, write_schema_history};
    use test_support::{migrations_against_schema, test_backend};
    let backend = test_backend();
    for seed in 1..=3 {
        let dir = tempfile::tempdir().unwrap();
        let shape = SchemaShape {
            models: 20,
            migrations: 40,
            seed,
        };
        let written = write_schema_history(dir.path(), "drift", shape).unwrap();
        assert!(written >= 35, "seed {seed}: only {written} migrations");
        let ws = Workspace::new(dir.path());
        let service = ws.services().unwrap().remove(0);
        let report = migrations_against_schema(&ws, &service, &backend);
        assert!(
            report.result.is_ok() && report.differences.is_empty(),
            "seed {seed}: {:?}\n{}",
            report.result,
            report.summary
        );
    }
}
