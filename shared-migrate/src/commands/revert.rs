//! `new --revert NAME`: the guide's rollback strategy 1, a new migration that reverses another.
//! Prisma has no down migrations; this writes the mechanical reversal of each statement, last
//! first, with the schema as the history left it just before (old column types, index and
//! constraint definitions). What cannot be reversed without losing data, or without knowledge
//! the files do not hold, gets a `TODO(revert)` comment, which `cargo xtask lint` reports as an
//! error (rule `revert-todo`) until a person resolves it and removes the marker.

use std::collections::HashMap;
use std::ops::Range;
use std::path::PathBuf;

use crate::db::quote_ident as q;
use crate::error::Error;
use crate::lint::REVERT_TODO as TODO;
use crate::sql::{self, ActionKind, Catalog};
use crate::text::{one_line, suggest};
use crate::workspace::{Migration, Service, create_migration, naming};

/// The reversal of one migration.
#[derive(Debug)]
pub struct Reversal {
    pub sql: String,
    /// Statements reversed mechanically.
    pub reversed: usize,
    /// Places marked TODO(revert).
    pub todos: usize,
}

/// Writes `<now>_revert_<description of NAME>/migration.sql` and returns its path.
pub fn create_revert(
    service: &Service,
    name: &str,
    vague_words: &[String],
) -> Result<(PathBuf, Reversal), Error> {
    let reversal = reverse(service, name)?;
    let description = naming::parts(name).map_or(name, |(_, d)| d);
    let path = create_migration(
        service,
        &format!("revert_{}", snake_case(description)),
        vague_words,
    )?;
    std::fs::write(&path, &reversal.sql).map_err(|e| Error::io(&path, e))?;
    Ok((path, reversal))
}

/// A folder description made lower snake case (Prisma accepts any folder name; ours must be).
fn snake_case(description: &str) -> String {
    let mut out = String::new();
    for c in description.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('_') {
            out.push('_');
        }
    }
    let out = out.trim_end_matches('_');
    if out.is_empty() {
        "migration".into()
    } else {
        out.into()
    }
}

/// What the history knows about definitions, for re-creating what a migration dropped.
#[derive(Default)]
struct Definitions {
    /// Index name -> its CREATE INDEX statement.
    indexes: HashMap<String, String>,
    /// (table, constraint name) -> `CONSTRAINT ... ` clause.
    constraints: HashMap<(String, String), String>,
    /// Table -> the migration that created it.
    created_by: HashMap<String, String>,
}

impl Definitions {
    /// Records what `kind` (at `range` of the file `sql`) defines.
    fn record(&mut self, kind: &ActionKind, sql: &str, range: &Range<usize>, migration: &str) {
        let text = &sql[range.clone()];
        match kind {
            ActionKind::CreateTable {
                table,
                foreign_keys,
                ..
            } => {
                self.created_by.insert(table.clone(), migration.to_string());
                for fk in foreign_keys {
                    if let Some(name) = &fk.name {
                        self.constraints
                            .insert((table.clone(), name.clone()), sql[fk.range.clone()].into());
                    }
                }
            }
            ActionKind::CreateIndex {
                name: Some(name), ..
            } => {
                self.indexes.insert(name.clone(), text.to_string());
            }
            ActionKind::AddForeignKey {
                table, foreign_key, ..
            } => {
                if let Some(name) = &foreign_key.name {
                    self.constraints.insert(
                        (table.clone(), name.clone()),
                        sql[foreign_key.range.clone()].into(),
                    );
                }
            }
            ActionKind::AddCheck {
                table,
                name: Some(name),
                ..
            }
            | ActionKind::AddKey {
                table,
                name: Some(name),
                ..
            } => {
                let clause = text.trim_start();
                let clause = clause
                    .get(..4)
                    .filter(|p| p.eq_ignore_ascii_case("add "))
                    .map_or(clause, |_| &clause[4..]);
                self.constraints
                    .insert((table.clone(), name.clone()), clause.trim().to_string());
            }
            _ => {}
        }
    }
}

