//! The SQL Prisma writes for a difference (`prisma migrate diff --script`, and the body of the
//! file `prisma migrate dev --create-only` writes), statement for statement and byte for byte:
//! a `-- StepKind` comment before each step, statements ending in `;`, a blank line between
//! steps, Prisma's quoting, spacing and names. The file's data-loss warnings are
//! [`warnings`](super::warnings()).

use super::model::*;
use super::steps::{AlterEnum, ColumnChanges, DiffStep, SchemaDiff, TableChange};
use super::warnings::warnings;

/// How names are qualified: Prisma writes the schema before a name in a multi-schema project
/// (`"public"."User"`), and before a few objects it read from the database in any project.
#[derive(Debug, Clone)]
pub(crate) struct Naming {
    /// The URL's schema: objects of the default namespace are in it.
    pub default_schema: String,
    /// The datasource lists `schemas`: every name is qualified.
    pub multi_schema: bool,
}

impl Naming {
    /// `"name"`, or `"schema"."name"` in a multi-schema project.
    fn name(&self, schema: &Option<String>, name: &str) -> String {
        if self.multi_schema {
            self.qualified(schema, name)
        } else {
            self.dropped(schema, name)
        }
    }

    /// What a dropped object is called: `"name"` in the URL's schema, `"schema"."name"` in
    /// another, in every project (prisma-engines 2ba551f3, Prisma 6.19.0: "do not render default
    /// schema when dropping items in it").
    fn dropped(&self, schema: &Option<String>, name: &str) -> String {
        match schema {
            Some(s) => format!("{}.{}", ident(s), ident(name)),
            None => ident(name),
        }
    }

    /// Always `"schema"."name"` (what Prisma writes for some objects it read from a database).
    fn qualified(&self, schema: &Option<String>, name: &str) -> String {
        let s = schema.as_deref().unwrap_or(&self.default_schema);
        format!("{}.{}", ident(s), ident(name))
    }
}

fn ident(name: &str) -> String {
    format!("\"{name}\"")
}

fn string(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

/// The script: each step's comment and statements. `-- This is an empty migration.` when there
/// is nothing to do (Prisma's words).
pub(crate) fn script(m: &SchemaDiff, naming: &Naming) -> String {
    if m.steps.is_empty() {
        return "-- This is an empty migration.".into();
    }
    let mut out = String::new();
    let mut first = true;
    for step in &m.steps {
        let statements = render(m, step, naming);
        if statements.is_empty() {
            continue;
        }
        if !first {
            out.push('\n');
        }
        first = false;
        out.push_str("-- ");
        out.push_str(description(step));
        out.push('\n');
        for s in statements {
            out.push_str(&s);
            out.push_str(";\n");
        }
    }
    out
}

/// The migration file Prisma writes: the warnings header, then the script.
pub(crate) fn migration_file(m: &SchemaDiff, naming: &Naming) -> String {
    with_warnings(&warnings(m), &script(m, naming))
}

/// `script` under Prisma's `/* Warnings: ... */` header (none without warnings).
pub(crate) fn with_warnings(warnings: &[String], script: &str) -> String {
    let mut out = String::new();
    if !warnings.is_empty() {
        out.push_str("/*\n  Warnings:\n\n");
        for w in warnings {
            out.push_str("  - ");
            out.push_str(w);
            out.push('\n');
        }
        out.push_str("\n*/\n");
    }
    out.push_str(script);
    out
}

fn description(step: &DiffStep) -> &'static str {
    match step {
        DiffStep::CreateSchema(_) => "CreateSchema",
        DiffStep::DropExtension(_) => "DropExtension",
        DiffStep::CreateExtension(_) => "CreateExtension",
        DiffStep::AlterExtension { .. } => "AlterExtension",
        DiffStep::CreateEnum(_) => "CreateEnum",
        DiffStep::AlterEnum(_) => "AlterEnum",
        DiffStep::DropForeignKey { .. } => "DropForeignKey",
        DiffStep::DropIndex { .. } => "DropIndex",
        DiffStep::AlterTable(_) => "AlterTable",
        DiffStep::DropTable(_) => "DropTable",
        DiffStep::DropEnum(_) => "DropEnum",
        DiffStep::CreateTable(_) => "CreateTable",
        DiffStep::CreateIndex { .. } => "CreateIndex",
        DiffStep::RenameForeignKey { .. } => "RenameForeignKey",
        DiffStep::AddForeignKey { .. } => "AddForeignKey",
        DiffStep::RenameIndex { .. } => "RenameIndex",
    }
}

