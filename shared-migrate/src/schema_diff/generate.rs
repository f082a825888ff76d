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
        /// The new migration folder.
        path: PathBuf,
        /// `--safe`: the migrations written after it, an index built CONCURRENTLY each.
        also: Vec<PathBuf>,
        /// Prisma's data-loss warnings, written at the top of the file too.
        warnings: Vec<String>,
        /// Drops and adds that may be renames, with the edit to make.
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
/// How `new --from-schema` writes.
#[derive(Debug, Clone, Copy, Default)]
pub struct GenerateOptions {
    /// Accept a schema without a model (every table dropped).
    pub allow_empty_schema: bool,
    /// The guide's safe form ([`safe`]) instead of Prisma's bytes.
    pub safe: bool,
}

/// Writes a new migration from the difference between the service's migrations and its schema.prisma (`new --from-schema`).
pub fn from_schema(
    service: &Service,
    description: &str,
    places: &Places,
    options: GenerateOptions,
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
    if !options.allow_empty_schema {
        refuse_dropping_everything(service, &script)?;
    }
    let renames = rename_hints(&script);
    if !options.safe {
        let file = diff::with_warnings(&warnings, &script);
        let path = create_migration_with(service, description, &vague_words, &file)?;
        return Ok(GeneratedMigration::Written {
            path,
            also: Vec::new(),
            warnings,
            renames,
        });
    }
    let made = safe(&script);
    // The required columns are backfilled now: Prisma's warning about them no longer holds.
    let warnings: Vec<String> = warnings
        .into_iter()
        .filter(|w| {
            !made
                .backfilled
                .iter()
                .any(|(t, c)| w.contains(&format!("required column `{c}` to the `{t}` table")))
        })
        .collect();
    let mut path = None;
    if !made.main.trim().is_empty() {
        let file = diff::with_warnings(&warnings, &made.main);
        path = Some(create_migration_with(
            service,
            description,
            &vague_words,
            &file,
        )?);
    }
    let mut also = Vec::new();
    for (i, index) in made.indexes.iter().enumerate() {
        let name = match (path.is_none() && i == 0, made.indexes.len()) {
            (true, _) => description.to_string(),
            (false, 1) => format!("{description}_index"),
            (false, _) => format!("{description}_index_{}", i + 1),
        };
        let written = create_migration_with(service, &name, &vague_words, index)?;
        match path {
            None => path = Some(written),
            Some(_) => also.push(written),
        }
    }
    Ok(GeneratedMigration::Written {
        path: path.expect("a difference writes something"),
        also,
        warnings,
        renames,
    })
}

/// Prisma's script in the guide's safe form (`new --safe`).
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Safe {
    /// Everything but the indexes on existing tables.
    pub main: String,
    /// Each index on a table that existed before: its own file, `CREATE INDEX CONCURRENTLY`
    /// alone (so Prisma, which sends a file as one query, can deploy it too).
    pub indexes: Vec<String>,
    /// (table, column) of each required column added as nullable, backfilled, then SET NOT NULL.
    pub backfilled: Vec<(String, String)>,
}

/// Rewrites Prisma's script ([`crate::diff::script`]'s blocks, one step each, separated by a
/// blank line): an index on a table the script does not create moves to a file of its own,
/// built CONCURRENTLY; a required column without a default added to an existing table becomes
/// nullable, then a backfill whose value is a `TODO(backfill)` (lint reports it until a person
/// writes it), then `SET NOT NULL`. Everything else (drops included) stays as Prisma wrote it.
pub(crate) fn safe(script: &str) -> Safe {
    let created: Vec<&str> = script
        .lines()
        .filter_map(|l| l.strip_prefix("CREATE TABLE "))
        .filter_map(|rest| rest.split(" (").next())
        .collect();
    let mut out = Safe::default();
    let mut main: Vec<String> = Vec::new();
    for block in script.split("\n\n") {
        if let Some(statement) = block.strip_prefix("-- CreateIndex\n")
            && let Some(table) = index_table(statement)
            && !created.contains(&table)
        {
            let concurrent = statement
                .replacen(
                    "CREATE UNIQUE INDEX ",
                    "CREATE UNIQUE INDEX CONCURRENTLY ",
                    1,
                )
                .replacen("CREATE INDEX ", "CREATE INDEX CONCURRENTLY ", 1);
            out.indexes
                .push(format!("-- CreateIndex\n{}\n", concurrent.trim_end()));
            continue;
        }
        if let Some(statement) = block.strip_prefix("-- AlterTable\n")
            && let Some((rewritten, columns)) = backfill_required(statement)
        {
            out.backfilled.extend(columns);
            main.push(format!("-- AlterTable\n{rewritten}"));
            continue;
        }
        main.push(block.to_string());
    }
    out.main = main.join("\n\n");
    if !out.main.is_empty() && !out.main.ends_with('\n') {
        out.main.push('\n');
    }
    out
}