/// The reversal of `name`, from the service's history up to it.
pub(crate) fn reverse(service: &Service, name: &str) -> Result<Reversal, Error> {
    let dirs = service.migration_dirs()?;
    let Some(target) = dirs.iter().position(|(n, _)| n == name) else {
        return Err(Error::Config(format!(
            "--revert `{name}` is not a migration of `{}` (in {}){}",
            service.name,
            service.migrations_dir().display(),
            suggest(name, dirs.iter().map(|(n, _)| n.as_str()))
        )));
    };
    let mut catalog = Catalog::default();
    let mut defs = Definitions::default();
    for (i, (n, dir)) in dirs[..target].iter().enumerate() {
        let m = Migration::load(n.clone(), dir)?;
        for st in sql::analyse(&m.sql).statements {
            for a in &st.actions {
                defs.record(&a.kind, &m.sql, &a.range, n);
                catalog.apply(&a.kind, i, &a.range);
            }
        }
    }
    let m = Migration::load(name.to_string(), &dirs[target].1)?;
    let analysis = sql::analyse(&m.sql);
    if let Some((range, message)) = &analysis.syntax_error {
        return Err(Error::Config(format!(
            "{}: cannot reverse a migration that does not parse (at byte {}): {message}",
            m.path.display(),
            range.start
        )));
    }
    // Each statement's reversal, in the file's order; written last first.
    let mut chunks: Vec<Vec<Step>> = Vec::new();
    for st in &analysis.statements {
        let text = &m.sql[st.range.clone()];
        let mut steps = Vec::new();
        if st.actions.is_empty() {
            steps.push(statement_without_actions(text));
        }
        for a in &st.actions {
            steps.push(step(&a.kind, &catalog, &defs, &m.sql[a.range.clone()]));
            catalog.apply(&a.kind, target, &a.range);
        }
        // Several actions of one statement (ADD COLUMN a, ADD COLUMN b) are undone last first.
        steps.reverse();
        chunks.push(steps);
    }
    let mut out = format!(
        "-- Reverts {name} (written by `cargo xtask new --revert`).\n\
         -- Review every statement before applying it. Reversing an addition drops what was\n\
         -- written since (lint reports those: add `-- lint:allow <rule>: <why>` once sure).\n\
         -- Each `{TODO}` could not be reversed without losing data or knowledge the files do\n\
         -- not hold: resolve it and delete the marker; `cargo xtask lint` fails until then.\n"
    );
    let (mut reversed, mut todos) = (0, 0);
    for step in chunks.into_iter().rev().flatten() {
        out.push('\n');
        match step {
            Step::Sql(sql) => {
                reversed += 1;
                out.push_str(&sql);
            }
            Step::Todo { why, suggestion } => {
                todos += 1;
                out.push_str(&format!("-- {TODO}: {why}\n"));
                if let Some(s) = suggestion {
                    out.push_str(&s);
                }
            }
        }
        if !out.ends_with('\n') {
            out.push('\n');
        }
    }
    if reversed + todos == 0 {
        out.push_str(&format!(
            "\n-- {TODO}: {name} holds no statement to reverse.\n"
        ));
        todos += 1;
    }
    Ok(Reversal {
        sql: out,
        reversed,
        todos,
    })
}

enum Step {
    Sql(String),
    /// Needs a person; `suggestion` is SQL that restores the shape, not the data.
    Todo {
        why: String,
        suggestion: Option<String>,
    },
}

fn todo(why: String) -> Step {
    Step::Todo {
        why,
        suggestion: None,
    }
}

/// One line of a statement, for messages.
fn head(text: &str) -> String {
    one_line(text, 80)
}

/// A type as SQL: names with capitals (enums Prisma created) need their quotes back.
fn type_sql(ty: &str) -> String {
    if ty.chars().any(|c| c.is_ascii_uppercase()) {
        q(ty)
    } else {
        ty.to_string()
    }
}

