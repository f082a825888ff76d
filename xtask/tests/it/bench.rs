//! `cargo xtask bench` end to end, small: every contender runs, the generated monorepo
//! applies and lints clean (a contender that fails fails the benchmark), the figures are
//! consistent, and the JSON holds what the table shows. With XTASK_TEST_DOCKER_IMAGE, the
//! docker backend is measured too.

use serde_json::Value;

use crate::common;
use common::{run, xtask};

#[test]
fn bench_measures_every_contender_and_writes_its_figures_as_json() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("figures.json");
    let mut cmd = xtask(dir.path());
    cmd.args([
        "bench",
        "--services",
        "2",
        "--migrations",
        "6",
        "--rows",
        "20",
        "--lint-migrations",
        "120",
        "--data-rows",
        "10",
        "--schema-models",
        "12",
        "--schema-migrations",
        "20",
        "--runs",
        "2",
        "--jobs",
        "2",
    ])
    .arg("--dir")
    .arg(dir.path().join("work"))
    .arg("--json")
    .arg(&json);
    let docker = match std::env::var("XTASK_TEST_DOCKER_IMAGE") {
        Ok(image) if std::env::var_os("XTASK_SKIP_DOCKER_TESTS").is_none() => {
            cmd.args(["--image", &image]);
            true
        }
        _ => {
            cmd.arg("--no-docker");
            false
        }
    };
    // ci/test.sh installs the squawk CLI (PyPI) for lint's comparison.
    let squawk = std::env::var_os("XTASK_TEST_SQUAWK");
    if let Some(path) = &squawk {
        cmd.arg("--squawk").arg(path);
    }
    let out = run(&mut cmd);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);

    let r: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(r["monorepo"]["migrations"], 12);
    assert_eq!(r["long_history"]["migrations"], 120);
    let figures = r["figures"].as_array().unwrap();
    let names: Vec<&str> = figures
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    let mut expected = vec![
        "(a) psql -f, once per migration",
        "(b) psql, one session per service",
        "(c) psql, one transaction per migration",
        "migrate --jobs 1",
        "migrate --jobs 2",
        "verify --backend local --jobs 1",
        "verify --backend local --jobs 2",
        "verify --data --rows 10 --jobs 2",
    ];
    if docker {
        expected.extend([
            "verify --backend docker --jobs 1",
            "verify --backend docker --jobs 2",
        ]);
    }
    expected.extend([
        "lint (12 migrations)",
        "lint (120 migrations, 1 service)",
        "lint again, cached (120 migrations)",
    ]);
    let squawk_ran = names.contains(&"squawk 2.68 (120 migrations)");
    if squawk.is_some() {
        assert!(squawk_ran, "{names:?}\n{}", out.stderr);
    }
    if squawk_ran {
        expected.push("squawk 2.68 (120 migrations)");
    } else {
        assert!(
            r["skipped"].to_string().contains("squawk"),
            "{}",
            r["skipped"]
        );
    }
    assert_eq!(names, expected);
    let median = |name: &str| {
        figures.iter().find(|f| f["name"] == name).unwrap()["median_ms"]
            .as_f64()
            .unwrap()
    };
    for f in figures {
        let name = f["name"].as_str().unwrap();
        let samples: Vec<f64> = f["samples_ms"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        assert_eq!(samples.len(), 2, "{name}");
        let (min, med, max) = (
            f["min_ms"].as_f64().unwrap(),
            f["median_ms"].as_f64().unwrap(),
            f["max_ms"].as_f64().unwrap(),
        );
        assert!(0.0 < min && min <= med && med <= max, "{name}: {f}");
        // Our processes report their own peak memory; psql's is not ours to report.
        let ours = f["ours"].as_bool().unwrap();
        assert_eq!(f["peak_rss_kib"].is_u64(), ours, "{name}");
        if ours {
            let kib = f["peak_rss_kib"].as_u64().unwrap();
            assert!((1_000..200_000).contains(&kib), "{name}: {kib} KiB");
        }
        // Ratios are to baseline (b) and to the floor (c), for everything that applies
        // migrations; lint of the long history is compared with squawk.
        let lints = name.starts_with("lint") || name.starts_with("squawk");
        match f["ratio_to_b"].as_f64() {
            Some(x) => {
                assert!(!lints, "{name}");
                let b = median("(b) psql, one session per service");
                assert!((x - med / b).abs() < 1e-9, "{name}");
                let c = median("(c) psql, one transaction per migration");
                let floor = f["ratio_to_floor"].as_f64().unwrap();
                assert!((floor - med / c).abs() < 1e-9, "{name}");
            }
            None => assert!(lints, "{name}"),
        }
        if lints && name != "lint (12 migrations)" && squawk_ran {
            let floor = f["ratio_to_floor"].as_f64().unwrap();
            let squawk = median("squawk 2.68 (120 migrations)");
            assert!((floor - med / squawk).abs() < 1e-9, "{name}");
        }
    }
    // Times to ready: every service of every verify run.
    let ready = r["ready"].as_array().unwrap();
    assert_eq!(ready[0]["backend"], "local");
    assert_eq!(ready[0]["samples"], 2 * 2 * 2);
    assert_eq!(ready.len(), if docker { 2 } else { 1 });
    // Drift: verify's schema step on the generated Prisma project (which passes it: the run
    // fails otherwise), and generation after the replay (at least 5 runs).
    let drift = &r["drift"];
    assert_eq!(drift["models"], 12);
    assert_eq!(drift["migrations"], 20);
    assert_eq!(drift["schema_step"]["samples"], 2);
    assert_eq!(drift["verify_without_step"]["samples"], 2);
    assert_eq!(drift["generation"]["samples"], 5);
    for figure in [
        "schema_step",
        "verify_with_step",
        "generation",
        "migrate_fresh",
        "dev_fresh",
        "dev_in_sync",
        "new_in_sync",
    ] {
        let f = &drift[figure];
        assert!(f["samples"].as_u64().unwrap() >= 2, "{figure}: {f}");
        assert!(
            f["min_ms"].as_f64().unwrap() <= f["median_ms"].as_f64().unwrap(),
            "{figure}: {f}"
        );
    }
    assert!(
        drift["schema_step"]["median_ms"].as_f64().unwrap()
            < drift["verify_with_step"]["median_ms"].as_f64().unwrap()
    );
    assert!(
        out.stdout.contains("dev, nothing changed") && out.stdout.contains("new, nothing changed"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("verify's schema step"),
        "{}",
        out.stdout
    );
    // The table shows the same figures.
    for name in &expected {
        assert!(out.stdout.contains(name), "{name} missing:\n{}", out.stdout);
    }
    assert!(
        out.stdout.contains("start to database ready: local"),
        "{}",
        out.stdout
    );
}

#[test]
fn bench_refuses_zero_runs() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(xtask(dir.path())
        .args([
            "bench",
            "--runs",
            "0",
            "--no-docker",
            "--lint-migrations",
            "1",
        ])
        .arg("--dir")
        .arg(dir.path()));
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("--runs must be at least 1"),
        "{}",
        out.stderr
    );
}

