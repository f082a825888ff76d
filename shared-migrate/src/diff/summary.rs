//! Prisma's human summary of a difference (what `prisma migrate diff` prints without
//! `--script`): sections for added enums and tables, removed ones, and each changed enum and
//! table, in Prisma's order and words.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use super::model::*;
use super::steps::{ColumnChanges, DiffStep, SchemaDiff, TableChange};

/// The sections, in Prisma's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Section {
    AlteredExtension,
    DroppedExtension,
    CreatedExtension,
    AddedEnum,
    AddedTable,
    RemovedEnum,
    RemovedTable,
    ChangedEnum,
    ChangedTable,
}

/// The summary text; `No difference detected.` when there is none.
pub(crate) fn summary(m: &SchemaDiff) -> String {
    if m.steps.is_empty() {
        return "No difference detected.".into();
    }
    let (prev, next) = (m.previous, m.next);
    let mut items: BTreeSet<(Section, String, usize)> = BTreeSet::new();
    for (i, step) in m.steps.iter().enumerate() {
        let item = match step {
            DiffStep::CreateSchema(_) => continue,
            DiffStep::DropExtension(e) => {
                (Section::DroppedExtension, prev.extensions[*e].name.clone())
            }
            DiffStep::CreateExtension(e) => {
                (Section::CreatedExtension, next.extensions[*e].name.clone())
            }
            DiffStep::AlterExtension { previous, .. } => (
                Section::AlteredExtension,
                prev.extensions[*previous].name.clone(),
            ),
            DiffStep::CreateEnum(_) => (Section::AddedEnum, String::new()),
            DiffStep::AlterEnum(a) => (Section::ChangedEnum, prev.enums[a.previous].name.clone()),
            DiffStep::DropForeignKey { at, .. } | DiffStep::DropIndex { at, .. } => {
                (Section::ChangedTable, prev.tables[at.0].name.clone())
            }
            DiffStep::AlterTable(a) => {
                (Section::ChangedTable, prev.tables[a.previous].name.clone())
            }
            DiffStep::DropTable(_) => (Section::RemovedTable, String::new()),
            DiffStep::DropEnum(_) => (Section::RemovedEnum, String::new()),
            DiffStep::CreateTable(_) => (Section::AddedTable, String::new()),
            DiffStep::CreateIndex { table, .. } => {
                (Section::ChangedTable, next.tables[*table].name.clone())
            }
            DiffStep::AddForeignKey { at, .. } => {
                (Section::ChangedTable, next.tables[at.0].name.clone())
            }
            DiffStep::RenameForeignKey { next: at, .. } => {
                (Section::ChangedTable, next.tables[at.0].name.clone())
            }
            DiffStep::RenameIndex { previous: at, .. } => {
                (Section::ChangedTable, prev.tables[at.0].name.clone())
            }
        };
        items.insert((item.0, item.1, i));
    }
    let mut out = String::new();
    let mut state: Option<(Section, String)> = None;
    for (section, name, i) in &items {
        if state.as_ref() != Some(&(*section, name.clone())) {
            out.push_str(&match section {
                // Prisma's words, its stray backtick included.
                Section::AlteredExtension => format!("\n[*] Changed the `{name}` extension\n"),
                Section::DroppedExtension => "\n[-] Removed extensions\n`".to_string(),
                Section::CreatedExtension => "\n[+] Added extensions\n".to_string(),
                Section::AddedEnum => "\n[+] Added enums\n".to_string(),
                Section::AddedTable => "\n[+] Added tables\n".to_string(),
                Section::RemovedEnum => "\n[-] Removed enums\n".to_string(),
                Section::RemovedTable => "\n[-] Removed tables\n".to_string(),
                Section::ChangedEnum => format!("\n[*] Changed the `{name}` enum\n"),
                Section::ChangedTable => format!("\n[*] Changed the `{name}` table\n"),
            });
            state = Some((*section, name.clone()));
        }
        line(m, &m.steps[*i], &mut out);
    }
    out
}

