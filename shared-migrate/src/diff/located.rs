//! Each difference said plainly and located: what differs, where schema.prisma declares it
//! (`file:line:col` of the model, field, index or enum) and which migration made the object on
//! the other side, with what to do about it.

use std::collections::HashMap;

use super::model::*;
use super::steps::{DiffStep, SchemaDiff, TableChange};
use crate::error::Location;
use crate::sql::{ActionKind, analyse};
use crate::workspace::Migration;

/// One difference.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Difference {
    /// What differs, as a sentence.
    pub message: String,
    /// Where schema.prisma declares the object (when that side is schema.prisma).
    pub schema_at: Option<Location>,
    /// The migration that made the object (when the other side holds it).
    pub migration_at: Option<Location>,
    /// What to do about it, when there is something to say.
    pub hint: Option<String>,
}

/// Where each object was first made by the migrations: by reading what their statements do.
#[derive(Debug, Default)]
pub(crate) struct Creators {
    tables: HashMap<String, Location>,
    columns: HashMap<(String, String), Location>,
    constraints: HashMap<String, Location>,
    enums: HashMap<String, Location>,
}

impl Creators {
    pub(crate) fn of(migrations: &[Migration]) -> Creators {
        let mut c = Creators::default();
        for m in migrations {
            let at = |offset: usize| Location::of_offset(&m.path, m.sql.as_bytes(), offset);
            let analysis = analyse(&m.sql);
            for s in &analysis.statements {
                for a in &s.actions {
                    let here = at(a.range.start);
                    match &a.kind {
                        ActionKind::CreateTable {
                            table,
                            columns,
                            keys,
                            foreign_keys,
                        } => {
                            c.tables.entry(table.clone()).or_insert(here.clone());
                            for col in columns {
                                c.columns
                                    .entry((table.clone(), col.name.clone()))
                                    .or_insert(here.clone());
                            }
                            for (name, _) in keys {
                                if let Some(n) = name {
                                    c.constraints.entry(n.clone()).or_insert(here.clone());
                                }
                            }
                            for fk in foreign_keys {
                                if let Some(n) = &fk.name {
                                    c.constraints.entry(n.clone()).or_insert(here.clone());
                                }
                            }
                        }
                        ActionKind::AddColumn { table, column } => {
                            c.columns
                                .entry((table.clone(), column.name.clone()))
                                .or_insert(here);
                        }
                        ActionKind::CreateIndex { name: Some(n), .. }
                        | ActionKind::AddKey { name: Some(n), .. } => {
                            c.constraints.entry(n.clone()).or_insert(here);
                        }
                        ActionKind::AddForeignKey { foreign_key, .. } => {
                            if let Some(n) = &foreign_key.name {
                                c.constraints.entry(n.clone()).or_insert(here);
                            }
                        }
                        ActionKind::CreateEnum { ty } => {
                            c.enums.entry(ty.clone()).or_insert(here);
                        }
                        _ => {}
                    }
                }
            }
        }
        c
    }
}

/// The two sides' names, for messages: `the migrations`, `schema.prisma`, `the database`.
pub(crate) struct Sides<'a> {
    pub from: &'a str,
    pub to: &'a str,
}

