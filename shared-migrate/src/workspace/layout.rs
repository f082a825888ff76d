//! Where a service keeps its Prisma files, found the way the Prisma CLI finds them:
//! - the schema: `schema` of `prisma.config.ts`, else `prisma.schema` of `package.json`, else
//!   `prisma/schema.prisma`, else the folder `prisma/schema/` (a multi-file schema), else
//!   `schema.prisma`;
//! - the migrations: `migrations.path` of `prisma.config.ts`, else `migrations/` beside the
//!   schema file that holds the datasource block (`prisma/migrations` by default);
//! - the datasource: `datasource` of `prisma.config.ts` (Prisma 7), else the schema's
//!   `datasource` block.

use std::path::{Path, PathBuf};

use super::prisma_config::{ConfigValue, Located, PrismaConfig};
use crate::error::{Error, Location, utf8_text};
use crate::psl::{self, SettingValue, SourceFile};

/// A schema: one file, or a folder of `.prisma` files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SchemaPath {
    File(PathBuf),
    Folder(PathBuf),
}

impl SchemaPath {
    pub fn path(&self) -> &Path {
        match self {
            SchemaPath::File(p) | SchemaPath::Folder(p) => p,
        }
    }
}

/// Where a service's files are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// `prisma.config.ts`, when the service has one.
    pub config: Option<PathBuf>,
    pub schema: Option<SchemaPath>,
    pub migrations_dir: PathBuf,
}

impl Layout {
    /// The layout of the service in `dir`. A configuration that names its schema or
    /// migrations in a form that cannot be read statically is an error at its line.
    pub fn find(dir: &Path) -> Result<Layout, Error> {
        let config = match PrismaConfig::find(dir) {
            Some(path) => Some(PrismaConfig::read(&path)?),
            None => None,
        };
        let base = config
            .as_ref()
            .and_then(|c| c.path.parent().map(Path::to_path_buf))
            .unwrap_or_else(|| dir.to_path_buf());
        let schema = match config.as_ref().and_then(|c| c.schema.as_ref()) {
            Some(s) => Some(kind_of(s.path("schema", &base)?)),
            None => from_package_json(dir)?.or_else(|| default_schema(dir)),
        };
        let migrations_dir = match config.as_ref().and_then(|c| c.migrations_path.as_ref()) {
            Some(m) => m.path("migrations.path", &base)?,
            None => match &schema {
                Some(SchemaPath::File(f)) => f.parent().unwrap_or(dir).join("migrations"),
                Some(SchemaPath::Folder(folder)) => {
                    let beside = datasource_file(folder)
                        .and_then(|f| f.parent().map(Path::to_path_buf))
                        .unwrap_or_else(|| folder.clone())
                        .join("migrations");
                    // Before Prisma 6.6 (the schema folder preview) they were beside the folder.
                    let sibling = folder.parent().map(|p| p.join("migrations"));
                    match sibling {
                        Some(s) if !beside.is_dir() && s.is_dir() => s,
                        _ => beside,
                    }
                }
                None => dir.join("prisma").join("migrations"),
            },
        };
        Ok(Layout {
            config: config.map(|c| c.path),
            schema,
            migrations_dir,
        })
    }

    /// Every schema file, parsed (syntax errors kept in each file).
    pub fn schema_files(&self) -> Result<Vec<SourceFile>, Error> {
        let paths = match &self.schema {
            None => return Ok(Vec::new()),
            Some(SchemaPath::File(f)) => vec![f.clone()],
            Some(SchemaPath::Folder(d)) => prisma_files(d)?,
        };
        paths
            .into_iter()
            .map(|p| {
                let bytes = std::fs::read(&p).map_err(|e| Error::io(&p, e))?;
                Ok(SourceFile::parse(&p, utf8_text(&p, bytes)?))
            })
            .collect()
    }