fn step(kind: &ActionKind, catalog: &Catalog, defs: &Definitions, text: &str) -> Step {
    use ActionKind::*;
    match kind {
        CreateTable { table, .. } => Step::Sql(format!("DROP TABLE {};", q(table))),
        CreateEnum { ty } => Step::Sql(format!("DROP TYPE {};", q(ty))),
        DropTable { table } => {
            let columns = catalog.tables.get(table).map(|t| {
                let mut cols: Vec<_> = t.columns.iter().collect();
                cols.sort();
                cols.iter()
                    .map(|(c, ty)| format!("    {} {}", q(c), type_sql(ty)))
                    .collect::<Vec<_>>()
                    .join(",\n")
            });
            let from = defs
                .created_by
                .get(table)
                .map_or(String::new(), |m| format!(" (created by {m})"));
            Step::Todo {
                why: format!(
                    "table {} was dropped with its rows: restore them from a backup. The statement below brings back its columns only{from}: add its keys, indexes, constraints and column order from that definition.",
                    q(table)
                ),
                suggestion: columns.map(|c| format!("CREATE TABLE {} (\n{c}\n);", q(table))),
            }
        }
        RenameTable { from, to } => {
            Step::Sql(format!("ALTER TABLE {} RENAME TO {};", q(to), q(from)))
        }
        AddColumn { table, column } => Step::Sql(format!(
            "ALTER TABLE {} DROP COLUMN {};",
            q(table),
            q(&column.name)
        )),
        DropColumn { table, column } => {
            let ty = catalog.column_type(table, column);
            Step::Todo {
                why: format!(
                    "column {}.{} was dropped with its values: restore them from a backup, and its NOT NULL, default and constraints, which the history does not say precisely.",
                    q(table),
                    q(column)
                ),
                suggestion: ty.map(|ty| {
                    format!(
                        "ALTER TABLE {} ADD COLUMN {} {};",
                        q(table),
                        q(column),
                        type_sql(ty)
                    )
                }),
            }
        }
        RenameColumn { table, from, to } => Step::Sql(format!(
            "ALTER TABLE {} RENAME COLUMN {} TO {};",
            q(table),
            q(to),
            q(from)
        )),
        SetType {
            table, column, ty, ..
        } => match catalog.column_type(table, column) {
            Some(old) => Step::Sql(format!(
                "-- Back from {ty} to {old}: values that do not fit {old} make this fail; precision beyond it is lost.\nALTER TABLE {} ALTER COLUMN {} SET DATA TYPE {};",
                q(table),
                q(column),
                type_sql(old)
            )),
            None => todo(format!(
                "the type of {}.{} before `{}` is not in the history: set it back by hand.",
                q(table),
                q(column),
                head(text)
            )),
        },
        SetNotNull { table, column } => Step::Sql(format!(
            "ALTER TABLE {} ALTER COLUMN {} DROP NOT NULL;",
            q(table),
            q(column)
        )),
        AddForeignKey {
            table, foreign_key, ..
        } => {
            let name = foreign_key
                .name
                .clone()
                .unwrap_or_else(|| format!("{table}_{}_fkey", foreign_key.columns.join("_")));
            Step::Sql(format!(
                "ALTER TABLE {} DROP CONSTRAINT {};",
                q(table),
                q(&name)
            ))
        }
        AddKey {
            table,
            name,
            columns,
            primary,
            ..
        } => {
            let name = name.clone().unwrap_or_else(|| {
                if *primary {
                    format!("{table}_pkey")
                } else {
                    format!("{table}_{}_key", columns.join("_"))
                }
            });
            Step::Sql(format!(
                "ALTER TABLE {} DROP CONSTRAINT {};",
                q(table),
                q(&name)
            ))
        }
        AddCheck {
            table,
            name: Some(name),
            ..
        } => Step::Sql(format!(
            "ALTER TABLE {} DROP CONSTRAINT {};",
            q(table),
            q(name)
        )),
        AddCheck { table, .. } => todo(format!(
            "`{}` adds an unnamed CHECK constraint to {}: look its name up (\\d {}) and drop it.",
            head(text),
            q(table),
            q(table)
        )),
        DropConstraint { table, name } => {
            match defs.constraints.get(&(table.clone(), name.clone())) {
                Some(clause) => Step::Sql(format!("ALTER TABLE {} ADD {clause};", q(table))),
                None => todo(format!(
                    "constraint {} of {} was not created by this history: re-create it by hand.",
                    q(name),
                    q(table)
                )),
            }
        }
        CreateIndex {
            table,
            name,
            columns,
            concurrently,
            ..
        } => {
            let name = name
                .clone()
                .unwrap_or_else(|| format!("{table}_{}_idx", columns.join("_")));
            let how = if *concurrently { " CONCURRENTLY" } else { "" };
            Step::Sql(format!("DROP INDEX{how} {};", q(&name)))
        }
        DropIndex { names } => {
            let mut sqls = Vec::new();
            let mut missing = Vec::new();
            for n in names {
                match defs.indexes.get(n) {
                    Some(create) => sqls.push(format!("{};", create.trim_end_matches(';'))),
                    None => missing.push(q(n)),
                }
            }
            if missing.is_empty() {
                Step::Sql(sqls.join("\n"))
            } else {
                Step::Todo {
                    why: format!(
                        "index {} was not created by this history: re-create it by hand.",
                        missing.join(", ")
                    ),
                    suggestion: (!sqls.is_empty()).then(|| sqls.join("\n")),
                }
            }
        }
        Update { table, .. } => todo(format!(
            "`{}` changed rows of {}: data changes are not reversible mechanically; restore the old values from a backup, or write the inverse update.",
            head(text),
            q(table)
        )),
        Touch { table } => todo(format!(
            "`{}` ({}) is not reversed mechanically: write its inverse.",
            head(text),
            q(table)
        )),
        AddEnumValue { ty, value } => todo(format!(
            "PostgreSQL cannot remove the value '{value}' from enum {}: re-create the type without it (and re-type its columns), or leave it.",
            q(ty)
        )),
    }
}

