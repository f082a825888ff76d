//! `cargo xtask ci-plan`: one line of JSON for `$GITHUB_OUTPUT`.

use shared_migrate::{ExitCode, Scope, Timings, Workspace, matrix, scope, weigh};

use crate::flags::CiPlan;

impl CiPlan {
    pub fn run(self, ws: &Workspace) -> anyhow::Result<ExitCode> {
        let (services, found) = scope(
            ws,
            &Scope {
                since: self.since,
                ..Scope::default()
            },
        )?;
        let timings = Timings::read(&self.timings)?;
        let weighted = weigh(&services, &timings)?;
        let plan = matrix(&weighted, self.max_shards, self.shard_seconds);
        let estimate: f64 = weighted.iter().map(|w| w.millis).sum::<f64>() / 1000.0;
        let affected = match &found {
            Some(f) => format!(" affected since {}", f.since),
            None => String::new(),
        };
        eprintln!(
            "ci-plan: {} services{affected}, about {estimate:.0} s of verify, in {} shards",
            services.len(),
            plan.include.len()
        );
        println!("{}", serde_json::to_string(&plan)?);
        Ok(ExitCode::Success)
    }
}