    /// The service's datasource: what its URL settings say and where they are written, the
    /// directory certificate paths are relative to, and the schemas it lists.
    pub fn datasource(&self) -> Result<Option<Datasource>, Error> {
        let files = self.schema_files()?;
        let block = psl::datasource(&files)?;
        let schema_dir = block
            .as_ref()
            .and_then(|b| b.at.path.parent().map(Path::to_path_buf))
            .or_else(|| match &self.schema {
                Some(SchemaPath::File(f)) => f.parent().map(Path::to_path_buf),
                Some(SchemaPath::Folder(d)) => Some(d.clone()),
                None => None,
            })
            .unwrap_or_else(|| {
                self.migrations_dir
                    .parent()
                    .unwrap_or(Path::new("."))
                    .to_path_buf()
            });
        let config = match &self.config {
            Some(path) => Some(PrismaConfig::read(path)?),
            None => None,
        };
        let from_config = |pick: fn(&PrismaConfig) -> Option<&Located>, key: &str| {
            config
                .as_ref()
                .and_then(pick)
                .map(|l| Declared::from_config(key, l))
        };
        let from_schema = |s: Option<&psl::Setting>| s.map(Declared::from_schema);
        // Prisma 7 reads the URL from the configuration; before, from the schema.
        let url = from_config(|c| c.url.as_ref(), "datasource.url")
            .or_else(|| from_schema(block.as_ref().and_then(|b| b.url.as_ref())));
        let direct_url = from_config(|c| c.direct_url.as_ref(), "datasource.directUrl")
            .or_else(|| from_schema(block.as_ref().and_then(|b| b.direct_url.as_ref())));
        let shadow_url = from_config(|c| c.shadow_url.as_ref(), "datasource.shadowDatabaseUrl")
            .or_else(|| from_schema(block.as_ref().and_then(|b| b.shadow_database_url.as_ref())));
        if block.is_none() && url.is_none() && direct_url.is_none() {
            return Ok(None);
        }
        Ok(Some(Datasource {
            url,
            direct_url,
            shadow_url,
            schemas: block.map(|b| b.schemas).unwrap_or_default(),
            schema_dir,
            config_env_files: config.map(|c| c.env_files),
        }))
    }
}

/// A URL setting as declared, wherever it was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Declared {
    /// `url`, `directUrl`, `datasource.url`, ...
    pub key: String,
    pub value: DeclaredValue,
    pub at: Location,
    /// The line, for errors.
    pub snippet: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
/// A datasource setting as written: an environment variable, a literal, or code.
pub enum DeclaredValue {
    /// `var`, else the `fallbacks` in order (`process.env.A || process.env.B`), else `default`.
    Env {
        /// The variable.
        var: String,
        /// The value when no variable is set.
        default: Option<String>,
        /// Variables tried in order after `var`.
        fallbacks: Vec<String>,
    },
    /// Written in the file.
    Literal(String),
    /// Only running the configuration would tell (its source text).
    Dynamic(String),
}

impl Declared {
    fn from_schema(s: &psl::Setting) -> Declared {
        let text = std::fs::read_to_string(&s.at.path).unwrap_or_default();
        Declared {
            key: s.key.clone(),
            value: match &s.value {
                SettingValue::Env(v) => DeclaredValue::Env {
                    var: v.clone(),
                    default: None,
                    fallbacks: Vec::new(),
                },
                SettingValue::Literal(l) => DeclaredValue::Literal(l.clone()),
            },
            snippet: crate::error::snippet(&text, &s.at),
            at: s.at.clone(),
        }
    }

    fn from_config(key: &str, l: &Located) -> Declared {
        Declared {
            key: key.to_string(),
            value: match &l.value {
                ConfigValue::Str(s) => DeclaredValue::Literal(s.clone()),
                ConfigValue::Env {
                    var,
                    default,
                    fallbacks,
                } => DeclaredValue::Env {
                    var: var.clone(),
                    default: default.clone(),
                    fallbacks: fallbacks.clone(),
                },
                ConfigValue::Dynamic(text) => DeclaredValue::Dynamic(text.clone()),
            },
            at: l.at.clone(),
            snippet: l.snippet.clone(),
        }
    }
}