/// Statements the analysis has no action for: `CREATE TYPE ... AS ENUM` is dropped again,
/// the rest needs a person.
fn statement_without_actions(text: &str) -> Step {
    let line = head(text);
    let upper = line.to_ascii_uppercase();
    if upper.starts_with("CREATE TYPE ")
        && let Some(name) = line["CREATE TYPE ".len()..].split_whitespace().next()
    {
        return Step::Sql(format!("DROP TYPE {name};"));
    }
    if upper.starts_with("CREATE EXTENSION ") {
        return todo(format!(
            "`{line}`: other objects may depend on the extension; drop it by hand if nothing does."
        ));
    }
    todo(format!(
        "`{line}` is not reversed mechanically: write its inverse."
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn revert(history: &[&str]) -> Reversal {
        let repo = tempfile::tempdir().unwrap();
        let dir = repo.path().join("services/svc");
        let mut last = String::new();
        for (i, sql) in history.iter().enumerate() {
            last = format!("2025010100000{i}_step_{i}");
            let folder = dir.join("prisma/migrations").join(&last);
            std::fs::create_dir_all(&folder).unwrap();
            std::fs::write(folder.join("migration.sql"), sql).unwrap();
        }
        reverse(&Service::new("svc", dir).unwrap(), &last).unwrap()
    }

    #[test]
    fn reverses_the_five_common_changes_last_statement_first() {
        let base = "CREATE TABLE \"students\" (\"id\" TEXT NOT NULL, \"name\" TEXT NOT NULL, CONSTRAINT \"students_pkey\" PRIMARY KEY (\"id\"));\nCREATE TABLE \"wallets\" (\"id\" TEXT NOT NULL, \"balance\" DOUBLE PRECISION NOT NULL);\n";
        let r = revert(&[
            base,
            "CREATE TABLE \"certificates\" (\"id\" TEXT NOT NULL, \"studentId\" TEXT NOT NULL);\nCREATE INDEX \"certificates_studentId_idx\" ON \"certificates\"(\"studentId\");\nALTER TABLE \"certificates\" ADD CONSTRAINT \"certificates_studentId_fkey\" FOREIGN KEY (\"studentId\") REFERENCES \"students\"(\"id\");\nALTER TABLE \"students\" ADD COLUMN \"grade\" TEXT;\nALTER TABLE \"students\" RENAME COLUMN \"name\" TO \"fullName\";\nALTER TABLE \"wallets\" ALTER COLUMN \"balance\" SET DATA TYPE DECIMAL(18,8);\n",
        ]);
        assert_eq!(r.todos, 0, "{}", r.sql);
        assert_eq!(r.reversed, 6);
        let body: Vec<&str> = r
            .sql
            .lines()
            .filter(|l| !l.starts_with("--") && !l.is_empty())
            .collect();
        assert_eq!(
            body,
            [
                "ALTER TABLE \"wallets\" ALTER COLUMN \"balance\" SET DATA TYPE double precision;",
                "ALTER TABLE \"students\" RENAME COLUMN \"fullName\" TO \"name\";",
                "ALTER TABLE \"students\" DROP COLUMN \"grade\";",
                "ALTER TABLE \"certificates\" DROP CONSTRAINT \"certificates_studentId_fkey\";",
                "DROP INDEX \"certificates_studentId_idx\";",
                "DROP TABLE \"certificates\";",
            ]
        );
    }

    #[test]
    fn marks_what_loses_data_and_recreates_what_the_history_defines() {
        let r = revert(&[
            "CREATE TABLE \"t\" (\"id\" INTEGER NOT NULL, \"a\" TEXT);\nCREATE INDEX \"t_a_idx\" ON \"t\"(\"a\");\nCREATE TYPE \"Mood\" AS ENUM ('HAPPY');\n",
            "DROP INDEX \"t_a_idx\";\nALTER TABLE \"t\" DROP COLUMN \"a\";\nUPDATE \"t\" SET \"id\" = \"id\" + 1;\nALTER TYPE \"Mood\" ADD VALUE 'SAD';\nDROP TABLE \"t\";\n",
        ]);
        assert_eq!(r.reversed, 1, "{}", r.sql);
        assert_eq!(r.todos, 4, "{}", r.sql);
        assert!(
            r.sql.contains("CREATE INDEX \"t_a_idx\" ON \"t\"(\"a\");"),
            "{}",
            r.sql
        );
        assert!(
            r.sql.contains("ALTER TABLE \"t\" ADD COLUMN \"a\" text;"),
            "{}",
            r.sql
        );
        assert!(r.sql.contains("cannot remove the value 'SAD'"), "{}", r.sql);
        assert_eq!(r.sql.matches(TODO).count(), 4 + 1, "{}", r.sql);
    }

    #[test]
    fn an_enum_created_is_dropped() {
        let r = revert(&["CREATE TYPE \"Mood\" AS ENUM ('HAPPY', 'SAD');\n"]);
        assert!(r.sql.contains("DROP TYPE \"Mood\";"), "{}", r.sql);
        assert_eq!(r.todos, 0);
    }
}
