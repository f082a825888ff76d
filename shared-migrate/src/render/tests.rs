//! Snapshots of what people read: each render with the shapes a run produces (success,
//! nothing to do, warnings, a failure, a problem), so a change of wording shows in review.

use std::path::PathBuf;

use crate::commands::{FailedMigration, ServiceStatus, State};
use crate::diff::Difference;
use crate::error::{Error, ExitCode, Location};
use crate::migrate::{Applied, MigrateReport, Planned};
use crate::schema_diff::{DiffReport, Source};
use crate::verify::compat::{CompatReport, CompatVerdict, MigrationVerdict};
use crate::verify::locks::{HeldLock, MigrationLocks, StatementLocks};
use crate::verify::{Step, StepStatus, VerifyReport};

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
        needs_baseline: false,
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
    let mut squashed = status("ledger", State::Pending);
    squashed.pending = vec!["20250301000000_squashed_migrations".into()];
    squashed.squashes_to_record = squashed.pending.clone();
    squashed.replaced = vec![
        (
            "20250101000000_init".into(),
            "20250301000000_squashed_migrations".into(),
        ),
        (
            "20250201000000_add_entries".into(),
            "20250301000000_squashed_migrations".into(),
        ),
    ];
    insta::assert_snapshot!(super::status_summary(&[
        up_to_date,
        pending,
        problem,
        unreachable,
        squashed
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

fn step(name: &'static str, status: StepStatus, millis: u128, detail: Option<&str>) -> Step {
    Step {
        name,
        status,
        millis,
        detail: detail.map(str::to_string),
    }
}

fn verify_report(service: &str) -> VerifyReport {
    use StepStatus::*;
    VerifyReport {
        service: service.into(),
        backend: "local",
        isolation: Some(crate::config::Isolation::Database),
        url: Some("postgresql://postgres@127.0.0.1:5433/xtask_verify_1?schema=public".into()),
        migrations: 3,
        ready_millis: Some(12),
        steps: vec![
            step("config", Passed, 0, None),
            step("lint", Passed, 4, None),
            step("database", Passed, 12, None),
            step("migrate", Passed, 40, Some("3 migrations applied")),
            step("redeploy", Passed, 3, Some("nothing pending")),
            step(
                "schema",
                Passed,
                20,
                Some("the migrations build what schema.prisma describes"),
            ),
            step(
                "seed",
                Passed,
                300,
                Some("ran `node prisma/seed.js` (package.json prisma.seed at package.json:7)"),
            ),
            step(
                "test",
                Passed,
                500,
                Some("ran `npm test` (the test script `node --test` at package.json:5)"),
            ),
        ],
        millis: 900,
        kept: None,
        locks: None,
        compat: None,
        annotations: None,
    }
}

fn compat(broken: bool) -> CompatReport {
    let verdict = |name: &str, broke: &[&str], rules: &[&str]| MigrationVerdict {
        name: name.into(),
        verdict: match broke.is_empty() {
            true => CompatVerdict::ExpandSafe,
            false => CompatVerdict::Contract,
        },
        broke: broke.iter().map(|b| b.to_string()).collect(),
        rules: rules.iter().map(|r| r.to_string()).collect(),
    };
    let mut migrations = vec![verdict("20250201000000_add_people_phone", &[], &[])];
    if broken {
        migrations.push(verdict(
            "20250202000000_rename_people_email",
            &["people have emails"],
            &["rename-column"],
        ));
    }
    CompatReport {
        rev: "origin/main".into(),
        commit: "77630a30a9c3".into(),
        migrations,
        already_failing: vec!["an old bug nobody fixed".into()],
        read_as: "tap",
        seed: Some("`node seed.js` (package.json prisma.seed at package.json:2)".into()),
        tests: "`npm test` (the test script `node --test` at package.json:1)".into(),
        runs: if broken { 3 } else { 2 },
        install: None,
        millis: 2199,
    }
}

/// Verify's reports: passed with an expand-safe compat, failed at its seed, failed at compat.
fn verify_reports() -> Vec<VerifyReport> {
    let mut passed = verify_report("education");
    passed
        .steps
        .push(step("compat", StepStatus::Passed, 2199, Some("ok")));
    passed.compat = Some(compat(false));
    let mut seed_failed = verify_report("wallet");
    seed_failed.steps[6] = step(
        "seed",
        StepStatus::Failed,
        80,
        Some(
            "`node prisma/seed.js` failed (exit code 1); its output:\nerror: relation \"wallets\" does not exist",
        ),
    );
    seed_failed.steps[7] = step(
        "test",
        StepStatus::Skipped,
        0,
        Some("an earlier step failed"),
    );
    seed_failed.kept =
        Some("postgresql://postgres@127.0.0.1:5433/xtask_verify_2 (drop it with: ...)".into());
    let mut contract = verify_report("people");
    contract
        .steps
        .push(step("compat", StepStatus::Failed, 2199, Some("...")));
    contract.compat = Some(compat(true));
    contract.locks = Some(vec![MigrationLocks {
        name: "20250202000000_rename_people_email".into(),
        transactional: true,
        statements: vec![StatementLocks {
            at: "services/people/prisma/migrations/20250202000000_rename_people_email/migration.sql:1:1".into(),
            statement: "ALTER TABLE \"people\" RENAME COLUMN \"email\" TO \"email_address\"".into(),
            millis: 1.5,
            rows: 0,
            locks: vec![HeldLock {
                relation: "people".into(),
                mode: "AccessExclusiveLock".into(),
                existed: true,
                table: true,
            }],
            rewritten: Vec::new(),
            blocks: vec!["reads and writes of \"people\"".into()],
            warning: Some("renaming a column breaks running code that still uses \"email\"".into()),
            allowed: None,
        }],
    }]);
    vec![passed, seed_failed, contract]
}

#[test]
fn verify_summary_reads_right() {
    insta::assert_snapshot!(super::verify_summary(&verify_reports()));
}

#[test]
fn junit_reads_right() {
    insta::assert_snapshot!(super::junit(&verify_reports()));
}

#[test]
fn lock_report_reads_right() {
    insta::assert_snapshot!(super::lock_report(&verify_reports()));
}

#[test]
fn migrate_summary_with_a_recorded_squash_reads_right() {
    let mut r = migrate_report("ledger");
    r.recorded = vec![crate::migrate::Recorded {
        name: "20250301000000_squashed_migrations".into(),
        replaces: 163,
    }];
    insta::assert_snapshot!(super::migrate_summary(std::slice::from_ref(&r)));
    r.planned = Vec::new();
    insta::assert_snapshot!(super::dry_run_summary(&[r]));
}
