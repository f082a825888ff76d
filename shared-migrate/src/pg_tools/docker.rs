//! PostgreSQL in a Docker container (testcontainers): ready when a connection succeeds (not when
//! a log line appears), removed when dropped, on Ctrl-C, or by the next run if its owner was
//! killed (containers carry their owner's pid as a label). The engine is the one the `docker`
//! CLI uses: DOCKER_HOST (unix or tcp), with DOCKER_TLS_VERIFY and DOCKER_CERT_PATH for TLS.

use std::time::{Duration, Instant};

use testcontainers::core::{IntoContainerPort, WaitFor};
use testcontainers::runners::SyncRunner;
use testcontainers::{Container, GenericImage, ImageExt};

use crate::cleanup;
use crate::db::{self, DatabaseUrl};
use crate::error::Error;

const OWNER_LABEL: &str = "xtask.verify.owner";
/// The name a kept container is given ([`PostgresContainer::keep`]): labels cannot change on a
/// running container, a name can, and [`sweep`] leaves these alone.
const KEPT_PREFIX: &str = "xtask-kept-";
const PASSWORD: &str = "postgres";

/// Whether a Docker engine answers.
pub(crate) fn engine_available() -> bool {
    crate::process::command("docker")
        .args(["version", "--format", "{{.Server.Version}}"])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Whether `image` is present locally (no pull needed).
pub(crate) fn image_present(image: &str) -> bool {
    crate::process::command("docker")
        .args(["image", "inspect", "--format", "{{.Id}}", image])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Removes a container and waits until it is gone: a removal already under way (the handle's
/// own drop, racing an interrupt) makes `docker rm` return before the container has gone.
fn remove_container(id: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let _ = crate::process::command("docker")
            .args(["rm", "-f", "-v", id])
            .output();
        let exists = crate::process::command("docker")
            .args(["container", "inspect", "--format", "{{.Id}}", id])
            .output()
            .is_ok_and(|o| o.status.success());
        if !exists || Instant::now() > deadline {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Removes containers of earlier runs whose owner process is gone, except the kept ones.
pub(crate) fn sweep() {
    let Ok(out) = crate::process::command("docker")
        .args([
            "ps",
            "-a",
            "--filter",
            &format!("label={OWNER_LABEL}"),
            "--format",
            &format!("{{{{.ID}}}} {{{{.Label \"{OWNER_LABEL}\"}}}} {{{{.Names}}}}"),
        ])
        .output()
    else {
        return;
    };
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let mut parts = line.split_whitespace();
        let (Some(id), Some(pid), name) = (
            parts.next(),
            parts.next().and_then(|p| p.parse::<i32>().ok()),
            parts.next().unwrap_or_default(),
        ) else {
            continue;
        };
        if name.starts_with(KEPT_PREFIX) {
            continue;
        }
        // SAFETY: signal 0 only checks that the process exists.
        let alive = unsafe { libc::kill(pid, 0) } == 0
            || std::io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH);
        if !alive {
            remove_container(id);
        }
    }
}

fn split_image(image: &str) -> (&str, &str) {
    // The tag follows the last ':' after the last '/' (a registry may have a port).
    let name_start = image.rfind('/').map_or(0, |i| i + 1);
    match image[name_start..].rfind(':') {
        Some(i) => (&image[..name_start + i], &image[name_start + i + 1..]),
        None => (image, "latest"),
    }
}

/// The `service` of a container that several services share (database isolation).
pub(crate) const SHARED: &str = "shared";

/// A running PostgreSQL container; dropping it removes the container.
pub(crate) struct PostgresContainer {
    container: Option<Container<GenericImage>>,
    url: DatabaseUrl,
    ready: Duration,
    _guard: cleanup::Guard,
}

impl PostgresContainer {
    /// Starts a container from `image` for `service` and waits until it accepts connections.
    pub(crate) fn start(image: &str, service: &str) -> Result<PostgresContainer, Error> {
        let start = Instant::now();
        let (name, tag) = split_image(image);
        let who = if service == SHARED {
            String::new()
        } else {
            format!(" for service `{service}`")
        };
        let fail = |e: &dyn std::fmt::Display| {
            let text = e.to_string();
            // The engine could not pull the image (no such image locally, no registry): say
            // what to do instead of the engine's words alone.
            let pull = text.contains("pull") || text.contains("No such image");
            let what = if pull {
                format!(
                    "the Docker engine does not have the image `{image}` and could not pull it ({}). Build one from this machine's PostgreSQL with `bash ci/postgres-image/build.sh` and pass --image xtask-postgres:<major>, name an image the engine has with --image, or use --backend local (initdb/postgres on this machine)",
                    text.lines().next().unwrap_or_default()
                )
            } else {
                text
            };
            Error::Cluster(format!(
                "a PostgreSQL container from `{image}`{who} did not start: {what}"
            ))
        };
        let container = GenericImage::new(name, tag)
            .with_exposed_port(5432.tcp())
            .with_wait_for(WaitFor::Nothing)
            // The official image refuses to start without one; ours trusts every connection.
            .with_env_var("POSTGRES_PASSWORD", PASSWORD)
            .with_label(OWNER_LABEL, std::process::id().to_string())
            .with_label("xtask.verify.service", service)
            .with_startup_timeout(Duration::from_secs(120))
            .start()
            .map_err(|e| fail(&e))?;
        let id = container.id().to_string();
        let guard = {
            let id = id.clone();
            cleanup::register(move || remove_container(&id))
        };
        let port = container
            .get_host_port_ipv4(5432.tcp())
            .map_err(|e| fail(&e))?;
        // The engine publishes ports on its own host: DOCKER_HOST's for a remote engine
        // (tcp://build-host:2376), this machine for a local socket.
        let remote = std::env::var("DOCKER_HOST").is_ok_and(|h| {
            ["tcp://", "http://", "https://"]
                .iter()
                .any(|p| h.starts_with(p))
        });
        let host = if remote {
            match container.get_host().map_err(|e| fail(&e))? {
                url::Host::Ipv6(ip) => format!("[{ip}]"),
                other => other.to_string(),
            }
        } else {
            "127.0.0.1".to_string()
        };
        let url = DatabaseUrl::parse(&format!(
            "postgresql://postgres:{PASSWORD}@{host}:{port}/postgres"
        ))
        .map_err(|e| fail(&e))?;
        // Ready means a successful connection: log lines differ between images.
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            match db::connect(&url) {
                Ok(_) => break,
                Err(e) if Instant::now() > deadline => {
                    let logs = crate::process::command("docker")
                        .args(["logs", "--tail", "20", &id])
                        .output();
                    let logs = logs
                        .map(|o| String::from_utf8_lossy(&o.stderr).into_owned())
                        .unwrap_or_default();
                    return Err(fail(&format!("{e}; container log:\n{logs}")));
                }
                Err(_) => std::thread::sleep(Duration::from_millis(20)),
            }
        }
        Ok(PostgresContainer {
            container: Some(container),
            url,
            ready: start.elapsed(),
            _guard: guard,
        })
    }

    pub(crate) fn url(&self) -> &DatabaseUrl {
        &self.url
    }

    /// From asking for the container to the first successful connection.
    pub(crate) fn ready_time(&self) -> Duration {
        self.ready
    }

    /// How to remove the container once kept.
    pub(crate) fn remove_command(&self) -> String {
        let id = self.container.as_ref().map(|c| c.id()).unwrap_or_default();
        format!("docker rm -f {id}")
    }

    /// Leaves the container running after this process ends; returns how to reach and remove
    /// it.
    pub(crate) fn keep(mut self) -> String {
        let container = self.container.take().expect("container");
        let id = container.id().to_string();
        // Forgetting the handle keeps the container: its drop would remove it.
        std::mem::forget(container);
        // Its owner (this process) is about to exit: without the name, the next run's sweep
        // would take it for a killed run's leftover.
        let name = format!("{KEPT_PREFIX}{}", &id[..id.len().min(12)]);
        let renamed = crate::process::command("docker")
            .args(["rename", &id, &name])
            .output()
            .is_ok_and(|o| o.status.success());
        let warning = if renamed {
            ""
        } else {
            "; it could not be renamed, so the next verify may remove it"
        };
        format!("{} (remove it with: docker rm -f {id}){warning}", self.url)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn image_names_split_at_the_tag() {
        assert_eq!(super::split_image("postgres:15"), ("postgres", "15"));
        assert_eq!(super::split_image("postgres"), ("postgres", "latest"));
        assert_eq!(
            super::split_image("registry:5000/team/pg:15-alpine"),
            ("registry:5000/team/pg", "15-alpine")
        );
    }
}
