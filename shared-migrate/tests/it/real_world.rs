//! Published Prisma projects (`tests/data/real-world/`, licences in its SOURCE.md): their
//! migrations replayed and compared with their schema.prisma must give Prisma's verdict. The
//! snapshots hold the verdicts; SOURCE.md says why each is Prisma's.

use std::path::Path;

use shared_migrate::UrlBackend;
use test_support::{TempRepo, migrations_against_schema, test_backend};

fn verdict(project: &str, backend: &UrlBackend) -> String {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/real-world");
    let repo = TempRepo::new();
    let prisma = repo.root().join("services").join(project).join("prisma");
    std::fs::create_dir_all(&prisma).unwrap();
    let status = std::process::Command::new("cp")
        .arg("-a")
        .args(["schema.prisma", "migrations"].map(|f| data.join(project).join(f)))
        .arg(&prisma)
        .status()
        .unwrap();
    assert!(status.success());
    let report = migrations_against_schema(&repo.workspace(), &repo.service(project), backend);
    assert!(report.result.is_ok(), "{project}: {:?}", report.result);
    let root = repo.root().display().to_string();
    let mut out = format!("{}\n", report.summary.trim_end());
    for d in &report.differences {
        out.push_str(&format!("- {}\n", d.message));
        for at in [&d.schema_at, &d.migration_at].into_iter().flatten() {
            out.push_str(&format!("    at {at}\n"));
        }
    }
    out.push_str(&format!("not managed: {}\n", report.unmanaged.join(", ")));
    out.replace(&root, "[repo]")
}

#[test]
fn published_projects_get_prismas_verdict() {
    let backend = test_backend();
    for project in ["umami", "hoppscotch", "trigger-run-ops"] {
        insta::assert_snapshot!(project, verdict(project, &backend));
    }
}