fn render(m: &SchemaDiff, step: &DiffStep, n: &Naming) -> Vec<String> {
    let (prev, next) = (m.previous, m.next);
    match step {
        DiffStep::CreateSchema(s) => vec![format!("CREATE SCHEMA IF NOT EXISTS {}", ident(s))],
        DiffStep::DropExtension(e) => vec![format!(
            "DROP EXTENSION {}",
            ident(&prev.extensions[*e].name)
        )],
        DiffStep::CreateExtension(e) => {
            // Prisma's render_create_extension.
            let e = &next.extensions[*e];
            let mut sql = format!("CREATE EXTENSION IF NOT EXISTS {}", ident(&e.name));
            if !e.version.is_empty() || !e.schema.is_empty() {
                sql.push_str(" WITH");
            }
            if !e.schema.is_empty() {
                sql.push_str(&format!(" SCHEMA {}", ident(&e.schema)));
            }
            if !e.version.is_empty() {
                sql.push_str(&format!(" VERSION {}", ident(&e.version)));
            }
            vec![sql]
        }
        DiffStep::AlterExtension {
            previous,
            next: ni,
            version,
            schema,
        } => {
            let name = ident(&prev.extensions[*previous].name);
            let e = &next.extensions[*ni];
            let mut out = Vec::new();
            if *version {
                out.push(format!(
                    "ALTER EXTENSION {name} UPDATE TO {}",
                    ident(&e.version)
                ));
            }
            if *schema {
                out.push(format!(
                    "ALTER EXTENSION {name} SET SCHEMA {}",
                    ident(&e.schema)
                ));
            }
            out
        }
        DiffStep::CreateEnum(e) => {
            let e = &next.enums[*e];
            let values: Vec<String> = e.values.iter().map(|v| string(v)).collect();
            vec![format!(
                "CREATE TYPE {} AS ENUM ({})",
                n.name(&e.schema, &e.name),
                values.join(", ")
            )]
        }
        DiffStep::AlterEnum(a) => alter_enum(m, a, n),
        DiffStep::DropForeignKey { at, .. } => {
            let t = &prev.tables[at.0];
            vec![format!(
                "ALTER TABLE {} DROP CONSTRAINT {}",
                n.dropped(&t.schema, &t.name),
                ident(&t.foreign_keys[at.1].name)
            )]
        }
        DiffStep::DropIndex { at, .. } => {
            let t = &prev.tables[at.0];
            vec![format!(
                "DROP INDEX {}",
                n.dropped(&t.schema, &t.indexes[at.1].name)
            )]
        }
        DiffStep::AlterTable(a) => alter_table(m, a.previous, a.next, &a.changes, n),
        DiffStep::DropTable(t) => {
            let t = &prev.tables[*t];
            vec![format!("DROP TABLE {}", n.dropped(&t.schema, &t.name))]
        }
        DiffStep::DropEnum(e) => {
            let e = &prev.enums[*e];
            vec![format!("DROP TYPE {}", n.dropped(&e.schema, &e.name))]
        }
        DiffStep::CreateTable(t) => vec![create_table(&next.tables[*t], n)],
        DiffStep::CreateIndex { table, index, .. } => {
            vec![create_index(
                &next.tables[*table],
                &next.tables[*table].indexes[*index],
                n,
            )]
        }
        DiffStep::RenameForeignKey {
            previous: p,
            next: x,
        } => {
            let t = &prev.tables[p.0];
            vec![format!(
                "ALTER TABLE {} RENAME CONSTRAINT {} TO {}",
                n.name(&t.schema, &t.name),
                ident(&t.foreign_keys[p.1].name),
                ident(&next.tables[x.0].foreign_keys[x.1].name)
            )]
        }
        DiffStep::AddForeignKey { at, .. } => {
            let t = &next.tables[at.0];
            vec![add_foreign_key(t, &t.foreign_keys[at.1], n)]
        }
        DiffStep::RenameIndex {
            previous: p,
            next: x,
        } => {
            let t = &prev.tables[p.0];
            vec![format!(
                "ALTER INDEX {} RENAME TO {}",
                n.name(&t.schema, &t.indexes[p.1].name),
                ident(&next.tables[x.0].indexes[x.1].name)
            )]
        }
    }
}