fn names(columns: &[IndexColumn]) -> String {
    columns
        .iter()
        .map(|c| c.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn line(m: &SchemaDiff, step: &DiffStep, out: &mut String) {
    let (prev, next) = (m.previous, m.next);
    match step {
        DiffStep::CreateSchema(_)
        | DiffStep::DropExtension(_)
        | DiffStep::AlterExtension { .. } => {}
        DiffStep::CreateExtension(e) => {
            let _ = writeln!(out, "  - {}", next.extensions[*e].name);
        }
        DiffStep::CreateEnum(e) => {
            let _ = writeln!(out, "  - {}", next.enums[*e].name);
        }
        DiffStep::AlterEnum(a) => {
            for v in &a.created {
                let _ = writeln!(out, "  [+] Added variant `{v}`");
            }
            for v in &a.dropped {
                let _ = writeln!(out, "  [-] Removed variant `{v}`");
            }
        }
        DiffStep::DropForeignKey { at, .. } => {
            let fk = &prev.tables[at.0].foreign_keys[at.1];
            let _ = writeln!(
                out,
                "  [-] Removed foreign key on columns ({})",
                fk.columns.join(", ")
            );
        }
        DiffStep::DropIndex { at, .. } => {
            let ix = &prev.tables[at.0].indexes[at.1];
            let unique = if ix.unique { "unique " } else { "" };
            let _ = writeln!(
                out,
                "  [-] Removed {unique}index on columns ({})",
                names(&ix.columns)
            );
        }
        DiffStep::AlterTable(a) => {
            let (pt, nt) = (&prev.tables[a.previous], &next.tables[a.next]);
            for c in &a.changes {
                match c {
                    TableChange::AddColumn(n) => {
                        let _ = writeln!(out, "  [+] Added column `{}`", nt.columns[*n].name);
                    }
                    TableChange::AlterColumn {
                        previous,
                        next,
                        changes,
                    }
                    | TableChange::DropAndRecreateColumn {
                        previous,
                        next,
                        changes,
                    } => {
                        let name = &nt.columns[*next].name;
                        let what = if matches!(c, TableChange::AlterColumn { .. }) {
                            format!("[*] Altered column `{name}`")
                        } else {
                            format!("[*] Column `{name}` would be dropped and recreated")
                        };
                        let _ = writeln!(
                            out,
                            "  {what} ({})",
                            column_changes(&pt.columns[*previous], &nt.columns[*next], changes)
                        );
                    }
                    TableChange::DropColumn(p) => {
                        let _ = writeln!(out, "  [-] Removed column `{}`", pt.columns[*p].name);
                    }
                    TableChange::DropPrimaryKey => {
                        let cols = primary_key_columns(pt);
                        let _ = writeln!(out, "  [-] Dropped the primary key on columns ({cols})");
                    }
                    TableChange::RenamePrimaryKey => {
                        let cols = primary_key_columns(pt);
                        let _ = writeln!(out, "  [*] Renamed the primary key on columns ({cols})");
                    }
                    TableChange::AddPrimaryKey => {
                        let cols = primary_key_columns(nt);
                        // Prisma prints this line with a second closing parenthesis line.
                        let _ = writeln!(out, "  [+] Added primary key on columns ({cols})\n)");
                    }
                }
            }
        }
        DiffStep::DropTable(t) => {
            let _ = writeln!(out, "  - {}", prev.tables[*t].name);
        }
        DiffStep::DropEnum(e) => {
            let _ = writeln!(out, "  - {}", prev.enums[*e].name);
        }
        DiffStep::CreateTable(t) => {
            let _ = writeln!(out, "  - {}", next.tables[*t].name);
        }
        DiffStep::CreateIndex { table, index, .. } => {
            let ix = &next.tables[*table].indexes[*index];
            let unique = if ix.unique { "unique " } else { "" };
            let _ = writeln!(
                out,
                "  [+] Added {unique}index on columns ({})",
                names(&ix.columns)
            );
        }
        DiffStep::AddForeignKey { at, .. } => {
            let fk = &next.tables[at.0].foreign_keys[at.1];
            let _ = writeln!(
                out,
                "  [+] Added foreign key on columns ({})",
                fk.columns.join(", ")
            );
        }
        DiffStep::RenameForeignKey {
            previous: p,
            next: n,
        } => {
            let _ = writeln!(
                out,
                "  [*] Renamed the foreign key \"{}\" to \"{}\"",
                prev.tables[p.0].foreign_keys[p.1].name, next.tables[n.0].foreign_keys[n.1].name
            );
        }
        DiffStep::RenameIndex {
            previous: p,
            next: n,
        } => {
            let _ = writeln!(
                out,
                "  [*] Renamed index `{}` to `{}`",
                prev.tables[p.0].indexes[p.1].name, next.tables[n.0].indexes[n.1].name
            );
        }
    }
}

/// `changed from Nullable to Required, default changed from `None` to `Some(Now)``.
fn column_changes(p: &Column, n: &Column, c: &ColumnChanges) -> String {
    let mut parts = Vec::new();
    if c.arity {
        parts.push(format!("changed from {:?} to {:?}", p.arity, n.arity));
    }
    if c.default {
        parts.push(format!(
            "default changed from `{}` to `{}`",
            default_text(&p.default),
            default_text(&n.default)
        ));
    }
    if c.ty.is_some() {
        parts.push("type changed".into());
    }
    if c.autoincrement {
        parts.push(if p.autoincrement {
            "column is no longer autoincrementing".into()
        } else {
            "column became autoincrementing".into()
        });
    }
    parts.join(", ")
}

/// A default as Prisma's summary shows it (its Rust debug form).
fn default_text(d: &Option<ColumnDefault>) -> String {
    match d {
        None => "None".into(),
        Some(ColumnDefault::Now) => "Some(Now)".into(),
        Some(ColumnDefault::Sequence(s)) => format!("Some(Sequence({s:?}))"),
        Some(ColumnDefault::DbGenerated(e)) => format!("Some(DbGenerated({e:?}))"),
        Some(ColumnDefault::Value(v)) => format!("Some(Value({}))", literal_text(v)),
    }
}

fn literal_text(v: &Literal) -> String {
    match v {
        Literal::String(s) => format!("String({s:?})"),
        Literal::Number(n) if n.parse::<i64>().is_ok() => format!("Int({n})"),
        Literal::Number(n) => format!("Float({n})"),
        Literal::Boolean(b) => format!("Boolean({b})"),
        Literal::Enum(e) => format!("Enum({e:?})"),
        Literal::Json(j) => format!("Json({j:?})"),
        Literal::DateTime(d) => format!("DateTime({d})"),
        Literal::Bytes(b) => format!("Bytes({b:?})"),
        Literal::List(items) => format!(
            "List([{}])",
            items
                .iter()
                .map(literal_text)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// A table's primary key columns, as the summary lists them (empty without one).
fn primary_key_columns(t: &SqlTable) -> String {
    t.primary_key
        .as_ref()
        .map(|p| names(&p.columns))
        .unwrap_or_default()
}
