//! The commands our messages tell people to run. Every `cargo xtask ...` line that names a
//! service or a migration is written here, with the names quoted for a POSIX shell, so that a
//! suggestion can always be pasted as printed.

use crate::text::shell_word;

/// `cargo xtask migrate --service S`.
pub(crate) fn migrate(service: &str) -> String {
    format!("cargo xtask migrate --service {}", shell_word(service))
}

/// `cargo xtask resolve --service S --applied NAME`: record NAME as applied without running it.
pub(crate) fn resolve_applied(service: &str, name: &str) -> String {
    format!(
        "cargo xtask resolve --service {} --applied {}",
        shell_word(service),
        shell_word(name)
    )
}

/// `cargo xtask resolve --service S --rolled-back NAME`: the next migrate applies NAME again.
pub(crate) fn resolve_rolled_back(service: &str, name: &str) -> String {
    format!(
        "cargo xtask resolve --service {} --rolled-back {}",
        shell_word(service),
        shell_word(name)
    )
}

/// `cargo xtask baseline --service S`: adopting a database made before the history.
pub(crate) fn baseline(service: &str) -> String {
    format!("cargo xtask baseline --service {}", shell_word(service))
}

/// `cargo xtask new --service S <name>`: the first migration of a service.
pub(crate) fn new_migration(service: &str) -> String {
    format!("cargo xtask new --service {} <name>", shell_word(service))
}