/// The column's type as written in DDL: `SERIAL`, `VARCHAR(200)`, `"Role"[]`.
fn column_type(c: &Column, n: &Naming) -> String {
    let list = if c.arity == ColumnArity::List {
        "[]"
    } else {
        ""
    };
    let base = match &c.ty {
        ColumnType::Enum { schema, name } => n.name(schema, name),
        ColumnType::Unsupported(u) => u.clone(),
        ColumnType::Native(t) => match (t.name.as_str(), c.autoincrement) {
            ("SmallInt", true) => "SMALLSERIAL".into(),
            ("Integer", true) => "SERIAL".into(),
            ("BigInt", true) => "BIGSERIAL".into(),
            _ => t.sql(),
        },
    };
    format!("{base}{list}")
}

fn column(c: &Column, n: &Naming) -> String {
    let ty = column_type(c, n);
    let not_null = if c.arity == ColumnArity::Required {
        " NOT NULL"
    } else {
        ""
    };
    let default = c
        .default
        .as_ref()
        .map(|d| default_sql(d, &ty))
        .filter(|d| !d.is_empty())
        .map(|d| format!(" DEFAULT {d}"))
        .unwrap_or_default();
    format!("    {} {ty}{not_null}{default}", ident(&c.name))
}

fn default_sql(d: &ColumnDefault, full_type: &str) -> String {
    match d {
        ColumnDefault::Now => "CURRENT_TIMESTAMP".into(),
        ColumnDefault::DbGenerated(Some(e)) => e.clone(),
        ColumnDefault::DbGenerated(None) | ColumnDefault::Sequence(_) => String::new(),
        ColumnDefault::Value(v) => literal_sql(v, full_type),
    }
}

fn literal_sql(v: &Literal, full_type: &str) -> String {
    match v {
        Literal::String(s) | Literal::Enum(s) | Literal::Json(s) | Literal::DateTime(s) => {
            string(s)
        }
        Literal::Number(x) => x.clone(),
        Literal::Boolean(b) => b.to_string(),
        Literal::Bytes(b64) => format!("'\\x{}'", hex::encode(Literal::bytes(b64))),
        Literal::List(items) => {
            let items: Vec<String> = items.iter().map(|i| literal_sql(i, full_type)).collect();
            format!("ARRAY[{}]::{full_type}", items.join(", "))
        }
    }
}

fn create_table(t: &SqlTable, n: &Naming) -> String {
    let columns: Vec<String> = t.columns.iter().map(|c| column(c, n)).collect();
    let pk = t
        .primary_key
        .as_ref()
        .map(|pk| {
            let cols: Vec<String> = pk.columns.iter().map(|c| ident(&c.name)).collect();
            format!(
                ",\n\n    CONSTRAINT {} PRIMARY KEY ({})",
                ident(&pk.name),
                cols.join(",")
            )
        })
        .unwrap_or_default();
    format!(
        "CREATE TABLE {} (\n{}{pk}\n)",
        n.name(&t.schema, &t.name),
        columns.join(",\n")
    )
}

