//! Snapshots of what people read: each render with the shapes a run produces (success,
//! nothing to do, warnings, a failure, a problem), so a change of wording shows in review.

use std::path::PathBuf;

use crate::commands::{FailedMigration, ServiceStatus, State};
use crate::diff::Difference;
use crate::error::{Error, ExitCode, Location};
use crate::migrate::{Applied, MigrateReport, Planned};
use crate::schema_diff::{DiffReport, Source};

fn migrate_report(service: &str) -> MigrateReport {
    MigrateReport {
        service: service.into(),
        url: Some("postgresql://app:***@db:5432/app?schema=public".into()),
        url_source: Some("environment variable SVC_DATABASE_URL".into()),
        url_variable: Some("SVC_DATABASE_URL".into()),
        database_created: false,
        applied: Vec::new(),
        recorded: Vec::new(),
        pending_before: 0,
        planned: Vec::new(),
        backup: None,
        warnings: Vec::new(),
        millis: 12,
        result: Ok(()),
    }
}

#[test]
fn migrate_summary_reads_right() {
    let mut applied = migrate_report("education");
    applied.database_created = true;
    applied.pending_before = 2;
    applied.applied = vec![
        Applied {
            name: "20250101000000_init".into(),
            millis: 5,
            transactional: true,
        },
        Applied {
            name: "20250102000000_add_grade_index".into(),
            millis: 7,
            transactional: false,
        },
    ];
    let mut warned = migrate_report("notifications");
    warned.warnings =
        vec!["20250101000000_init was edited after it was applied (checksum differs)".into()];
    let mut failed = migrate_report("wallet");
    failed.pending_before = 2;
    failed.applied = vec![Applied {
        name: "20250103000000_add_wallet_currency".into(),
        millis: 4,
        transactional: true,
    }];
    failed.result = Err(Error::MigrationFailed(
        "Migration `20250204100000_add_wallet_frozen_flag` failed to apply: column \"frozen\" contains null values".into(),
    ));
    insta::assert_snapshot!(super::migrate_summary(&[applied, warned, failed]));
}

#[test]
fn dry_run_summary_reads_right() {
    let mut r = migrate_report("education");
    r.pending_before = 1;
    r.planned = vec![Planned {
        name: "20250105000000_add_student_grade".into(),
        transactional: true,
        statements: vec![
            "ALTER TABLE \"students\" ADD COLUMN \"grade\" TEXT".into(),
            "CREATE INDEX \"students_grade_idx\" ON \"students\"(\"grade\")".into(),
        ],
        checks: Vec::new(),
    }];
    let up_to_date = migrate_report("wallet");
    insta::assert_snapshot!(super::dry_run_summary(&[r, up_to_date]));
}

fn status(service: &str, state: State) -> ServiceStatus {
    ServiceStatus {
        service: service.into(),
        url: Some("postgresql://app:***@db:5432/app?schema=public".into()),
        url_source: Some("environment variable SVC_DATABASE_URL".into()),
        url_variable: Some("SVC_DATABASE_URL".into()),
        state,
        local: 3,
        read: true,
        applied: vec!["20250101000000_init".into()],
        pending: Vec::new(),
        failed: Vec::new(),
        edited: Vec::new(),
        missing_locally: Vec::new(),
        late: Vec::new(),
        rolled_back: Vec::new(),
        squashes_to_record: Vec::new(),
        replaced: Vec::new(),
        error: None,
        drift: None,
        exit_code: state.exit_code(),
    }
}

#[test]
fn status_summary_reads_right() {
    let up_to_date = status("education", State::UpToDate);
    let mut pending = status("notifications", State::Pending);
    pending.pending = vec![
        "20250102000000_add_channel".into(),
        "20250103000000_add_channel_index".into(),
    ];
    let mut problem = status("wallet", State::Problem);
    problem.failed = vec![FailedMigration {
        name: "20250204100000_add_wallet_frozen_flag".into(),
        started_at: "2025-02-04T10:00:00Z".into(),
        logs: Some("column \"frozen\" contains null values".into()),
    }];
    problem.edited = vec!["20250101000000_init".into()];
    problem.missing_locally = vec!["20250201000000_hotfix".into()];
    let mut unreachable = status("billing", State::Problem);
    unreachable.read = false;
    unreachable.applied.clear();
    unreachable.error = Some("cannot connect to postgresql://app:***@db:5432/billing".into());
    unreachable.exit_code = ExitCode::Connection;
    insta::assert_snapshot!(super::status_summary(&[
        up_to_date,
        pending,
        problem,
        unreachable
    ]));
}

fn diff_report(service: &str) -> DiffReport {
    DiffReport {
        service: service.into(),
        from: Source::Migrations,
        to: Source::Schema,
        summary: "No difference detected.".into(),
        script: "-- This is an empty migration.".into(),
        warnings: Vec::new(),
        differences: Vec::new(),
        unmanaged: Vec::new(),
        result: Ok(()),
    }
}

fn differing() -> DiffReport {
    let at = |path: &str, line| Location {
        path: PathBuf::from(path),
        line,
        column: 3,
    };
    let mut r = diff_report("education");
    r.summary = "\n[*] Changed the `students` table\n  [+] Added column `grade`\n".into();
    r.script = "-- AlterTable\nALTER TABLE \"students\" ADD COLUMN \"grade\" TEXT;\n".into();
    r.differences = vec![Difference {
        message: "column `grade` of `students` is in schema.prisma but not in the migrations"
            .into(),
        schema_at: Some(at("services/education/prisma/schema.prisma", 14)),
        migration_at: None,
        hint: Some("write the migration that creates it: `cargo xtask new --from-schema`".into()),
    }];
    r.unmanaged = vec!["function \"touch_updated_at\"()".into()];
    r
}

#[test]
fn diff_outputs_read_right() {
    let same = diff_report("wallet");
    let mut broken = diff_report("billing");
    broken.result = Err(Error::Config(
        "service `billing` has no schema.prisma".into(),
    ));
    let reports = [differing(), same, broken];
    insta::assert_snapshot!("summary", super::diff_summary(&reports));
    insta::assert_snapshot!("scripts", super::diff_scripts(&reports));
    insta::assert_snapshot!("github", super::diff_github(&reports));
}
