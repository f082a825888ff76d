//! A service's seed and tests, found the way its team configured them, and run against a
//! database: by `verify` (a throwaway database) and `reset` (as Prisma runs its seed after
//! `migrate reset`).
//!
//! The seed: `[verify] seed` (explicit configuration wins), else `migrations.seed` of
//! `prisma.config.ts`, else `prisma.seed` of `package.json` (Prisma 6), else `prisma/seed.sql`.
//! The tests: `[verify] test`, else the package's `test` script, run with the repository's
//! package manager. A Prisma seed string runs as Prisma runs it: through a shell, in the
//! package's directory, with `node_modules/.bin` on PATH.
//!
//! Every child sees the database only as we give it: the URL under `DATABASE_URL`, under every
//! variable the service's datasource reads and in libpq's `PG*` variables; every other
//! datasource's variables, `<SERVICE>_DATABASE_URL` and libpq's other variables removed. A
//! `.env` naming another database then changes nothing for loaders that do not override the
//! environment (dotenv's default, Prisma's, `process.loadEnvFile`).

use std::collections::HashSet;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::config::{self, VerifyConfig};
use crate::db::{self, DatabaseUrl};
use crate::error::{Error, Location};
use crate::pg_tools::client_env;
use crate::process;
use crate::workspace::package::{Package, lockfile};
use crate::workspace::prisma_config::{ConfigValue, PrismaConfig};
use crate::workspace::{Service, Workspace};

/// What a step's work gives back: Ok(its output, shown as the step's detail) or Err(why it
/// failed). Passwords are already redacted.
pub(crate) type StepOutcome = Result<((), Option<String>), String>;

/// How a seed or the tests are run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Command {
    /// An argument list, run without a shell.
    Argv(Vec<String>),
    /// A command line for `sh -c`, as Prisma runs a seed.
    Shell(String),
    /// A SQL file, run like a migration.
    Sql(PathBuf),
}

/// A seed or test command, and where it was configured (for people: `package.json prisma.seed
/// (services/a/package.json:5:5): node prisma/seed.js`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Found {
    pub command: Command,
    pub origin: String,
    /// The directory it runs in.
    pub dir: PathBuf,
}

impl Found {
    /// `` `node prisma/seed.js` (package.json prisma.seed at package.json:7) ``; paths relative
    /// to the directory it runs in.
    pub(crate) fn describe(&self) -> String {
        let what = match &self.command {
            Command::Argv(argv) => argv.join(" "),
            Command::Shell(line) => line.clone(),
            Command::Sql(path) => path
                .strip_prefix(&self.dir)
                .unwrap_or(path)
                .display()
                .to_string(),
        };
        format!("`{what}` ({})", self.origin)
    }
}

/// The service's seed, in the order of the module's documentation.
pub(crate) fn find_seed(service: &Service, config: &VerifyConfig) -> Result<Option<Found>, Error> {
    if let Some(argv) = &config.seed {
        return Ok(Some(Found {
            command: Command::Argv(argv.clone()),
            origin: format!("[verify] seed in {}", config::FILE_NAME),
            dir: service.dir.clone(),
        }));
    }
    if let Some(path) = &service.layout.config {
        let prisma_config = PrismaConfig::read(path)?;
        if let Some(seed) = prisma_config.seed {
            let line = match &seed.value {
                ConfigValue::Str(s) => s.clone(),
                _ => {
                    return Err(seed.not_static(
                        "migrations.seed",
                        "it is computed when the file runs".into(),
                        "write the command as a string literal, or set [verify] seed in xtask.toml",
                    ));
                }
            };
            return Ok(Some(Found {
                command: Command::Shell(line),
                origin: format!("migrations.seed at {}", short(&seed.at)),
                dir: path.parent().unwrap_or(&service.dir).to_path_buf(),
            }));
        }
    }
    if let Some(package) = Package::read(&service.dir)?
        && let Some(seed) = package.seed
    {
        return Ok(Some(Found {
            command: Command::Shell(seed.value),
            origin: format!("package.json prisma.seed at {}", short(&seed.at)),
            dir: service.dir.clone(),
        }));
    }
    let sql = service.prisma_dir().join("seed.sql");
    Ok(sql.is_file().then(|| Found {
        origin: "the SQL seed".into(),
        command: Command::Sql(sql),
        dir: service.dir.clone(),
    }))
}