/// `"T"` (as written, quoted) of `CREATE [UNIQUE] INDEX "n" ON "T"...`.
fn index_table(statement: &str) -> Option<&str> {
    let rest = &statement[statement.find(" ON ")? + 4..];
    let end = rest.find(['(', ' ']).unwrap_or(rest.len());
    Some(&rest[..end])
}

/// An `ALTER TABLE "T" ADD COLUMN ...` whose required columns without a default are added as
/// nullable, backfilled and made required; None when it has none.
fn backfill_required(statement: &str) -> Option<(String, Vec<(String, String)>)> {
    let table = statement
        .strip_prefix("ALTER TABLE ")?
        .split(' ')
        .next()?
        .to_string();
    let body = statement.trim_end().strip_suffix(';')?;
    let clauses: Vec<&str> = body.split(",\n").collect();
    let mut fixed = Vec::new();
    let mut after = Vec::new();
    let mut columns = Vec::new();
    for clause in &clauses {
        let is_required_add = clause.contains("ADD COLUMN")
            && clause.trim_end().ends_with(" NOT NULL")
            && !clause.contains(" DEFAULT ");
        if !is_required_add {
            fixed.push(clause.to_string());
            continue;
        }
        let column = clause
            .split('"')
            .nth(if clause.starts_with("ALTER TABLE") {
                3
            } else {
                1
            })?;
        fixed.push(clause.trim_end().trim_end_matches(" NOT NULL").to_string());
        let bare = table.trim_matches('"');
        after.push(format!(
            "-- Backfill: the rows already in {table} get a value before the column is required.\nUPDATE {table} SET \"{column}\" = NULL /* TODO(backfill): the value of \"{column}\" for the rows already in \"{bare}\" */ WHERE \"{column}\" IS NULL;\nALTER TABLE {table} ALTER COLUMN \"{column}\" SET NOT NULL;"
        ));
        columns.push((bare.to_string(), column.to_string()));
    }
    if columns.is_empty() {
        return None;
    }
    Some((
        format!("{};\n\n{}", fixed.join(",\n"), after.join("\n\n")),
        columns,
    ))
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
/// each table where that pattern appears, the ways to keep the data that lint accepts: the
/// field mapped to the old column (`@map`), else the guide's expand and contract (a bare
/// `RENAME COLUMN` breaks the code still running, and lint's `rename-column` says so).
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
                    "if {d} of {table} was renamed to {a}, keep its data: map the field to the old column, `@map({d})` on it in schema.prisma, and generate again (nothing to migrate; running code keeps working); to rename the column itself, expand and contract over several deploys: add {a}, write both, backfill it, read {a}, then drop {d} (the guide's Zero-Downtime Migrations)"
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
    fn safe_moves_indexes_on_existing_tables_and_backfills_required_columns() {
        let script = "-- CreateTable\nCREATE TABLE \"Tag\" (\n    \"id\" INTEGER NOT NULL\n);\n\n-- AlterTable\nALTER TABLE \"Student\" ADD COLUMN     \"active\" BOOLEAN NOT NULL DEFAULT true,\nADD COLUMN     \"code\" TEXT NOT NULL;\n\n-- CreateIndex\nCREATE INDEX \"Tag_id_idx\" ON \"Tag\"(\"id\");\n\n-- CreateIndex\nCREATE UNIQUE INDEX \"Student_code_key\" ON \"Student\"(\"code\");";
        let made = safe(script);
        assert_eq!(
            made.indexes,
            [
                "-- CreateIndex\nCREATE UNIQUE INDEX CONCURRENTLY \"Student_code_key\" ON \"Student\"(\"code\");\n"
            ]
        );
        assert_eq!(
            made.backfilled,
            [("Student".to_string(), "code".to_string())]
        );
        assert!(made.main.contains("ADD COLUMN     \"active\" BOOLEAN NOT NULL DEFAULT true,\nADD COLUMN     \"code\" TEXT;"), "{}", made.main);
        assert!(
            made.main
                .contains("UPDATE \"Student\" SET \"code\" = NULL /* TODO(backfill)"),
            "{}",
            made.main
        );
        assert!(
            made.main
                .contains("ALTER TABLE \"Student\" ALTER COLUMN \"code\" SET NOT NULL;"),
            "{}",
            made.main
        );
        // An index on a table the same migration creates stays (nothing reads it yet).
        assert!(
            made.main.contains("CREATE INDEX \"Tag_id_idx\""),
            "{}",
            made.main
        );
    }

    #[test]
    fn a_drop_and_add_gets_the_rename_hint() {
        let script = "-- AlterTable\nALTER TABLE \"students\" DROP COLUMN \"name\",\nADD COLUMN     \"fullName\" TEXT NOT NULL;\n";
        assert_eq!(
            rename_hints(script),
            vec!["if \"name\" of \"students\" was renamed to \"fullName\", keep its data: map the field to the old column, `@map(\"name\")` on it in schema.prisma, and generate again (nothing to migrate; running code keeps working); to rename the column itself, expand and contract over several deploys: add \"fullName\", write both, backfill it, read \"fullName\", then drop \"name\" (the guide's Zero-Downtime Migrations)".to_string()]
        );
    }
}
