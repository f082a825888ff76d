//! `new`: a new, empty migration folder for a service, or (`--revert NAME`) one holding the
//! reversal of another migration. Names are checked against the same vague words as lint's
//! `vague-name` rule (`[lint] vague_words` / `extra_vague_words`), so `new` never writes a name
//! that lint then refuses, nor refuses one lint accepts.

use std::path::{Path, PathBuf};

use super::revert::{Reversal, create_revert};
use crate::config;
use crate::error::Error;
use crate::workspace::{Service, create_migration};

/// The words a new migration's name may not consist of: the service's lint configuration.
fn vague_words(root: &Path, service: &Service) -> Result<Vec<String>, Error> {
    Ok(config::lint_config(root, service)?.vague_words)
}

/// Creates `<now>_<description>/migration.sql` (empty) and returns its path.
pub fn new_migration(root: &Path, service: &Service, description: &str) -> Result<PathBuf, Error> {
    create_migration(service, description, &vague_words(root, service)?)
}

/// Creates `<now>_revert_<description of NAME>/migration.sql` reversing NAME.
pub fn new_revert(
    root: &Path,
    service: &Service,
    name: &str,
) -> Result<(PathBuf, Reversal), Error> {
    create_revert(service, name, &vague_words(root, service)?)
}