fn create_index(t: &SqlTable, ix: &SqlIndex, n: &Naming) -> String {
    let using = match ix.algorithm.as_str() {
        "BTree" => String::new(),
        other => format!(" USING {} ", other.to_uppercase()),
    };
    let cols: Vec<String> = ix
        .columns
        .iter()
        .map(|c| {
            let mut s = ident(&c.name);
            if let Some(ops) = c.ops.as_ref().filter(|_| !c.ops_default) {
                s.push(' ');
                s.push_str(ops);
            }
            match c.sort {
                Some(Sort::Desc) => s.push_str(" DESC"),
                Some(Sort::Asc) => s.push_str(" ASC"),
                None => {}
            }
            s
        })
        .collect();
    // Prisma 7.4+ writes a partial index's condition as schema.prisma gives it.
    let condition = ix
        .predicate
        .as_ref()
        .map_or(String::new(), |p| format!(" WHERE {p}"));
    format!(
        "CREATE {}INDEX {} ON {}{using}({}){condition}",
        if ix.unique { "UNIQUE " } else { "" },
        ident(&ix.name),
        n.name(&t.schema, &t.name),
        cols.join(", ")
    )
}

fn add_foreign_key(t: &SqlTable, fk: &SqlForeignKey, n: &Naming) -> String {
    let cols: Vec<String> = fk.columns.iter().map(|c| ident(c)).collect();
    let refs: Vec<String> = fk.referenced_columns.iter().map(|c| ident(c)).collect();
    format!(
        "ALTER TABLE {} ADD CONSTRAINT {} FOREIGN KEY ({}) REFERENCES {}({}) ON DELETE {} ON UPDATE {}",
        n.name(&t.schema, &t.name),
        ident(&fk.name),
        cols.join(", "),
        n.name(&fk.referenced_schema, &fk.referenced_table),
        refs.join(", "),
        fk.on_delete.sql(),
        fk.on_update.sql()
    )
}

fn alter_table(
    m: &SchemaDiff,
    pi: usize,
    ni: usize,
    changes: &[TableChange],
    n: &Naming,
) -> Vec<String> {
    let (pt, nt) = (&m.previous.tables[pi], &m.next.tables[ni]);
    let mut lines = Vec::new();
    let mut before = Vec::new();
    let mut after = Vec::new();
    for change in changes {
        match change {
            TableChange::DropPrimaryKey => {
                if let Some(pk) = &pt.primary_key {
                    lines.push(format!("DROP CONSTRAINT {}", ident(&pk.name)));
                }
            }
            TableChange::RenamePrimaryKey => {
                if let (Some(p), Some(x)) = (&pt.primary_key, &nt.primary_key) {
                    lines.push(format!(
                        "RENAME CONSTRAINT {} TO {}",
                        ident(&p.name),
                        ident(&x.name)
                    ));
                }
            }
            TableChange::AddPrimaryKey => {
                if let Some(pk) = &nt.primary_key {
                    let cols: Vec<String> = pk.columns.iter().map(|c| ident(&c.name)).collect();
                    lines.push(format!(
                        "ADD CONSTRAINT {} PRIMARY KEY ({})",
                        ident(&pk.name),
                        cols.join(", ")
                    ));
                }
            }
            TableChange::AddColumn(c) => {
                lines.push(format!("ADD COLUMN {}", column(&nt.columns[*c], n)));
            }
            TableChange::DropColumn(c) => {
                lines.push(format!("DROP COLUMN {}", ident(&pt.columns[*c].name)));
            }
            TableChange::AlterColumn {
                previous,
                next,
                changes,
            } => alter_column(
                m,
                (pt, &pt.columns[*previous]),
                (nt, &nt.columns[*next]),
                changes,
                n,
                (&mut before, &mut lines, &mut after),
            ),
            TableChange::DropAndRecreateColumn { previous, next, .. } => {
                lines.push(format!(
                    "DROP COLUMN {}",
                    ident(&pt.columns[*previous].name)
                ));
                lines.push(format!("ADD COLUMN {}", column(&nt.columns[*next], n)));
            }
        }
    }
    if lines.is_empty() {
        return Vec::new();
    }
    let mut out = before;
    out.push(format!(
        "ALTER TABLE {} {}",
        n.name(&pt.schema, &pt.name),
        lines.join(",\n")
    ));
    out.extend(after);
    out
}