/// The service's tests: `[verify] test`, else the package's `test` script.
pub(crate) fn find_tests(
    ws: &Workspace,
    service: &Service,
    config: &VerifyConfig,
) -> Result<Option<Found>, Error> {
    if let Some(argv) = &config.test {
        return Ok(Some(Found {
            command: Command::Argv(argv.clone()),
            origin: format!("[verify] test in {}", config::FILE_NAME),
            dir: service.dir.clone(),
        }));
    }
    let Some(package) = Package::read(&service.dir)? else {
        return Ok(None);
    };
    let Some(test) = &package.test else {
        return Ok(None);
    };
    let manager = package.manager(&ws.root);
    Ok(Some(Found {
        command: Command::Argv(manager.test_command()),
        origin: format!("the test script `{}` at {}", test.value, short(&test.at)),
        dir: service.dir.clone(),
    }))
}

/// Why a service has no seed, and how to give it one.
pub(crate) fn no_seed(service: &Service) -> String {
    format!(
        "none: configure one as Prisma does (package.json \"prisma\": {{\"seed\": ...}} or migrations.seed in prisma.config.ts), add {}, or set [verify] seed in {}",
        service.prisma_dir().join("seed.sql").display(),
        config_path(service).display()
    )
}

/// Why a service has no tests, and how to give it some.
pub(crate) fn no_tests(service: &Service) -> String {
    format!(
        "none: add a \"test\" script to {} or set [verify] test in {}",
        service.dir.join("package.json").display(),
        config_path(service).display()
    )
}

fn config_path(service: &Service) -> PathBuf {
    service.dir.join(config::FILE_NAME)
}

fn short(at: &Location) -> String {
    let name = at
        .path
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    format!("{name}:{}", at.line)
}

/// Installs the package's dependencies from its lockfile when they are not installed (no
/// `node_modules` from the package up to the root), once per lockfile per process. Returns
/// what was done, for the step's detail, or None when nothing had to be.
pub(crate) fn install_dependencies(
    ws: &Workspace,
    service: &Service,
    timeout: Duration,
    progress: &dyn Fn(&str),
) -> Result<Option<String>, String> {
    static DONE: Mutex<Option<HashSet<PathBuf>>> = Mutex::new(None);
    let Some(package) = Package::read(&service.dir).map_err(|e| e.to_string())? else {
        return Ok(None);
    };
    // Checked under the lock: another service's install may be filling node_modules now.
    let mut done = DONE.lock().unwrap_or_else(|p| p.into_inner());
    if !package.needs_install(&ws.root) {
        return Ok(None);
    }
    let Some((manager, dir)) = lockfile(&service.dir, &ws.root) else {
        return Err(format!(
            "the dependencies of {} are not installed, and there is no lockfile to install them from (package-lock.json, pnpm-lock.yaml, yarn.lock, bun.lock): run `npm install` and commit the lockfile",
            package.path.display()
        ));
    };
    // One install per lockfile (services of one workspace share it).
    let done = done.get_or_insert_with(HashSet::new);
    if done.contains(&dir) {
        return Ok(None);
    }
    let argv = manager.install_command();
    progress(&format!(
        "installing dependencies: `{}` in {}",
        argv.join(" "),
        dir.display()
    ));
    let start = Instant::now();
    match process::run(&dir, &argv, &[("CI".into(), "true".into())], &[], timeout) {
        Ok(_) => {
            done.insert(dir.clone());
            Ok(Some(format!(
                "installed the dependencies with `{}` in {} ({:.1} s)",
                argv.join(" "),
                dir.display(),
                start.elapsed().as_secs_f64()
            )))
        }
        Err(f) => Err(format!(
            "the dependencies are not installed, and installing them failed: {}",
            f.describe(&argv, timeout)
        )),
    }
}

