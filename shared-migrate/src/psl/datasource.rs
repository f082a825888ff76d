//! The `datasource` block: where Prisma's CLI connects. `url` and `directUrl` are a string or
//! `env("NAME")`; migrations use `directUrl` when it is set (it bypasses a pooler), as Prisma
//! does. `schemas` lists the schemas of a multi-schema project.

use super::SourceFile;
use super::ast::{BlockKind, Expr, ExprKind, Item};
use crate::error::{Error, Location};

/// A setting's value as the schema writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SettingValue {
    /// `env("NAME")`
    Env(String),
    /// `"postgresql://..."`
    Literal(String),
}

/// A `url`-like setting and where it is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Setting {
    /// `url`, `directUrl`, `shadowDatabaseUrl`.
    pub key: String,
    pub value: SettingValue,
    pub at: Location,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DatasourceBlock {
    pub name: String,
    pub provider: Option<String>,
    pub url: Option<Setting>,
    pub direct_url: Option<Setting>,
    pub shadow_database_url: Option<Setting>,
    /// `schemas = [...]`, in order; empty when not set.
    pub schemas: Vec<String>,
    /// `relationMode = "prisma"`: relations are kept by the client, not by foreign keys.
    pub relation_mode: Option<String>,
    /// `extensions = [...]` (preview feature postgresqlExtensions), and where.
    pub extensions: Option<(Vec<DeclaredExtension>, Location)>,
    pub at: Location,
}

/// The datasource of a schema (one file, or every file of a schema folder). A syntax error in
/// the datasource block, a second datasource, or a setting that is neither a string nor
/// `env("NAME")` is an error; errors in other blocks are left to whoever reads those.
pub(crate) fn datasource(files: &[SourceFile]) -> Result<Option<DatasourceBlock>, Error> {
    for file in files {
        if let Some(e) = file
            .errors
            .iter()
            .find(|e| matches!(e.block, Some((BlockKind::Datasource, _))))
        {
            return Err(file.error_at(e.offset, e.message.clone()));
        }
    }
    let mut found: Option<DatasourceBlock> = None;
    for file in files {
        for block in file
            .ast
            .blocks
            .iter()
            .filter(|b| b.kind == BlockKind::Datasource)
        {
            if let Some(first) = &found {
                return Err(file.error_at(
                    block.span.start,
                    format!(
                        "a second datasource block (the first is `{}` at {}): a schema has one datasource",
                        first.name, first.at
                    ),
                ));
            }
            let mut ds = DatasourceBlock {
                name: block.name.name.clone(),
                provider: None,
                url: None,
                direct_url: None,
                shadow_database_url: None,
                schemas: Vec::new(),
                relation_mode: None,
                extensions: None,
                at: file.location(block.span.start),
            };
            for item in &block.items {
                let Item::Property { key, value } = item else {
                    continue;
                };
                match key.name.as_str() {
                    "provider" => {
                        ds.provider = Some(string(file, &key.name, value)?);
                    }
                    "url" => ds.url = Some(setting(file, "url", value)?),
                    "directUrl" => ds.direct_url = Some(setting(file, "directUrl", value)?),
                    "shadowDatabaseUrl" => {
                        ds.shadow_database_url = Some(setting(file, "shadowDatabaseUrl", value)?)
                    }
                    // `referentialIntegrity` is its name before Prisma 4.5.
                    "relationMode" | "referentialIntegrity" => {
                        ds.relation_mode = Some(string(file, &key.name, value)?);
                    }
                    "schemas" => {
                        ds.schemas = value
                            .elements()
                            .into_iter()
                            .map(|e| string(file, "schemas", e))
                            .collect::<Result<_, _>>()?;
                    }
                    "extensions" => {
                        // Elements are identifiers or calls (`pgcrypto`, `postgis(version: ..)`).
                        let list = value
                            .elements()
                            .into_iter()
                            .map(|e| extension(file, e))
                            .collect::<Result<_, _>>()?;
                        ds.extensions = Some((list, file.location(key.span.start)));
                    }
                    _ => {}
                }
            }
            if let Some(p) = &ds.provider
                && !matches!(p.as_str(), "postgresql" | "postgres")
            {
                return Err(file.error_at(
                    block.span.start,
                    format!(
                        "the datasource's provider is `{p}`: this tool deploys to PostgreSQL only (provider = \"postgresql\")"
                    ),
                ));
            }
            found = Some(ds);
        }
    }
    Ok(found)
}

/// An extension the datasource declares, as Prisma reads it: the database's name (`map:`, else
/// the identifier) and the schema and version asked for (empty: any).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DeclaredExtension {
    pub name: String,
    pub schema: String,
    pub version: String,
}

