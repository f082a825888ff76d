//! `verify --backend docker` against a real Docker engine with real containers. The image comes
//! from XTASK_TEST_DOCKER_IMAGE (ci/test.sh starts dockerd and builds one from this machine's
//! PostgreSQL with ci/postgres-image/build.sh); without it these tests fail, saying so, unless
//! XTASK_SKIP_DOCKER_TESTS=1.

use std::process::Command;
use std::time::Duration;

use crate::common;
use common::{descendants_named, interrupt, repo_root, run, spawn, wait_for, xtask};

fn image() -> Option<String> {
    if std::env::var_os("XTASK_SKIP_DOCKER_TESTS").is_some() {
        // CI (ci/test.sh starts an engine and builds the image) runs them: never skipped there.
        test_support::skip(
            "XTASK_SKIP_DOCKER_TESTS is set",
            std::env::var_os("CI").is_some(),
        );
        return None;
    }
    Some(std::env::var("XTASK_TEST_DOCKER_IMAGE").unwrap_or_else(|_| {
        panic!("set XTASK_TEST_DOCKER_IMAGE to a PostgreSQL image (bash ci/test.sh does), or XTASK_SKIP_DOCKER_TESTS=1")
    }))
}

/// Containers a verify process (by pid) owns, running or not.
fn containers_of(pid: u32) -> Vec<String> {
    let out = Command::new("docker")
        .args([
            "ps",
            "-aq",
            "--filter",
            &format!("label=xtask.verify.owner={pid}"),
        ])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn examples_pass_in_containers_and_auto_picks_docker() {
    let Some(image) = image() else { return };
    // Every example in containers; then `auto`'s choice, which one service shows.
    for (backend, services) in [("docker", "--all"), ("auto", "--service=azora-wallet")] {
        let (code, stdout, stderr, pid) = run(xtask(&repo_root()).args([
            "verify",
            services,
            "--backend",
            backend,
            "--image",
            &image,
            "--format",
            "json",
        ]))
        .parts();
        assert_eq!(code, 0, "{stdout}\n{stderr}");
        let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        for r in json.as_array().unwrap() {
            assert_eq!(r["backend"], "docker", "{backend}: {r}");
            assert!(
                r["steps"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .all(|s| s["status"] == "passed"),
                "{r}"
            );
        }
        assert!(
            containers_of(pid).is_empty(),
            "containers left: {:?}",
            containers_of(pid)
        );
    }
}

#[test]
fn a_broken_migration_fails_precisely_and_removes_its_container() {
    let Some(image) = image() else { return };
    let repo = test_support::TempRepo::new();
    repo.copy_example("azora-wallet");
    std::fs::write(
        repo.root().join("services/azora-wallet/prisma/migrations/20250204100000_add_wallet_frozen_flag/migration.sql"),
        "-- AlterTable\nALTER TABLE \"wallets\" ADD COLUMN \"frozen\" BOOLEAN NOT NULL DEFAULT 'maybe';\n",
    )
    .unwrap();
    let verify = |keep: bool| {
        let mut cmd = xtask(repo.root());
        cmd.args(["verify", "--backend", "docker", "--image", &image]);
        if keep {
            cmd.arg("--keep");
        }
        run(&mut cmd).parts()
    };

    // --keep: the container stays and answers; the printed command removes it.
    let (code, stdout, _, kept_by) = verify(true);
    assert_eq!(code, 1);
    assert_eq!(containers_of(kept_by).len(), 1);
    let kept = stdout
        .lines()
        .find(|l| l.starts_with("kept[azora-wallet]"))
        .expect(&stdout);
    assert!(kept.contains(":***@127.0.0.1:"), "{kept}");
    let remove = kept
        .split("remove it with: ")
        .nth(1)
        .unwrap()
        .trim_end_matches(')');

    // Without it, the container is removed; the run's sweep of a killed run's containers leaves
    // the kept one (its owner has exited too).
    let (code, stdout, stderr, pid) = verify(false);
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    assert!(
        stdout.contains("20250204100000_add_wallet_frozen_flag/migration.sql:2:"),
        "{stdout}"
    );
    assert!(stdout.contains("22P02"), "{stdout}");
    assert!(containers_of(pid).is_empty());
    assert_eq!(
        containers_of(kept_by).len(),
        1,
        "the kept container was swept"
    );

    assert!(
        Command::new("sh")
            .arg("-c")
            .arg(remove)
            .status()
            .unwrap()
            .success()
    );
    assert!(containers_of(kept_by).is_empty());
}

#[test]
fn interrupt_removes_containers() {
    let Some(image) = image() else { return };
    let repo = test_support::TempRepo::new();
    repo.copy_example("azora-notifications");
    std::fs::write(
        repo.root().join("services/azora-notifications/xtask.toml"),
        "[verify]\ntest = [\"sleep\", \"30\"]\n",
    )
    .unwrap();
    let child =
        spawn(xtask(repo.root()).args(["verify", "--backend", "docker", "--image", &image]));
    let pid = child.id();
    wait_for(Duration::from_secs(60), Duration::from_millis(50), || {
        !(containers_of(pid).is_empty())
    });
    // Still one container once verify is running its test (`sleep 30` in it), not one more.
    wait_for(Duration::from_secs(60), Duration::from_millis(50), || {
        !descendants_named(pid, "sleep").is_empty()
    });
    assert!(
        !descendants_named(pid, "sleep").is_empty(),
        "verify never reached its test step"
    );
    assert_eq!(containers_of(pid).len(), 1);
    interrupt(child);
    assert!(containers_of(pid).is_empty(), "{:?}", containers_of(pid));
}

/// Services' ports and database names from `verify --format json`.
fn servers(stdout: &str) -> Vec<(String, String)> {
    let json: serde_json::Value = serde_json::from_str(stdout).unwrap();
    json.as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let url = r["url"].as_str().unwrap();
            let (host_port, rest) = url.split_once('@').unwrap().1.split_once('/').unwrap();
            (
                host_port.to_string(),
                rest.split('?').next().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn database_isolation_shares_one_container_and_cluster_isolation_does_not() {
    let Some(image) = image() else { return };
    for (isolation, shared) in [("database", true), ("cluster", false)] {
        let (code, stdout, stderr, pid) = run(xtask(&repo_root()).args([
            "verify",
            "-s",
            "azora-wallet,azora-notifications",
            "--no-schema-check",
            "--backend",
            "docker",
            "--image",
            &image,
            "--isolation",
            isolation,
            "--no-lint",
            "--format",
            "json",
        ]))
        .parts();
        assert_eq!(code, 0, "{stdout}\n{stderr}");
        let found = servers(&stdout);
        assert_eq!(found.len(), 2, "{isolation}: {found:?}");
        let mut hosts: Vec<&str> = found.iter().map(|(h, _)| h.as_str()).collect();
        hosts.dedup();
        assert_eq!(hosts.len() == 1, shared, "{isolation}: {found:?}");
        assert!(containers_of(pid).is_empty(), "containers left");
    }
}

/// A remote engine: DOCKER_HOST over TCP with TLS (ci/test.sh starts dockerd listening on
/// 127.0.0.2 with certificates it makes). The databases are reached on the engine's host.
#[test]
fn a_remote_engine_over_tls_is_used_and_reached_on_its_host() {
    let Some(image) = image() else { return };
    let (Ok(host), Ok(certs)) = (
        std::env::var("XTASK_TEST_DOCKER_TLS_HOST"),
        std::env::var("XTASK_TEST_DOCKER_CERT_PATH"),
    ) else {
        panic!(
            "set XTASK_TEST_DOCKER_TLS_HOST and XTASK_TEST_DOCKER_CERT_PATH to a dockerd's TLS listener (bash ci/test.sh starts one), or XTASK_SKIP_DOCKER_TESTS=1"
        )
    };
    let remote = |cert_path: &str| {
        let mut c = xtask(&repo_root());
        c.env("DOCKER_HOST", &host)
            .env("DOCKER_TLS_VERIFY", "1")
            .env("DOCKER_CERT_PATH", cert_path)
            .args([
                "verify",
                "-s",
                "azora-wallet",
                "--backend",
                "docker",
                "--image",
                &image,
            ])
            .args(["--no-lint", "--format", "json"]);
        run(&mut c).parts()
    };
    let (code, stdout, stderr, _) = remote(&certs);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let found = servers(&stdout);
    assert!(found[0].0.starts_with("127.0.0.2:"), "{found:?}");

    // Without the client certificate the engine refuses, and the run says there is none.
    let empty = tempfile::tempdir().unwrap();
    let (code, _, stderr, _) = remote(empty.path().to_str().unwrap());
    assert_ne!(code, 0);
    assert!(stderr.contains("no Docker engine answers"), "{stderr}");
}

/// The same history gives the same result on both backends: a migration reading the time zone
/// database (pg_timezone_names fails on a dangling zoneinfo entry, as the image once had).
#[test]
fn a_history_using_time_zones_passes_on_docker_as_on_local() {
    let Some(image) = image() else { return };
    let repo = test_support::TempRepo::new();
    repo.migration(
        "svc",
        "20250101000000_zones",
        "CREATE TABLE zones AS SELECT name, utc_offset FROM pg_timezone_names;\n\
         CREATE TABLE stamps (at timestamp DEFAULT (now() AT TIME ZONE 'Europe/Paris'));\n\
         INSERT INTO stamps VALUES ('2025-03-30 02:30:00 Europe/Paris');\n",
    );
    for backend in ["local", "docker"] {
        let out = run(xtask(repo.root()).args([
            "verify",
            "--backend",
            backend,
            "--image",
            &image,
            "--no-lint",
        ]));
        assert_eq!(out.code, 0, "{backend}: {}{}", out.stdout, out.stderr);
    }
}

/// An image the engine does not have and cannot pull: what to do instead, in our words.
#[test]
fn an_image_that_cannot_be_pulled_says_what_to_do() {
    if image().is_none() {
        return;
    }
    let repo = test_support::TempRepo::new();
    repo.migration("svc", "20250101000000_init", "CREATE TABLE a (id int);\n");
    let out = run(xtask(repo.root()).args([
        "verify",
        "--backend",
        "docker",
        "--image",
        "xtask-no-such-image:0",
        "--no-lint",
    ]));
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("could not pull it")
            && out.stdout.contains("ci/postgres-image/build.sh")
            && out.stdout.contains("--backend local")
            && !out.stdout.contains("for `shared`"),
        "{}",
        out.stdout
    );
}
