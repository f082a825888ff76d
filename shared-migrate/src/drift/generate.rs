//! `cargo xtask new --from-schema`: the migration `prisma migrate dev --create-only` would
//! write for the difference between the service's migrations and its schema.prisma, byte for
//! byte (warnings header, step comments, statements), without Node or a shadow database of
//! the user's.

use std::path::PathBuf;

use super::{DiffReport, Places, Source, diff_service};
use crate::config;
use crate::diff;
use crate::error::Error;
use crate::workspace::{Service, create_migration_with, naming};

/// What `new --from-schema` did.
#[derive(Debug)]
pub enum GeneratedMigration {
    /// The folder written, with Prisma's warnings and our rename hints.
    Written {
        path: PathBuf,
        warnings: Vec<String>,
        renames: Vec<String>,
    },
    /// schema.prisma and the migrations agree: nothing written.
    InSync,
}

/// Prisma's message when there is nothing to write.
pub const IN_SYNC: &str = "Already in sync, no schema change or pending migration was found.";

/// Writes `<now>_<description>/migration.sql` with the SQL Prisma would write, or nothing when
/// the migrations already build schema.prisma.
///
/// A schema without a single model would have every table dropped (what Prisma's engine writes
/// for a datasource-only schema): usually a schema that was not found where it was expected,
/// or a folder whose model files moved. Refused unless `allow_empty_schema`.
pub fn from_schema(
    service: &Service,
    description: &str,
    places: &Places,
    allow_empty_schema: bool,
) -> Result<GeneratedMigration, Error> {
    // The name first: a bad one is refused before any database is started.
    let vague_words = config::lint_config(&places.ws.root, service)?.vague_words;
    naming::check_description(description, &vague_words)
        .map_err(|p| Error::Config(format!("cannot create migration `{description}`: {p}")))?;
    let report = diff_service(service, Source::Migrations, Source::Schema, places);
    let DiffReport {
        result,
        script,
        warnings,
        differences,
        ..
    } = report;
    result?;
    if differences.is_empty() {
        return Ok(GeneratedMigration::InSync);
    }
    if !allow_empty_schema {
        refuse_dropping_everything(service, &script)?;
    }
    let file = diff::with_warnings(&warnings, &script);
    let renames = rename_hints(&script);
    let path = create_migration_with(service, description, &vague_words, &file)?;
    Ok(GeneratedMigration::Written {
        path,
        warnings,
        renames,
    })
}

fn refuse_dropping_everything(service: &Service, script: &str) -> Result<(), Error> {
    let files = service.layout.schema_files()?;
    let models = files
        .iter()
        .flat_map(|f| &f.ast.blocks)
        .filter(|b| {
            matches!(
                b.kind,
                crate::psl::BlockKind::Model | crate::psl::BlockKind::View
            )
        })
        .count();
    if models > 0 {
        return Ok(());
    }
    let dropped = script.matches("DROP TABLE").count();
    let schema = service.layout.schema.as_ref().map_or_else(
        || "no schema file".to_string(),
        |s| s.path().display().to_string(),
    );
    Err(Error::Config(format!(
        "{schema} defines no model, so the migration would drop every table of service `{}` ({}) and nothing was written: if the models are elsewhere (a schema folder, prisma.config.ts `schema`, package.json `prisma.schema`), point the service at them; to drop everything on purpose, pass --allow-empty-schema",
        service.name,
        crate::text::plural(dropped, "table")
    )))
}

/// Prisma writes a renamed field as a dropped column and an added one (the data is lost). For
/// each table where that pattern appears, how to turn it into the guide's `RENAME COLUMN`.
fn rename_hints(script: &str) -> Vec<String> {
    let mut out = Vec::new();
    for block in script.split("\n\n") {
        let Some(rest) = block.strip_prefix("-- AlterTable\nALTER TABLE ") else {
            continue;
        };
        let Some((table, clauses)) = rest.split_once(' ') else {
            continue;
        };
        let dropped: Vec<&str> = clauses
            .lines()
            .filter_map(|l| l.trim_start().strip_prefix("DROP COLUMN "))
            .map(|c| c.trim_end_matches([',', ';']))
            .collect();
        let added: Vec<&str> = clauses
            .lines()
            .filter_map(|l| l.trim_start().strip_prefix("ADD COLUMN "))
            .filter_map(|c| c.split_whitespace().next())
            .collect();
        for d in &dropped {
            for a in &added {
                out.push(format!(
                    "if {d} of {table} was renamed to {a}, keep its data: replace its DROP COLUMN and ADD COLUMN with `ALTER TABLE {table} RENAME COLUMN {d} TO {a};`"
                ));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_drop_and_add_gets_the_rename_hint() {
        let script = "-- AlterTable\nALTER TABLE \"students\" DROP COLUMN \"name\",\nADD COLUMN     \"fullName\" TEXT NOT NULL;\n";
        assert_eq!(
            rename_hints(script),
            vec!["if \"name\" of \"students\" was renamed to \"fullName\", keep its data: replace its DROP COLUMN and ADD COLUMN with `ALTER TABLE \"students\" RENAME COLUMN \"name\" TO \"fullName\";`".to_string()]
        );
    }
}
