//! A service's seed (the configured `[verify] seed` command, else `prisma/seed.sql`) and its
//! configured commands, run against a database: by `verify` and by `reset`, as Prisma runs its
//! seed after `migrate reset`.

use std::time::Duration;

use crate::config::{self, VerifyConfig};
use crate::db::{self, DatabaseUrl};
use crate::pg_tools::client_env;
use crate::process;
use crate::workspace::Service;

/// What a step's work gives back: Ok(its output, shown as the step's detail) or Err(why it
/// failed). Passwords are already redacted.
pub type StepOutcome = Result<((), Option<String>), String>;

/// The service's seed, if it has one: the configured `[verify] seed` command, else
/// `prisma/seed.sql`. Returns the work to run.
pub fn seed<'a>(
    service: &'a Service,
    config: &'a VerifyConfig,
    url: &'a DatabaseUrl,
) -> Option<impl FnOnce() -> StepOutcome + 'a> {
    let timeout = config.timeout;
    let seed_sql = service.prisma_dir().join("seed.sql");
    if config.seed.is_none() && !seed_sql.is_file() {
        return None;
    }
    Some(move || match &config.seed {
        Some(argv) => run_command(service, argv, url, timeout),
        None => {
            let (r, timed_out) =
                db::with_deadline(url, timeout, || db::run_sql_file(url, &seed_sql));
            match r {
                Err(_) if timed_out => Err(format!("timed out after {timeout:?}")),
                Err(e) => Err(e),
                Ok(()) => Ok(((), None)),
            }
        }
    })
}

/// Why a service has no seed step, and how to give it one.
pub fn no_seed(service: &Service) -> String {
    format!(
        "no seed: add {} or [verify] seed in {}",
        service.prisma_dir().join("seed.sql").display(),
        service.dir.join(config::FILE_NAME).display()
    )
}

/// Runs a configured command (`argv`) in the service's directory against `url`; its output's
/// tail, with the password replaced by `***`.
pub fn run_command(
    service: &Service,
    argv: &[String],
    url: &DatabaseUrl,
    timeout: Duration,
) -> StepOutcome {
    let env = match client_env(url) {
        Ok(env) => env,
        Err(e) => return Err(e.to_string()),
    };
    match process::run(&service.dir, argv, &env.vars, timeout) {
        Ok(done) => Ok(((), Some(url.redact_in(&process::tail(&done.output, 40))))),
        Err(f) => Err(url.redact_in(&f.describe(argv, timeout))),
    }
}
