//! What every command needs from its surroundings: the workspace, database URLs from the
//! environment, progress lines, a confirmation on the terminal.

use std::path::PathBuf;

use anyhow::Context;
use shared_migrate::{
    BackendKind, DatabaseUrl, DeclaredValue, MigrateTarget, Places, Service, UrlSources, Waits,
    Workspace,
};

/// `--root`, else the monorepo the current directory is in ([`Workspace::find`]).
pub fn workspace(root: Option<PathBuf>) -> anyhow::Result<Workspace> {
    if let Some(root) = root {
        return Ok(Workspace::new(root));
    }
    let cwd = std::env::current_dir().context("reading the current directory")?;
    Workspace::find(&cwd).with_context(|| {
        format!(
            "no monorepo around {}: no ancestor holds an xtask.toml, declares workspaces (package.json, pnpm-workspace.yaml), holds services/ or is a Prisma project; run inside one or pass --root DIR",
            cwd.display()
        )
    })
}

pub fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// The services a command works on: those named; else, run inside a service's directory
/// without `--all`, that service alone (as `npx prisma` there); else every service.
pub fn selected(ws: &Workspace, names: &[String], all: bool) -> anyhow::Result<Vec<Service>> {
    let services = ws.select(&selected_names(ws, names.to_vec(), all)?)?;
    if services.is_empty() {
        say_if_no_service(ws);
    }
    Ok(services)
}

/// A workspace without any service: commands have nothing to do and succeed, which must not go
/// unnoticed (a CI job passing over nothing).
pub fn say_if_no_service(ws: &Workspace) {
    if ws.services().is_ok_and(|all| all.is_empty()) {
        eprintln!(
            "no service in {}: no directory under services/ and no package its workspaces declare is a Prisma project (prisma/schema.prisma, a prisma/schema/ folder, prisma.config.ts, or \"prisma\": {{\"schema\"}} in package.json); xtask.toml's `services = [...]` can list them",
            ws.root.display()
        );
    }
}

/// [`selected`]'s names (empty: every service), for commands that select further (`--since`,
/// `--shard`).
pub fn selected_names(
    ws: &Workspace,
    names: Vec<String>,
    all: bool,
) -> anyhow::Result<Vec<String>> {
    if names.is_empty()
        && !all
        && let Some(here) = here(ws)?
    {
        eprintln!(
            "in {}: working on `{}` alone (--all for every service)",
            here.dir.display(),
            here.name
        );
        return Ok(vec![here.name]);
    }
    Ok(names)
}

/// The one service a command names, else the one whose directory it runs in, else the only
/// one there is (a repository that is one Prisma project, run at its root).
pub fn named(ws: &Workspace, name: Option<&str>) -> anyhow::Result<Service> {
    if let Some(name) = name {
        return Ok(ws.select(&[name.to_string()])?.remove(0));
    }
    if let Some(service) = here(ws)? {
        return Ok(service);
    }
    let mut all = ws.services()?;
    if all.len() == 1 {
        return Ok(all.remove(0));
    }
    anyhow::bail!("name the service: -s NAME (or run the command inside the service's directory)")
}

fn here(ws: &Workspace) -> anyhow::Result<Option<Service>> {
    let cwd = std::env::current_dir().context("reading the current directory")?;
    Ok(ws.service_at(&cwd)?)
}

/// `--database-url` names one database: with several services it is a usage error, said once
/// (not once per service).
pub fn url_flag_fits(flag: Option<&str>, services: &[Service]) -> anyhow::Result<()> {
    if flag.is_some() && services.len() != 1 {
        anyhow::bail!(
            "--database-url applies to one service only, and {} are selected: add --service NAME, or set <SERVICE>_DATABASE_URL per service",
            services.len()
        );
    }
    Ok(())
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
    target: &crate::flags::OneService,
) -> anyhow::Result<(Service, DatabaseUrl)> {
    let flag = target.database_url.as_deref();
    let service = named(ws, target.service.as_deref())?;
    let sources = UrlSources {
        flag,
        selected: 1,
        env: &env_var,
    };
    let url = sources.resolve(&service)?.0;
    Ok((service, url))
}