/// The environment of a seed or test: see the module's documentation. `forget`: the
/// variables every service's datasource reads.
pub(crate) struct ChildEnv {
    pub vars: Vec<(String, OsString)>,
    pub forget: Vec<String>,
    _client: crate::pg_tools::ClientEnv,
}

pub(crate) fn child_env(
    service: &Service,
    url: &DatabaseUrl,
    forget: &[String],
) -> Result<ChildEnv, Error> {
    let client = client_env(url)?;
    let mut vars = client.vars.clone();
    if let Some(ds) = service.datasource()? {
        for var in ds.variables() {
            if !vars.iter().any(|(k, _)| *k == var) {
                vars.push((var, OsString::from(url.expose())));
            }
        }
    }
    vars.push(("CI".into(), "true".into()));
    Ok(ChildEnv {
        vars,
        forget: forget.to_vec(),
        _client: client,
    })
}

/// Every variable the datasources of the workspace's services read (to remove from children's
/// environment), as far as their schemas can be read.
pub fn datasource_variables(services: &[Service]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in services {
        if let Ok(Some(ds)) = s.datasource() {
            for v in ds.variables() {
                if !out.contains(&v) {
                    out.push(v);
                }
            }
        }
    }
    out
}

/// Runs `found` against `url`: its output's tail as the detail, the password replaced by `***`.
pub(crate) fn run(
    ws: &Workspace,
    service: &Service,
    found: &Found,
    url: &DatabaseUrl,
    forget: &[String],
    timeout: Duration,
) -> StepOutcome {
    match run_captured(ws, service, found, url, forget, timeout) {
        Ok(Some(output)) => Ok(((), Some(process::tail(&output, 40)))),
        Ok(None) => Ok(((), None)),
        Err((why, _)) => Err(why),
    }
}

/// [`run`], with the whole output (redacted) either way: Ok(output; None for a SQL seed) or
/// Err((why, output)).
pub(crate) fn run_captured(
    ws: &Workspace,
    service: &Service,
    found: &Found,
    url: &DatabaseUrl,
    forget: &[String],
    timeout: Duration,
) -> Result<Option<String>, (String, String)> {
    let argv = match &found.command {
        Command::Sql(path) => {
            return run_sql(url, path, timeout)
                .map(|_| None)
                .map_err(|e| (e, String::new()));
        }
        Command::Argv(argv) => argv.clone(),
        Command::Shell(line) => vec!["sh".into(), "-c".into(), line.clone()],
    };
    let env = child_env(service, url, forget).map_err(|e| (e.to_string(), String::new()))?;
    let mut vars = env.vars.clone();
    if let Some(package) = Package::read(&found.dir).ok().flatten() {
        let bins = package.bin_dirs(&ws.root);
        if !bins.is_empty() {
            let mut path: Vec<PathBuf> = bins;
            path.extend(std::env::split_paths(
                &std::env::var_os("PATH").unwrap_or_default(),
            ));
            if let Ok(joined) = std::env::join_paths(path) {
                vars.push(("PATH".into(), joined));
            }
        }
    }
    match process::run(&found.dir, &argv, &vars, &env.forget, timeout) {
        Ok(done) => Ok(Some(url.redact_in(&done.output))),
        Err(f) => {
            let output = match &f {
                process::CommandFailure::Exit { output, .. }
                | process::CommandFailure::TimedOut { output } => url.redact_in(output),
                process::CommandFailure::Spawn(_) => String::new(),
            };
            Err((url.redact_in(&f.describe(&argv, timeout)), output))
        }
    }
}

fn run_sql(url: &DatabaseUrl, path: &Path, timeout: Duration) -> StepOutcome {
    let (r, timed_out) = db::with_deadline(url, timeout, || db::run_sql_file(url, path));
    match r {
        Err(_) if timed_out => Err(format!("timed out after {timeout:?}")),
        Err(e) => Err(e),
        Ok(()) => Ok(((), None)),
    }
}
