//! One migration folder: `<YYYYMMDDHHMMSS>_<name>/migration.sql`, its text and its checksum.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::error::{Error, Location, utf8_text};

/// A migration as read from disk. Its `name` is the folder name, used verbatim as
/// `_prisma_migrations.migration_name`.
#[derive(Debug, Clone)]
pub struct Migration {
    pub name: String,
    /// The `migration.sql` file.
    pub path: PathBuf,
    pub sql: String,
    /// Lowercase hex SHA-256 of the file's bytes, as Prisma stores it.
    pub checksum: String,
    /// A squash's `squash.toml`: the migrations it replaces (empty for any other migration).
    pub replaces: Vec<Replaced>,
}

/// One migration a squash replaced, as its `squash.toml` records it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Replaced {
    pub name: String,
    pub checksum: String,
}

/// The file beside a squash's `migration.sql` naming what it replaced.
pub(crate) const SQUASH_FILE: &str = "squash.toml";

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct SquashFile {
    replaces: Vec<Replaced>,
}

impl Migration {
    /// Reads `dir/migration.sql`. The folder must exist; a missing file, a file that is not
    /// UTF-8, starts with a byte order mark or holds a NUL byte is an error naming the path (and
    /// line).
    pub fn load(name: String, dir: &Path) -> Result<Migration, Error> {
        let path = dir.join("migration.sql");
        // Before anything is read: a link to `.env` or `/etc/passwd` would otherwise be shown
        // in an error snippet and stored in the ledger's logs.
        if std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink()) {
            refuse_link_outside(&path, dir.parent().unwrap_or(dir))?;
        }
        let meta = std::fs::metadata(&path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                // A dangling symlink also lands here: metadata follows links.
                Error::MissingMigrationFile { path: path.clone() }
            } else {
                Error::io(&path, e)
            }
        })?;
        if !meta.is_file() {
            return Err(Error::MigrationFileNotAFile { path });
        }
        let bytes = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
        let checksum = checksum(&bytes);
        if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
            return Err(Error::Utf16 { path });
        }
        if bytes.starts_with(b"\xEF\xBB\xBF") {
            return Err(Error::ByteOrderMark { path });
        }
        // memchr: optimised in every profile; every file of the history passes here.
        if let Some(offset) = memchr::memchr(0, &bytes) {
            return Err(Error::NulByte {
                at: Location::of_offset(&path, &bytes, offset),
            });
        }
        let sql = utf8_text(&path, bytes)?;
        let replaces = read_replaces(&dir.join(SQUASH_FILE))?;
        Ok(Migration {
            name,
            path,
            sql,
            checksum,
            replaces,
        })
    }

    /// A migration not read from a folder (a squash being proved, a draft).
    pub fn from_text(name: &str, path: PathBuf, sql: String) -> Migration {
        Migration {
            name: name.to_string(),
            checksum: checksum(sql.as_bytes()),
            path,
            sql,
            replaces: Vec::new(),
        }
    }

    /// Whether a checksum stored in the ledger belongs to this file. Like Prisma, a change of
    /// line endings alone (CRLF <-> LF) does not count as an edit.
    pub fn checksum_matches(&self, stored: &str) -> bool {
        if stored.eq_ignore_ascii_case(&self.checksum) {
            return true;
        }
        let lf = self.sql.replace("\r\n", "\n");
        if stored.eq_ignore_ascii_case(&checksum(lf.as_bytes())) {
            return true;
        }
        let crlf = lf.replace('\n', "\r\n");
        stored.eq_ignore_ascii_case(&checksum(crlf.as_bytes()))
    }
}

/// `squash.toml`'s list (empty without the file); a file that does not read is an error at its
/// line.
fn read_replaces(file: &Path) -> Result<Vec<Replaced>, Error> {
    let Ok(text) = std::fs::read_to_string(file) else {
        return Ok(Vec::new());
    };
    match toml::from_str::<SquashFile>(&text) {
        Ok(f) if !f.replaces.is_empty() => Ok(f.replaces),
        Ok(_) => Err(Error::Config(format!(
            "{}: a squash must name the migrations it replaces (`[[replaces]]` with `name` and `checksum`); restore the file `cargo xtask squash` wrote",
            file.display()
        ))),
        Err(e) => {
            let at = Location::of_offset(file, text.as_bytes(), e.span().map_or(0, |s| s.start));
            Err(Error::Config(format!(
                "{at}: {}; this file is written by `cargo xtask squash` (`[[replaces]]` with `name` and `checksum`): restore it",
                e.message()
            )))
        }
    }
}

/// Refuses the symbolic link `path` when it resolves outside `folder` (the service's migrations
/// folder): nothing outside the history may be deployed or shown as part of it.
pub(super) fn refuse_link_outside(path: &Path, folder: &Path) -> Result<(), Error> {
    let Ok(target) = std::fs::canonicalize(path) else {
        // Dangling: reported as missing where it is read.
        return Ok(());
    };
    let folder = std::fs::canonicalize(folder).map_err(|e| Error::io(folder, e))?;
    if target.starts_with(&folder) {
        return Ok(());
    }
    Err(Error::LinkOutsideMigrations {
        path: path.to_path_buf(),
        target,
        folder,
    })
}

/// Lowercase hex SHA-256, the format of `_prisma_migrations.checksum`.
pub fn checksum(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksum_is_prisma_format() {
        assert_eq!(
            checksum(b"hello"),
            "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
        );
    }

    #[test]
    fn line_endings_do_not_count_as_edits() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("migration.sql"),
            "SELECT 1;\r\nSELECT 2;\r\n",
        )
        .unwrap();
        let m = Migration::load("m".into(), dir.path()).unwrap();
        assert!(m.checksum_matches(&checksum(b"SELECT 1;\nSELECT 2;\n")));
        assert!(m.checksum_matches(&checksum(b"SELECT 1;\r\nSELECT 2;\r\n")));
        assert!(!m.checksum_matches(&checksum(b"SELECT 1;\nSELECT 3;\n")));

        std::fs::write(dir.path().join("migration.sql"), "SELECT 1;\nSELECT 2;\n").unwrap();
        let m = Migration::load("m".into(), dir.path()).unwrap();
        assert!(m.checksum_matches(&checksum(b"SELECT 1;\r\nSELECT 2;\r\n")));
    }

    #[test]
    fn not_utf8_names_line_and_column() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("migration.sql"),
            b"SELECT 1;\nSELECT '\xff';\n",
        )
        .unwrap();
        let err = Migration::load("m".into(), dir.path()).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("migration.sql:2:9"), "{text}");
        assert!(text.contains("not valid UTF-8"), "{text}");
    }
}