/// Throwaway databases for a command that replays migrations (`new`, `status --drift`,
/// `baseline`'s check, `push`, `dev`, `resolve --checksum`, `rollback`), with Ctrl-C set to
/// remove them; [`Throwaway::places`] puts them beside the workspace and the service's URL.
pub struct Throwaway(Box<dyn shared_migrate::Backend>);

impl Throwaway {
    /// The default backend with the repository's default image.
    pub fn new(ws: &Workspace) -> anyhow::Result<Throwaway> {
        shared_migrate::install_signal_handler();
        Ok(Throwaway(throwaway_backend(ws)?))
    }

    /// `dev`'s: on the server of the datasource's `shadowDatabaseUrl` when it is set (scratch
    /// databases there, as Prisma uses its shadow database), else as [`Throwaway::new`].
    pub fn shadow_or_new(ws: &Workspace, service: &Service) -> anyhow::Result<Throwaway> {
        shared_migrate::install_signal_handler();
        Ok(Throwaway(shadow_or_throwaway(ws, service)?))
    }

    pub fn places<'a>(&'a self, ws: &'a Workspace, url: Option<DatabaseUrl>) -> Places<'a> {
        Places {
            ws,
            url,
            backend: self.0.as_ref(),
        }
    }
}

fn throwaway_backend(ws: &Workspace) -> anyhow::Result<Box<dyn shared_migrate::Backend>> {
    let image = shared_migrate::default_image(&ws.root, None)?;
    Ok(shared_migrate::choose_backend(
        BackendKind::Auto,
        None,
        &image,
        None,
        Some(&ws.template_cache()),
        shared_migrate::SWEEP_AFTER,
    )?)
}

fn shadow_or_throwaway(
    ws: &Workspace,
    service: &Service,
) -> anyhow::Result<Box<dyn shared_migrate::Backend>> {
    let shadow = service
        .datasource()?
        .and_then(|d| d.shadow_url)
        .and_then(|d| match d.value {
            DeclaredValue::Literal(url) => Some(url),
            DeclaredValue::Env { var, fallbacks, .. } => std::iter::once(var)
                .chain(fallbacks)
                .find_map(|v| std::env::var(v).ok().filter(|u| !u.is_empty())),
            DeclaredValue::Dynamic(_) => None,
        });
    let Some(url) = shadow else {
        return throwaway_backend(ws);
    };
    let image = shared_migrate::default_image(&ws.root, None)?;
    Ok(shared_migrate::choose_backend(
        BackendKind::Url,
        Some(&url),
        &image,
        None,
        None,
        shared_migrate::SWEEP_AFTER,
    )?)
}

/// Resets `service`'s database (every migration, then the seed) once `question` is confirmed
/// on the terminal or `yes` is given: None when it was declined, nothing changed.
pub fn reset_confirmed(
    ws: &Workspace,
    service: &Service,
    url: &DatabaseUrl,
    question: &str,
    yes: bool,
    lock_timeout: std::time::Duration,
) -> anyhow::Result<Option<shared_migrate::Reset>> {
    if !yes && !confirm(question)? {
        return Ok(None);
    }
    let lock = shared_migrate::migration_lock(&ws.root, service, lock_timeout)?;
    Ok(Some(shared_migrate::reset(
        ws, service, url, lock, &progress,
    )?))
}

/// Asks on the terminal; without one, refuses (a script must say --yes).
pub fn confirm(question: &str) -> anyhow::Result<bool> {
    let answer = ask(&format!("{question}\nType `yes` to go on: "), || {
        format!(
            "{question}\nThis needs a confirmation, and there is no terminal to ask on: pass --yes"
        )
    })?;
    Ok(answer == "yes")
}

/// The answer (trimmed) typed on the terminal after `prompt`; without a terminal, the error
/// `without` words (it says which flag answers instead).
pub fn ask(prompt: &str, without: impl FnOnce() -> String) -> anyhow::Result<String> {
    use std::io::{BufRead, IsTerminal, Write};
    if !std::io::stdin().is_terminal() {
        anyhow::bail!(without());
    }
    eprint!("{prompt}");
    std::io::stderr().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(answer.trim().to_string())
}

/// Progress lines on stderr: `[service] message`, each in one write (stderr is unbuffered:
/// `eprintln!` wrote its five pieces apart, two lines per migration).
pub fn progress(service: &str, message: &str) {
    use std::io::Write;
    let line = format!("[{service}] {message}\n");
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
}
