//! The drift figures, on a generated Prisma project ([`schema_history`]): what verify's
//! `schema` step costs on a service of N migrations (the step's own time, and verify with and
//! without it, interleaved), and how long `new --from-schema` takes to compute a migration for
//! the project's schema once the migrations are replayed (read the database, calculate
//! schema.prisma, compare, write Prisma's SQL).

use std::path::Path;
use std::time::Instant;

use super::contenders::drop_database;
use super::schema_history::{self, SchemaShape};
use super::{Ready, Scratch, measure};
use crate::error::Error;
use crate::migrate::{MigrateOptions, migrate_service};
use crate::pg_tools::LocalCluster;
use crate::schema_diff::{Places, diff_replayed};
use crate::verify::UrlBackend;
use crate::workspace::Workspace;

/// The service of the generated project.
const SERVICE: &str = "drift";

#[derive(Debug, Clone, serde::Serialize)]
pub struct DriftFigures {
    pub models: usize,
    pub migrations: usize,
    /// verify's `schema` step, as verify reports it.
    pub schema_step: Ready,
    /// `verify --backend local --no-lint` of the service, with the step and without it.
    pub verify_with_step: Ready,
    pub verify_without_step: Ready,
    /// Computing the migration for one more model, after the replay.
    pub generation: Ready,
    /// The daily loop on the project, whole commands: `migrate` of the history on an empty
    /// database, `dev` on an empty dev database (replay, compare, apply everything), `dev` and
    /// `new` with nothing changed.
    pub migrate_fresh: Ready,
    pub dev_fresh: Ready,
    pub dev_in_sync: Ready,
    pub new_in_sync: Ready,
    /// `new` with nothing changed and no replay kept (its cache removed first).
    pub new_in_sync_cold: Ready,
}

pub(super) fn measure_drift(
    exe: &Path,
    dir: &Path,
    shape: SchemaShape,
    runs: usize,
    server: &LocalCluster,
    scratch: &Scratch,
    progress: &dyn Fn(&str),
) -> Result<DriftFigures, Error> {
    let root = dir.join(format!(
        "schema-{}x{}-seed{}",
        shape.models, shape.migrations, shape.seed
    ));
    if root.exists() {
        std::fs::remove_dir_all(&root).map_err(|e| Error::io(&root, e))?;
    }
    let migrations = schema_history::write(&root, SERVICE, shape)?;

    let mut step = Vec::new();
    let (mut with, mut without) = (Vec::new(), Vec::new());
    for run in 0..runs {
        for k in 0..2 {
            let checked = (k + run) % 2 == 0;
            let mut cmd = scratch.command(exe)?;
            cmd.arg("--root").arg(&root).args([
                "verify",
                "--backend",
                "local",
                "--no-lint",
                "--format",
                "json",
            ]);
            if !checked {
                cmd.arg("--no-schema-check");
            }
            let (millis, code) = measure::run(&mut cmd)?;
            if code != 0 {
                return Err(Error::Bench(format!(
                    "verify of the generated Prisma project exited with {code}:\n{}",
                    scratch.tail()
                )));
            }
            if checked {
                let json: serde_json::Value = serde_json::from_str(&scratch.stdout())
                    .map_err(|e| Error::Bench(format!("verify printed no JSON report: {e}")))?;
                let ms = json[0]["steps"]
                    .as_array()
                    .and_then(|s| s.iter().find(|s| s["name"] == "schema"))
                    .filter(|s| s["status"] == "passed")
                    .and_then(|s| s["millis"].as_f64())
                    .ok_or_else(|| {
                        Error::Bench(format!(
                            "verify's schema step did not pass on the generated project: {json}"
                        ))
                    })?;
                step.push(ms);
                with.push(millis);
            } else {
                without.push(millis);
            }
            progress(&format!(
                "run {}/{runs}: verify of {migrations} migrations{:<22} {millis:>8.0} ms",
                run + 1,
                if checked { "" } else { " --no-schema-check" }
            ));
        }
    }

    let (migrate_fresh, dev_fresh, dev_in_sync, new_in_sync, new_in_sync_cold) =
        measure_loop(exe, &root, migrations, runs, server, scratch, progress)?;

    // Generation: schema.prisma gains a model; the migrations are replayed once, untimed.
    let schema_path = root
        .join("services")
        .join(SERVICE)
        .join("prisma/schema.prisma");
    let schema = std::fs::read_to_string(&schema_path).map_err(|e| Error::io(&schema_path, e))?;
    std::fs::write(&schema_path, schema_history::next_change(&schema))
        .map_err(|e| Error::io(&schema_path, e))?;
    let ws = Workspace::new(&root);
    let service = ws.select(&[SERVICE.to_string()])?.remove(0);
    let url = server.create_database("bench_drift_generation")?;
    migrate_service(
        &service,
        Ok(url.clone()),
        &MigrateOptions::default(),
        &|_, _| {},
    )
    .result?;
    let backend = UrlBackend::new(url.clone(), crate::verify::SWEEP_AFTER)?;
    let places = Places {
        ws: &ws,
        url: None,
        backend: &backend,
    };
    let mut generation = Vec::new();
    for run in 0..runs.max(5) {
        let start = Instant::now();
        let report = diff_replayed(&service, &places, &url);
        let millis = start.elapsed().as_secs_f64() * 1000.0;
        report.result?;
        if !report.script.contains("CREATE TABLE \"BenchAddedModel\"") {
            return Err(Error::Bench(format!(
                "the generated migration lacks the added model:\n{}",
                report.script
            )));
        }
        generation.push(millis);
        progress(&format!(
            "run {}: migration for a {}-model schema, after the replay {millis:>8.1} ms",
            run + 1,
            shape.models + 1
        ));
    }
    drop(backend);
    drop_database(server, &url)?;

    Ok(DriftFigures {
        models: shape.models,
        migrations,
        schema_step: Ready::of("schema step", step),
        verify_with_step: Ready::of("verify", with),
        verify_without_step: Ready::of("verify --no-schema-check", without),
        generation: Ready::of("generation", generation),
        migrate_fresh,
        dev_fresh,
        dev_in_sync,
        new_in_sync,
        new_in_sync_cold,
    })
}