fn extension(file: &SourceFile, e: &Expr) -> Result<DeclaredExtension, Error> {
    let (ident, args) = match &e.kind {
        ExprKind::Path(name) => (name.clone(), &[][..]),
        ExprKind::Call { name, args } => (name.clone(), &args[..]),
        _ => {
            return Err(file.error_at(
                e.span.start,
                format!(
                    "an extension is a name or a call like `pgvector(map: \"vector\")`, found {}",
                    e.describe()
                ),
            ));
        }
    };
    let mut ext = DeclaredExtension {
        name: ident,
        schema: String::new(),
        version: String::new(),
    };
    for arg in args {
        let Some(key) = &arg.name else {
            return Err(file.error_at(
                arg.value.span.start,
                "an extension's arguments are named: map, schema or version",
            ));
        };
        let value = string(file, &key.name, &arg.value)?;
        match key.name.as_str() {
            "map" => ext.name = value,
            "schema" => ext.schema = value,
            "version" => ext.version = value,
            other => {
                return Err(file.error_at(
                    key.span.start,
                    format!("`{other}` is not an argument of an extension: map, schema or version"),
                ));
            }
        }
    }
    Ok(ext)
}

fn string(file: &SourceFile, key: &str, value: &Expr) -> Result<String, Error> {
    value.as_str().map(str::to_string).ok_or_else(|| {
        file.error_at(
            value.span.start,
            format!("`{key}` must be a string, found {}", value.describe()),
        )
    })
}

fn setting(file: &SourceFile, key: &str, value: &Expr) -> Result<Setting, Error> {
    let at = file.location(value.span.start);
    let value = match &value.kind {
        ExprKind::Str(s) => SettingValue::Literal(s.clone()),
        ExprKind::Call { name, args } if name == "env" => match args.as_slice() {
            [arg] if arg.name.is_none() => match arg.value.as_str() {
                Some(var) if !var.is_empty() => SettingValue::Env(var.to_string()),
                _ => {
                    return Err(file.error_at(
                            arg.value.span.start,
                            "env() takes the name of an environment variable as a string: env(\"DATABASE_URL\")",
                        ));
                }
            },
            _ => {
                return Err(file.error_at(
                        value.span.start,
                        "env() takes one argument, the name of an environment variable: env(\"DATABASE_URL\")",
                    ));
            }
        },
        _ => {
            return Err(file.error_at(
                value.span.start,
                format!(
                    "`{key}` must be a string or env(\"NAME\"), found {}",
                    value.describe()
                ),
            ));
        }
    };
    Ok(Setting {
        key: key.to_string(),
        value,
        at,
    })
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn read(files: &[(&str, &str)]) -> Result<Option<DatasourceBlock>, Error> {
        let files: Vec<SourceFile> = files
            .iter()
            .map(|(p, t)| SourceFile::parse(Path::new(p), t.to_string()))
            .collect();
        datasource(&files)
    }

    #[test]
    fn reads_url_direct_url_and_schemas() {
        let ds = read(&[(
            "schema.prisma",
            "datasource db {\n  provider = \"postgresql\"\n  url = env(\"EDU_DB\")\n  directUrl = env(\"EDU_DIRECT\")\n  schemas = [\"a\", \"b\"]\n}\nmodel A {\n  id Int @id\n}\n",
        )])
        .unwrap()
        .unwrap();
        assert_eq!(ds.url.unwrap().value, SettingValue::Env("EDU_DB".into()));
        let direct = ds.direct_url.clone().unwrap();
        assert_eq!(direct.value, SettingValue::Env("EDU_DIRECT".into()));
        assert_eq!(direct.at.to_string(), "schema.prisma:4:15");
        assert_eq!(ds.schemas, vec!["a", "b"]);
    }

    #[test]
    fn a_second_file_may_hold_it_but_not_twice() {
        let ds = read(&[
            ("a.prisma", "model A {\n  id Int @id\n}\n"),
            (
                "b.prisma",
                "datasource db {\n  url = \"postgresql://u@h/d\"\n}\n",
            ),
        ])
        .unwrap()
        .unwrap();
        assert_eq!(
            ds.url.unwrap().value,
            SettingValue::Literal("postgresql://u@h/d".into())
        );
        let e = read(&[
            ("a.prisma", "datasource a {\n  url = env(\"A\")\n}\n"),
            ("b.prisma", "datasource b {\n  url = env(\"B\")\n}\n"),
        ])
        .unwrap_err()
        .to_string();
        assert!(e.starts_with("b.prisma:1:1: a second datasource"), "{e}");
    }

    #[test]
    fn refuses_what_is_not_a_url_setting() {
        let e = read(&[("s.prisma", "datasource db {\n  url = env(DB)\n}\n")])
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("s.prisma:2:13: env() takes"), "{e}");
        let e = read(&[("s.prisma", "datasource db {\n  provider = \"mysql\"\n}\n")])
            .unwrap_err()
            .to_string();
        assert!(e.contains("PostgreSQL only"), "{e}");
    }
}