/// A service's datasource, from its schema and its configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Datasource {
    pub url: Option<Declared>,
    pub direct_url: Option<Declared>,
    pub shadow_url: Option<Declared>,
    /// `schemas = [...]` of a multi-schema project.
    pub schemas: Vec<String>,
    /// Where relative certificate paths in the URL start (the schema file's directory, as
    /// Prisma resolves them).
    pub schema_dir: PathBuf,
    /// With a `prisma.config.ts`: the `.env` files its own code loads (`import "dotenv/config"`
    /// and the like), the only ones Prisma 7 sees.
    pub config_env_files: Option<Vec<PathBuf>>,
}

impl Datasource {
    /// What migrations connect through: `directUrl` when set, else `url` (as Prisma).
    pub fn migration_url(&self) -> Option<&Declared> {
        self.direct_url.as_ref().or(self.url.as_ref())
    }

    /// Every environment variable the datasource reads its URLs from (`url`, `directUrl`,
    /// `shadowDatabaseUrl`), in that order.
    pub fn variables(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for d in [&self.url, &self.direct_url, &self.shadow_url]
            .into_iter()
            .flatten()
        {
            for var in d.value.variables() {
                if !out.contains(&var) {
                    out.push(var);
                }
            }
        }
        out
    }
}

impl DeclaredValue {
    /// The environment variables this value reads.
    pub fn variables(&self) -> Vec<String> {
        match self {
            DeclaredValue::Env { var, fallbacks, .. } => {
                std::iter::once(var).chain(fallbacks).cloned().collect()
            }
            _ => Vec::new(),
        }
    }
}

fn kind_of(path: PathBuf) -> SchemaPath {
    if path.is_dir() {
        SchemaPath::Folder(path)
    } else {
        SchemaPath::File(path)
    }
}

fn default_schema(dir: &Path) -> Option<SchemaPath> {
    let file = dir.join("prisma/schema.prisma");
    if file.is_file() {
        return Some(SchemaPath::File(file));
    }
    let folder = dir.join("prisma/schema");
    if folder.is_dir() {
        return Some(SchemaPath::Folder(folder));
    }
    let top = dir.join("schema.prisma");
    top.is_file().then_some(SchemaPath::File(top))
}

/// `"prisma": { "schema": "..." }` in package.json (Prisma 5 and 6).
fn from_package_json(dir: &Path) -> Result<Option<SchemaPath>, Error> {
    let path = dir.join("package.json");
    let Ok(bytes) = std::fs::read(&path) else {
        return Ok(None);
    };
    let text = utf8_text(&path, bytes)?;
    let json: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        let at = Location {
            path: path.clone(),
            line: e.line(),
            column: e.column(),
        };
        Error::Schema {
            snippet: crate::error::snippet(&text, &at),
            at,
            message: format!("not valid JSON: {e}"),
        }
    })?;
    Ok(json
        .get("prisma")
        .and_then(|p| p.get("schema"))
        .and_then(|s| s.as_str())
        .map(|s| kind_of(dir.join(s))))
}

/// The `.prisma` files of a schema folder (and its subfolders), in path order.
fn prisma_files(folder: &Path) -> Result<Vec<PathBuf>, Error> {
    let mut files = Vec::new();
    for entry in walkdir::WalkDir::new(folder).sort_by_file_name() {
        let entry = entry.map_err(|e| {
            Error::io(
                e.path().unwrap_or(folder),
                std::io::Error::other(e.to_string()),
            )
        })?;
        let p = entry.path();
        // Migrations live beside the schema and are not part of it.
        if entry.file_type().is_dir() && p.file_name().is_some_and(|n| n == "migrations") {
            continue;
        }
        if entry.file_type().is_file() && p.extension().is_some_and(|e| e == "prisma") {
            files.push(p.to_path_buf());
        }
    }
    Ok(files)
}

