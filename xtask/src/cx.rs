//! What every command needs from its surroundings: the workspace, database URLs from the
//! environment, progress lines, a confirmation on the terminal.

use std::path::PathBuf;

use anyhow::Context;
use shared_migrate::{DatabaseUrl, MigrateTarget, Service, UrlSources, Waits, Workspace};

/// `--root`, else the nearest ancestor of the current directory that holds `services/`, else
/// this repository.
pub fn workspace(root: Option<PathBuf>) -> anyhow::Result<Workspace> {
    if let Some(root) = root {
        return Ok(Workspace::new(root));
    }
    let cwd = std::env::current_dir().context("reading the current directory")?;
    Ok(Workspace::find(&cwd)
        .unwrap_or_else(|| Workspace::new(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".."))))
}

fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// Each service with its database URL (or why it has none).
pub fn targets(services: Vec<Service>, flag: Option<&str>) -> Vec<MigrateTarget> {
    let sources = UrlSources {
        flag,
        selected: services.len(),
        env: &env_var,
    };
    services
        .into_iter()
        .map(|service| {
            let (url, origin) = match sources.resolve(&service) {
                Ok((url, origin)) => (Ok(url), Some(origin)),
                Err(e) => (Err(e), None),
            };
            MigrateTarget {
                service,
                url,
                origin,
                waits: Waits::default(),
            }
        })
        .collect()
}

/// The one service a command works on, and its database URL.
pub fn one_service(
    ws: &Workspace,
    name: &str,
    flag: Option<&str>,
) -> anyhow::Result<(Service, DatabaseUrl)> {
    let service = ws.select(&[name.to_string()])?.remove(0);
    let sources = UrlSources {
        flag,
        selected: 1,
        env: &env_var,
    };
    let url = sources.resolve(&service)?.0;
    Ok((service, url))
}

/// Asks on the terminal; without one, refuses (a script must say --yes).
pub fn confirm(question: &str) -> anyhow::Result<bool> {
    use std::io::{BufRead, IsTerminal, Write};
    if !std::io::stdin().is_terminal() {
        anyhow::bail!(
            "{question}\nThis needs a confirmation, and there is no terminal to ask on: pass --yes"
        );
    }
    eprint!("{question}\nType `yes` to go on: ");
    std::io::stderr().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(answer.trim() == "yes")
}

/// Progress lines on stderr: `[service] message`.
pub fn progress(service: &str, message: &str) {
    eprintln!("[{service}] {message}");
}