type Sinks<'a> = (
    &'a mut Vec<String>,
    &'a mut Vec<String>,
    &'a mut Vec<String>,
);

fn alter_column(
    m: &SchemaDiff,
    (_, p): (&SqlTable, &Column),
    (nt, c): (&SqlTable, &Column),
    changes: &ColumnChanges,
    n: &Naming,
    (before, lines, after): Sinks,
) {
    let prefix = format!("ALTER COLUMN {}", ident(&p.name));
    let mut set_type = false;
    let mut clauses: Vec<String> = Vec::new();
    if changes.arity {
        match (p.arity, c.arity) {
            (ColumnArity::Required, ColumnArity::Nullable) => {
                clauses.push(format!("{prefix} DROP NOT NULL"))
            }
            (ColumnArity::Nullable, ColumnArity::Required) => {
                clauses.push(format!("{prefix} SET NOT NULL"))
            }
            (ColumnArity::List, ColumnArity::Nullable) => {
                set_type = true;
                clauses.push(format!("{prefix} DROP NOT NULL"));
            }
            (ColumnArity::List, ColumnArity::Required) => {
                set_type = true;
                clauses.push(format!("{prefix} SET NOT NULL"));
            }
            (_, ColumnArity::List) => set_type = true,
            _ => {}
        }
    }
    if changes.default {
        match &c.default {
            Some(d) => clauses.push(format!(
                "{prefix} SET DEFAULT {}",
                default_sql(d, &column_type(c, n))
            )),
            None => {
                clauses.push(format!("{prefix} DROP DEFAULT"));
                if let Some(ColumnDefault::Sequence(seq)) = &p.default
                    && !sequence_still_used(m, seq, nt, c)
                {
                    after.push(format!("DROP SEQUENCE {}", ident(seq.trim_matches('"'))));
                }
            }
        }
    }
    if changes.ty.is_some() {
        set_type = true;
    }
    if changes.autoincrement {
        if p.autoincrement {
            clauses.push(format!("{prefix} DROP DEFAULT"));
            if let Some(ColumnDefault::Sequence(seq)) = &p.default
                && !sequence_still_used(m, seq, nt, c)
            {
                after.push(format!("DROP SEQUENCE {}", ident(seq.trim_matches('"'))));
            }
        } else {
            let ns = match &nt.schema {
                Some(s) => format!("{}.", ident(s)),
                None => String::new(),
            };
            let seq = format!("{ns}{}_{}_seq", nt.name, c.name).to_lowercase();
            before.push(format!("CREATE SEQUENCE {seq}"));
            clauses.push(format!("{prefix} SET DEFAULT nextval({})", string(&seq)));
            after.push(format!(
                "ALTER SEQUENCE {seq} OWNED BY {}.{}",
                n.name(&nt.schema, &nt.name),
                ident(&c.name)
            ));
        }
    }
    if set_type {
        clauses.push(format!("{prefix} SET DATA TYPE {}", column_type(c, n)));
    }
    lines.extend(clauses);
}

fn sequence_still_used(m: &SchemaDiff, seq: &str, table: &SqlTable, col: &Column) -> bool {
    m.next.tables.iter().any(|t| {
        t.columns.iter().any(|c| {
            matches!(&c.default, Some(ColumnDefault::Sequence(s)) if s == seq)
                && !(t.name == table.name && c.name == col.name)
        })
    })
}