/// The differences of `m`, located.
pub(crate) fn differences(m: &SchemaDiff, creators: &Creators, sides: &Sides) -> Vec<Difference> {
    let (prev, next) = (m.previous, m.next);
    let (from, to) = (sides.from, sides.to);
    let made = |t: &str| creators.tables.get(t).cloned();
    let mut out = Vec::new();
    let mut push = |message: String,
                    schema_at: Origin,
                    migration_at: Option<Location>,
                    hint: Option<String>| {
        out.push(Difference {
            message,
            schema_at,
            migration_at,
            hint,
        })
    };
    for step in &m.steps {
        match step {
            DiffStep::CreateSchema(s) => push(
                format!("schema `{s}` is in {to} but not in {from}"),
                None,
                None,
                None,
            ),
            DiffStep::CreateExtension(e) => {
                let e = &next.extensions[*e];
                let how = match (e.schema.as_str(), e.version.as_str()) {
                    ("", "") => String::new(),
                    (s, "") => format!(" (in schema `{s}`)"),
                    ("", v) => format!(" (version {v})"),
                    (s, v) => format!(" (in schema `{s}`, version {v})"),
                };
                let prev_has = prev.extensions.iter().any(|p| p.name == e.name);
                let message = match prev_has {
                    true => format!(
                        "extension `{}` in {from} is not what {to} asks for{how}: it cannot be moved, so it is dropped and created again",
                        e.name
                    ),
                    false => format!("extension `{}` is in {to}{how} but not in {from}", e.name),
                };
                push(
                    message,
                    None,
                    None,
                    Some(
                        "write the migration that creates it: `cargo xtask new --from-schema`"
                            .into(),
                    ),
                )
            }
            DiffStep::DropExtension(_) => {}
            DiffStep::AlterExtension {
                previous, next: ni, ..
            } => {
                let (p, n) = (&prev.extensions[*previous], &next.extensions[*ni]);
                push(
                    format!(
                        "extension `{}` is version {} in schema `{}` in {from}; {to} asks for {}{}",
                        p.name,
                        p.version,
                        p.schema,
                        if n.version.is_empty() {
                            String::new()
                        } else {
                            format!("version {}", n.version)
                        },
                        if n.schema.is_empty() {
                            String::new()
                        } else {
                            format!(" in schema `{}`", n.schema)
                        },
                    ),
                    None,
                    None,
                    None,
                )
            }
            DiffStep::CreateEnum(e) => {
                let e = &next.enums[*e];
                push(
                    format!("enum `{}` is in {to} but not in {from}", e.name),
                    e.origin.clone(),
                    None,
                    None,
                )
            }
            DiffStep::DropEnum(e) => {
                let e = &prev.enums[*e];
                push(
                    format!("enum `{}` is in {from} but not in {to}", e.name),
                    None,
                    creators.enums.get(&e.name).cloned(),
                    None,
                )
            }
            DiffStep::AlterEnum(a) => {
                let ne = &next.enums[a.next];
                let mut what = Vec::new();
                if !a.created.is_empty() {
                    what.push(format!("{to} adds {}", quote_list(&a.created)));
                }
                if !a.dropped.is_empty() {
                    what.push(format!("{to} lacks {}", quote_list(&a.dropped)));
                }
                push(
                    format!("enum `{}` differs: {}", ne.name, what.join("; ")),
                    ne.origin.clone(),
                    creators.enums.get(&ne.name).cloned(),
                    None,
                )
            }
            DiffStep::CreateTable(t) => {
                let t = &next.tables[*t];
                push(
                    format!("table `{}` is in {to} but not in {from}", t.name),
                    t.origin.clone(),
                    None,
                    Some(
                        "write the migration that creates it: `cargo xtask new --from-schema`"
                            .into(),
                    ),
                )
            }
            DiffStep::DropTable(t) => {
                let t = &prev.tables[*t];
                push(
                    format!("table `{}` is in {from} but not in {to}", t.name),
                    None,
                    made(&t.name),
                    None,
                )
            }
            DiffStep::AlterTable(a) => {
                let (pt, nt) = (&prev.tables[a.previous], &next.tables[a.next]);
                for c in &a.changes {
                    match c {
                        TableChange::AddColumn(i) => {
                            let col = &nt.columns[*i];
                            push(
                                format!(
                                    "column `{}.{}` is in {to} but not in {from}",
                                    nt.name, col.name
                                ),
                                col.origin.clone(),
                                None,
                                None,
                            )
                        }
                        TableChange::DropColumn(i) => {
                            let col = &pt.columns[*i];
                            push(
                                format!(
                                    "column `{}.{}` is in {from} but not in {to}",
                                    pt.name, col.name
                                ),
                                nt.origin.clone(),
                                creators
                                    .columns
                                    .get(&(pt.name.clone(), col.name.clone()))
                                    .cloned(),
                                None,
                            )
                        }
                        TableChange::AlterColumn {
                            previous,
                            next: n,
                            changes,
                        }
                        | TableChange::DropAndRecreateColumn {
                            previous,
                            next: n,
                            changes,
                        } => {
                            let (pc, nc) = (&pt.columns[*previous], &nt.columns[*n]);
                            let mut what = Vec::new();
                            if changes.arity {
                                what.push(format!(
                                    "{:?} in {from}, {:?} in {to}",
                                    pc.arity, nc.arity
                                ));
                            }
                            if changes.ty.is_some() {
                                what.push(format!("type {} in {from}, {} in {to}", pc.ty, nc.ty));
                            }
                            if changes.default {
                                what.push(format!(
                                    "default {} in {from}, {} in {to}",
                                    default_text(&pc.default),
                                    default_text(&nc.default)
                                ));
                            }
                            if changes.autoincrement {
                                what.push(format!(
                                    "{} in {from}, {} in {to}",
                                    if pc.autoincrement {
                                        "autoincrement"
                                    } else {
                                        "no autoincrement"
                                    },
                                    if nc.autoincrement {
                                        "autoincrement"
                                    } else {
                                        "no autoincrement"
                                    }
                                ));
                            }
                            push(
                                format!(
                                    "column `{}.{}` differs: {}",
                                    nt.name,
                                    nc.name,
                                    what.join("; ")
                                ),
                                nc.origin.clone(),
                                creators
                                    .columns
                                    .get(&(pt.name.clone(), pc.name.clone()))
                                    .cloned(),
                                None,
                            )
                        }
                        TableChange::DropPrimaryKey | TableChange::AddPrimaryKey => {
                            if matches!(c, TableChange::AddPrimaryKey) && pt.primary_key.is_some() {
                                continue; // told once, with the drop
                            }
                            let cols = |pk: &Option<SqlPrimaryKey>| {
                                pk.as_ref().map_or("none".to_string(), |p| {
                                    format!(
                                        "({})",
                                        p.columns
                                            .iter()
                                            .map(|c| c.name.as_str())
                                            .collect::<Vec<_>>()
                                            .join(", ")
                                    )
                                })
                            };
                            push(
                                format!(
                                    "the primary key of `{}` differs: {} in {from}, {} in {to}",
                                    nt.name,
                                    cols(&pt.primary_key),
                                    cols(&nt.primary_key)
                                ),
                                nt.origin.clone(),
                                made(&pt.name),
                                None,
                            )
                        }
                        TableChange::RenamePrimaryKey => push(
                            format!(
                                "the primary key of `{}` is named `{}` in {from}, `{}` in {to}",
                                nt.name,
                                pt.primary_key.as_ref().map_or("", |p| p.name.as_str()),
                                nt.primary_key.as_ref().map_or("", |p| p.name.as_str())
                            ),
                            nt.origin.clone(),
                            made(&pt.name),
                            None,
                        ),
                    }
                }
            }
            DiffStep::CreateIndex {
                table,
                index,
                recreated: false,
                ..
            } => {
                let t = &next.tables[*table];
                let ix = &t.indexes[*index];
                push(
                    format!(
                        "{} `{}` on `{}` ({}) is in {to} but not in {from}",
                        kind(ix),
                        ix.name,
                        t.name,
                        columns(ix)
                    ),
                    ix.origin.clone().or(t.origin.clone()),
                    None,
                    None,
                )
            }
            DiffStep::CreateIndex { .. } => {}
            DiffStep::DropIndex { at, .. } => {
                let t = &prev.tables[at.0];
                let ix = &t.indexes[at.1];
                // In Prisma's words: the model and field names schema.prisma gives the table.
                let declared = next.table(&t.schema, &t.name);
                let model = declared
                    .and_then(|d| d.prisma_name.clone())
                    .unwrap_or_else(|| t.name.clone());
                let field = |column: &str| {
                    declared
                        .and_then(|d| d.column(column))
                        .and_then(|c| c.prisma_name.clone())
                        .unwrap_or_else(|| column.to_string())
                };
                let hint = (to == "schema.prisma").then(|| {
                    let attr = if ix.unique { "@@unique" } else { "@@index" };
                    let mut ty = if ix.algorithm == "BTree" {
                        String::new()
                    } else {
                        format!(", type: {}", ix.algorithm)
                    };
                    if let Some(p) = &ix.predicate {
                        let escaped = bare_predicate(p)
                            .replace('\\', "\\\\")
                            .replace('"', "\\\"");
                        ty.push_str(&format!(", where: raw(\"{escaped}\")"));
                    }
                    let fields: Vec<String> = ix
                        .columns
                        .iter()
                        .map(|c| {
                            let mut args = Vec::new();
                            if c.sort == Some(Sort::Desc) {
                                args.push("sort: Desc".to_string());
                            }
                            if let Some(ops) = c.ops.as_ref().filter(|_| !c.ops_default) {
                                args.push(format!("ops: raw(\"{ops}\")"));
                            }
                            if args.is_empty() {
                                field(&c.name)
                            } else {
                                format!("{}({})", field(&c.name), args.join(", "))
                            }
                        })
                        .collect();
                    format!(
                        "Prisma manages every index: its next `migrate dev` would drop this one. Declare it in the model `{model}`: {attr}([{}], map: \"{}\"{ty})",
                        fields.join(", "),
                        ix.name
                    )
                });
                push(
                    format!(
                        "{} `{}` on `{}` ({}) is in {from} but not in {to}",
                        kind(ix),
                        ix.name,
                        t.name,
                        columns(ix)
                    ),
                    next.table(&t.schema, &t.name)
                        .and_then(|n| n.origin.clone()),
                    creators.constraints.get(&ix.name).cloned(),
                    hint,
                )
            }
            DiffStep::RenameIndex {
                previous: p,
                next: n,
            } => {
                let (pi, ni) = (
                    &prev.tables[p.0].indexes[p.1],
                    &next.tables[n.0].indexes[n.1],
                );
                push(
                    format!(
                        "index `{}` on `{}` is named `{}` in {to}",
                        pi.name, prev.tables[p.0].name, ni.name
                    ),
                    ni.origin.clone(),
                    creators.constraints.get(&pi.name).cloned(),
                    None,
                )
            }
            DiffStep::AddForeignKey { at, .. } => {
                let t = &next.tables[at.0];
                let fk = &t.foreign_keys[at.1];
                if m.steps.iter().any(
                    |s| matches!(s, DiffStep::CreateTable(i) if next.tables[*i].name == t.name),
                ) {
                    continue; // part of the new table
                }
                push(
                    format!(
                        "foreign key `{}` on `{}` ({}) → `{}` is in {to} but not in {from}",
                        fk.name,
                        t.name,
                        fk.columns.join(", "),
                        fk.referenced_table
                    ),
                    fk.origin.clone(),
                    None,
                    None,
                )
            }
            DiffStep::DropForeignKey { at, .. } => {
                let t = &prev.tables[at.0];
                let fk = &t.foreign_keys[at.1];
                if m.steps
                    .iter()
                    .any(|s| matches!(s, DiffStep::DropTable(i) if prev.tables[*i].name == t.name))
                {
                    continue;
                }
                push(
                    format!(
                        "foreign key `{}` on `{}` ({}) → `{}` (ON DELETE {} ON UPDATE {}) is in {from} but not in {to}",
                        fk.name,
                        t.name,
                        fk.columns.join(", "),
                        fk.referenced_table,
                        fk.on_delete.sql(),
                        fk.on_update.sql()
                    ),
                    next.table(&t.schema, &t.name)
                        .and_then(|n| n.origin.clone()),
                    creators.constraints.get(&fk.name).cloned(),
                    None,
                )
            }
            DiffStep::RenameForeignKey {
                previous: p,
                next: n,
            } => {
                let (pf, nf) = (
                    &prev.tables[p.0].foreign_keys[p.1],
                    &next.tables[n.0].foreign_keys[n.1],
                );
                push(
                    format!(
                        "foreign key `{}` on `{}` is named `{}` in {to}",
                        pf.name, prev.tables[p.0].name, nf.name
                    ),
                    nf.origin.clone(),
                    creators.constraints.get(&pf.name).cloned(),
                    None,
                )
            }
        }
    }
    out
}

fn kind(ix: &SqlIndex) -> &'static str {
    if ix.unique { "unique index" } else { "index" }
}

/// `a, b`, and a partial index's condition: `a, b) WHERE (...`, inside the caller's parentheses.
fn columns(ix: &SqlIndex) -> String {
    let names = ix
        .columns
        .iter()
        .map(|c| c.name.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    match &ix.predicate {
        Some(p) => format!("{names}) WHERE ({}", bare_predicate(p)),
        None => names,
    }
}

fn quote_list(values: &[String]) -> String {
    values
        .iter()
        .map(|v| format!("`{v}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn default_text(d: &Option<ColumnDefault>) -> String {
    match d {
        None => "none".into(),
        Some(ColumnDefault::Now) => "now()".into(),
        Some(ColumnDefault::Sequence(_)) => "autoincrement()".into(),
        Some(ColumnDefault::DbGenerated(Some(e))) => format!("`{e}`"),
        Some(ColumnDefault::DbGenerated(None)) => "dbgenerated()".into(),
        Some(ColumnDefault::Value(v)) => format!("{v:?}"),
    }
}