/// `bench --scale`, small: both isolations and every shard run and are reported; the
/// shards' services add up to the monorepo, and memory is measured for xtask and its servers.
#[test]
fn the_scale_scenario_runs_both_isolations_and_the_shards() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("scale.json");
    let out = run(xtask(dir.path())
        .args([
            "bench",
            "--scale",
            "--scale-services",
            "6",
            "--scale-migrations",
            "3",
            "--shards",
            "2",
            "--runs",
            "1",
            "--jobs",
            "2",
        ])
        .arg("--dir")
        .arg(dir.path().join("work"))
        .arg("--json")
        .arg(&json));
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    for line in [
        "verify, database isolation",
        "verify, cluster isolation",
        "verify --shard 1/2",
        "verify --shard 2/2",
        "shards one after another: sum",
        "cluster isolation takes",
    ] {
        assert!(out.stdout.contains(line), "{line}:\n{}", out.stdout);
    }
    let r: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let figures = r["figures"].as_array().unwrap();
    assert_eq!(figures.len(), 4);
    for f in figures {
        assert!(f["peak_rss_kib"].as_u64().unwrap() > 1000, "{f}");
        assert!(f["servers_peak_kib"].as_u64().unwrap() > 1000, "{f}");
    }
    let per_service = |i: usize| figures[i]["per_service_ms"].as_f64().unwrap();
    let ratio = r["cluster_over_database"].as_f64().unwrap();
    assert!((ratio - per_service(1) / per_service(0)).abs() < 1e-9);
    let shards = r["shards_sum_ms"].as_f64().unwrap();
    let each: f64 = figures[2..]
        .iter()
        .map(|f| f["median_ms"].as_f64().unwrap())
        .sum();
    assert!((shards - each).abs() < 1e-6, "{shards} vs {each}");
}
