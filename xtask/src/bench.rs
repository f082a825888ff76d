//! `cargo xtask bench`.

use std::path::PathBuf;

use anyhow::Context;
use shared_migrate::{
    BenchOptions, ExitCode, ScaleOptions, SchemaShape, Shape, Workspace, bench_figures,
    default_image, install_signal_handler, run_bench, run_scale, scale_figures,
};

use crate::flags::Bench;

impl Bench {
    pub fn run(self, ws: &Workspace) -> anyhow::Result<ExitCode> {
        install_signal_handler();
        let dir = self.dir.unwrap_or_else(|| {
            std::env::var_os("CARGO_TARGET_DIR")
                .map_or_else(|| ws.root.join("target"), PathBuf::from)
                .join("bench")
        });
        let exe = std::env::current_exe().context("finding the xtask binary")?;
        let build = if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        };
        if self.scale {
            let options = ScaleOptions {
                exe,
                build: build.into(),
                dir,
                // Few rows: the scenario measures the cost per service, not the data.
                shape: Shape {
                    services: self.scale_services,
                    migrations: self.scale_migrations,
                    rows: 10,
                    seed: self.seed,
                },
                shards: self.shards.max(1),
                runs: self.runs,
                jobs: self.jobs,
            };
            let results = run_scale(&options, &|line| eprintln!("{line}"))?;
            print!("{}", scale_figures(&results));
            if let Some(path) = &self.json {
                std::fs::write(path, serde_json::to_string_pretty(&results)?)
                    .with_context(|| format!("writing {}", path.display()))?;
            }
            return Ok(ExitCode::Success);
        }
        let options = BenchOptions {
            exe,
            build: build.into(),
            dir,
            shape: Shape {
                services: self.services,
                migrations: self.migrations,
                rows: self.rows,
                seed: self.seed,
            },
            lint_migrations: self.lint_migrations,
            data_rows: self.data_rows,
            schema: SchemaShape {
                models: self.schema_models,
                migrations: self.schema_migrations,
                seed: self.seed,
            },
            runs: self.runs,
            jobs: self.jobs,
            image: default_image(&ws.root, self.image)?,
            docker: !self.no_docker,
            squawk: self.squawk,
        };
        let results = run_bench(&options, &|line| eprintln!("{line}"))?;
        print!("{}", bench_figures(&results));
        if let Some(path) = &self.json {
            std::fs::write(path, serde_json::to_string_pretty(&results)?)
                .with_context(|| format!("writing {}", path.display()))?;
        }
        Ok(ExitCode::Success)
    }
}