/// Adding values: `ALTER TYPE ... ADD VALUE`. Removing values: Prisma's swap, inside
/// BEGIN/COMMIT: a new type, every column cast to it, the old one renamed and dropped, the
/// defaults that used it set again.
fn alter_enum(m: &SchemaDiff, a: &AlterEnum, n: &Naming) -> Vec<String> {
    let (pe, ne) = (&m.previous.enums[a.previous], &m.next.enums[a.next]);
    if a.dropped.is_empty() {
        let mut stmts: Vec<String> = a
            .created
            .iter()
            .map(|v| {
                format!(
                    "ALTER TYPE {} ADD VALUE {}",
                    n.name(&pe.schema, &pe.name),
                    string(v)
                )
            })
            .collect();
        if stmts.len() > 1 {
            stmts[0] = format!(
                "-- This migration adds more than one value to an enum.\n-- With PostgreSQL versions 11 and earlier, this is not possible\n-- in a single migration. This can be worked around by creating\n-- multiple migrations, each migration adding only one value to\n-- the enum.\n\n\n{}",
                stmts[0]
            );
        }
        return stmts;
    }
    let new_name = format!("{}_new", ne.name);
    let tmp = n.name(&ne.schema, &new_name);
    let old_name = format!("{}_old", pe.name);
    let mut stmts = vec!["BEGIN".to_string()];
    let values: Vec<String> = ne.values.iter().map(|v| string(v)).collect();
    stmts.push(format!("CREATE TYPE {tmp} AS ENUM ({})", values.join(", ")));
    // A column of the enum that has a default.
    let uses = |c: &Column, e: &SqlEnum| {
        matches!(&c.ty, ColumnType::Enum { schema, name } if *name == e.name && *schema == e.schema)
            && c.default.is_some()
    };
    // Every previous column of the enum with a default loses it first.
    let mut reinstall: Vec<(&SqlTable, &Column, &Column)> = Vec::new();
    let dropped_tables = m.steps.iter().filter_map(|s| match s {
        DiffStep::DropTable(t) => Some(*t),
        _ => None,
    });
    let mut usages: Vec<(&SqlTable, &Column)> = Vec::new();
    for t in dropped_tables {
        let t = &m.previous.tables[t];
        usages.extend(t.columns.iter().filter(|c| uses(c, pe)).map(|c| (t, c)));
    }
    for pt in &m.previous.tables {
        let Some(nt) = m.next.table(&pt.schema, &pt.name) else {
            continue;
        };
        for pc in pt.columns.iter().filter(|c| uses(c, pe)) {
            usages.push((pt, pc));
            if let Some(nc) = nt.column(&pc.name)
                && uses(nc, ne)
            {
                reinstall.push((pt, pc, nc));
            }
        }
    }
    for (t, c) in &usages {
        stmts.push(format!(
            "ALTER TABLE {} ALTER COLUMN {} DROP DEFAULT",
            n.qualified(&t.schema, &t.name),
            ident(&c.name)
        ));
    }
    for t in &m.next.tables {
        for c in &t.columns {
            if matches!(&c.ty, ColumnType::Enum { schema, name } if *name == ne.name && *schema == ne.schema)
            {
                let array = if c.arity == ColumnArity::List {
                    "[]"
                } else {
                    ""
                };
                stmts.push(format!(
                    "ALTER TABLE {} ALTER COLUMN {col} TYPE {tmp}{array} USING ({col}::text::{tmp}{array})",
                    n.name(&t.schema, &t.name),
                    col = ident(&c.name),
                ));
            }
        }
    }
    stmts.push(format!(
        "ALTER TYPE {} RENAME TO {}",
        n.name(&pe.schema, &pe.name),
        ident(&old_name)
    ));
    stmts.push(format!("ALTER TYPE {tmp} RENAME TO {}", ident(&ne.name)));
    stmts.push(format!("DROP TYPE {}", n.qualified(&pe.schema, &old_name)));
    for (pt, pc, nc) in reinstall {
        if let Some(d) = &nc.default {
            stmts.push(format!(
                "ALTER TABLE {} ALTER COLUMN {} SET DEFAULT {}",
                n.name(&pt.schema, &pt.name),
                ident(&pc.name),
                default_sql(d, &column_type(nc, n))
            ));
        }
    }
    stmts.push("COMMIT".to_string());
    stmts
}