/// The file of a schema folder that holds the datasource block.
fn datasource_file(folder: &Path) -> Option<PathBuf> {
    prisma_files(folder).ok()?.into_iter().find(|p| {
        std::fs::read_to_string(p).is_ok_and(|t| {
            SourceFile::parse(p, t)
                .ast
                .blocks
                .iter()
                .any(|b| b.kind == psl::BlockKind::Datasource)
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, path: &str, text: &str) {
        let p = dir.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    #[test]
    fn default_layout_is_prismas() {
        let d = tempfile::tempdir().unwrap();
        write(
            d.path(),
            "prisma/schema.prisma",
            "datasource db {\n  provider = \"postgresql\"\n  url = env(\"A\")\n}\n",
        );
        let l = Layout::find(d.path()).unwrap();
        assert_eq!(l.migrations_dir, d.path().join("prisma/migrations"));
        let ds = l.datasource().unwrap().unwrap();
        assert_eq!(ds.schema_dir, d.path().join("prisma"));
        assert_eq!(
            ds.migration_url().unwrap().value,
            DeclaredValue::Env {
                var: "A".into(),
                default: None,
                fallbacks: vec![]
            }
        );
    }

    #[test]
    fn a_schema_folder_keeps_migrations_beside_the_datasource() {
        let d = tempfile::tempdir().unwrap();
        write(
            d.path(),
            "prisma/schema/models/user.prisma",
            "model User {\n  id Int @id\n}\n",
        );
        write(
            d.path(),
            "prisma/schema/main.prisma",
            "datasource db {\n  provider = \"postgresql\"\n  url = env(\"A\")\n  directUrl = env(\"B\")\n}\n",
        );
        let l = Layout::find(d.path()).unwrap();
        assert_eq!(l.migrations_dir, d.path().join("prisma/schema/migrations"));
        let ds = l.datasource().unwrap().unwrap();
        assert_eq!(ds.migration_url().unwrap().key, "directUrl");
    }

    #[test]
    fn the_config_file_wins() {
        let d = tempfile::tempdir().unwrap();
        write(
            d.path(),
            "db/schema.prisma",
            "datasource db {\n  provider = \"postgresql\"\n}\n",
        );
        write(
            d.path(),
            "prisma.config.ts",
            "import { defineConfig, env } from \"prisma/config\";\nexport default defineConfig({\n  schema: \"db/schema.prisma\",\n  migrations: { path: \"db/history\" },\n  datasource: { url: env(\"SVC_URL\") },\n});\n",
        );
        let l = Layout::find(d.path()).unwrap();
        assert_eq!(
            l.schema,
            Some(SchemaPath::File(d.path().join("db/schema.prisma")))
        );
        assert_eq!(l.migrations_dir, d.path().join("db/history"));
        let url = l.datasource().unwrap().unwrap().url.unwrap();
        assert_eq!(url.key, "datasource.url");
        assert_eq!(url.at.line, 5);
        // Missing, it is named as the file names it, `./` left out.
        write(
            d.path(),
            "prisma.config.ts",
            "import { defineConfig } from \"prisma/config\";\nexport default defineConfig({\n  schema: \"db/schema.prisma\",\n  migrations: { path: \"./.prisma-migrations\" },\n});\n",
        );
        let svc = crate::workspace::Service::new("svc", d.path()).unwrap();
        assert_eq!(svc.migrations_dir(), d.path().join(".prisma-migrations"));
        let e = svc.migration_dirs().unwrap_err().to_string();
        assert!(
            e.contains(
                ".prisma-migrations: the migrations directory does not exist (migrations.path of "
            ) && e.contains("prisma.config.ts)"),
            "{e}"
        );
    }

    #[test]
    fn a_computed_migrations_path_is_an_error_at_its_line() {
        let d = tempfile::tempdir().unwrap();
        write(
            d.path(),
            "prisma.config.ts",
            "export default {\n  migrations: { path: getPath() },\n};\n",
        );
        let e = Layout::find(d.path()).unwrap_err().to_string();
        assert!(
            e.contains("prisma.config.ts:2:23: `migrations.path` cannot be read"),
            "{e}"
        );
    }
}