/// `migrate` and `dev` on empty databases, then `dev` and `new` in sync, run after run.
fn measure_loop(
    exe: &Path,
    root: &Path,
    migrations: usize,
    runs: usize,
    server: &LocalCluster,
    scratch: &Scratch,
    progress: &dyn Fn(&str),
) -> Result<(Ready, Ready, Ready, Ready, Ready), Error> {
    let mut samples: [Vec<f64>; 5] = Default::default();
    let labels = [
        "migrate, empty database",
        "dev, empty dev database",
        "dev, nothing changed",
        "new, nothing changed",
        "new, no replay kept",
    ];
    let cache = root.join("target/xtask/replay-cache");
    for run in 0..runs {
        let (migrated, dev) = (
            server.create_database(&format!("bench_loop_migrate_{run}"))?,
            server.create_database(&format!("bench_loop_dev_{run}"))?,
        );
        // Writes nothing when in sync, as Prisma's `migrate dev --create-only`.
        let new: &[&str] = &[
            "new",
            "-s",
            SERVICE,
            "--from-schema",
            "--name",
            "bench_nothing",
        ];
        let commands: [(&[&str], &crate::db::DatabaseUrl); 5] = [
            (&["migrate", "-s", SERVICE], &migrated),
            (&["dev", "-s", SERVICE], &dev),
            (&["dev", "-s", SERVICE], &dev),
            (new, &dev),
            (new, &dev),
        ];
        for (k, (args, url)) in commands.iter().enumerate() {
            if k == 4 {
                // The replay the earlier commands kept, gone: what the first call pays.
                let _ = std::fs::remove_dir_all(&cache);
            }
            let mut cmd = scratch.command(exe)?;
            cmd.arg("--root")
                .arg(root)
                .args(*args)
                .env("DATABASE_URL", url.expose());
            let (millis, code) = measure::run(&mut cmd)?;
            if code != 0 {
                return Err(Error::Bench(format!(
                    "`{}` on the generated Prisma project exited with {code}:\n{}",
                    args.join(" "),
                    scratch.tail()
                )));
            }
            samples[k].push(millis);
            progress(&format!(
                "run {}/{runs}: {:<26} {migrations} migrations {millis:>8.0} ms",
                run + 1,
                labels[k]
            ));
        }
        drop_database(server, &migrated)?;
        drop_database(server, &dev)?;
    }
    let [a, b, c, d, e] = samples;
    Ok((
        Ready::of(labels[0], a),
        Ready::of(labels[1], b),
        Ready::of(labels[2], c),
        Ready::of(labels[3], d),
        Ready::of(labels[4], e),
    ))
}
