//! `cargo xtask seed` (Prisma's `db seed`).

use shared_migrate::{ExitCode, Seeded, Workspace, check_local, run_seed};

use crate::cx;
use crate::flags::Seed;

impl Seed {
    pub fn run(self, ws: &Workspace) -> anyhow::Result<ExitCode> {
        let (service, url) = cx::one_service(ws, &self.target)?;
        check_local(
            &service,
            &url,
            self.force,
            "seed",
            "a seed writes rows into it",
        )?;
        shared_migrate::install_signal_handler();
        match run_seed(ws, &service, &url, &cx::progress)? {
            Seeded::Ran(out) => {
                println!("{}: seeded {url}\n{out}", service.name);
                Ok(ExitCode::Success)
            }
            Seeded::None(why) => {
                eprintln!("{}: no seed to run ({why})", service.name);
                Ok(ExitCode::Success)
            }
            Seeded::Failed(message) => {
                eprintln!("{}: the seed failed:\n{message}", service.name);
                Ok(ExitCode::Failure)
            }
        }
    }
}
