//! Prisma Migrate's notion of a difference: the steps that take one schema (`previous`: what
//! a database or the migrations have) to another (`next`: what schema.prisma asks for), found
//! and ordered as Prisma's differ finds and orders them, so that the summary and the SQL written
//! from them are Prisma's.
//!
//! Pairing: tables by schema and name, columns by name, enums by schema and name; indexes,
//! foreign keys and primary keys by what they cover (an index that differs only by name is
//! renamed). Steps are sorted by kind, then by the position of their objects in their schema.

use std::collections::BTreeSet;

use super::columns::column_changes;
use super::model::*;
use super::steps::*;

/// The steps from `previous` to `next`. `next_namespaces`: the schemas `next` lists (a
/// multi-schema datasource's), created when `previous` lacks them.
pub(crate) fn compare<'a>(
    previous: &'a SqlSchema,
    next: &'a SqlSchema,
    previous_namespaces: &[String],
    next_namespaces: &[String],
) -> SchemaDiff<'a> {
    let mut steps = Vec::new();
    for ns in next_namespaces {
        if !previous_namespaces.contains(ns) {
            steps.push(DiffStep::CreateSchema(ns.clone()));
        }
    }
    let find = |schema: &SqlSchema, t: &SqlTable| {
        schema
            .tables
            .iter()
            .position(|x| x.name == t.name && x.schema == t.schema)
    };
    // Tables.
    for (i, t) in next.tables.iter().enumerate() {
        if find(previous, t).is_none() {
            steps.push(DiffStep::CreateTable(i));
            for (j, ix) in t.indexes.iter().enumerate() {
                steps.push(DiffStep::CreateIndex {
                    previous_table: None,
                    table: i,
                    id: ix.id,
                    index: j,
                    recreated: false,
                });
            }
            for (j, fk) in t.foreign_keys.iter().enumerate() {
                steps.push(DiffStep::AddForeignKey {
                    id: fk.id,
                    at: (i, j),
                });
            }
        }
    }
    for (i, t) in previous.tables.iter().enumerate() {
        if find(next, t).is_none() {
            steps.push(DiffStep::DropTable(i));
            for (j, fk) in t.foreign_keys.iter().enumerate() {
                steps.push(DiffStep::DropForeignKey {
                    id: fk.id,
                    at: (i, j),
                });
            }
        }
    }
    for (pi, pt) in previous.tables.iter().enumerate() {
        if let Some(ni) = find(next, pt) {
            table_steps(previous, next, pi, ni, &mut steps);
        }
    }
    enum_steps(previous, next, &mut steps);
    if previous.manages_extensions || next.manages_extensions {
        extension_steps(previous, next, &mut steps);
    }
    steps.sort();
    move_drop_unique_before_new_primary_key(previous, next, &mut steps);
    SchemaDiff {
        previous,
        next,
        steps,
    }
}

/// Prisma's extension steps (its `push_extension_steps`): one declared and not installed is
/// created; one whose asked-for version or schema differs is altered (`UPDATE TO`, `SET
/// SCHEMA`), or dropped and created when it cannot be moved; an installed one that is not
/// declared is left alone.
fn extension_steps(previous: &SqlSchema, next: &SqlSchema, steps: &mut Vec<DiffStep>) {
    let differs = |a: &str, b: &str| !a.is_empty() && !b.is_empty() && a != b;
    for (ni, ne) in next.extensions.iter().enumerate() {
        let Some(pi) = previous.extensions.iter().position(|pe| pe.name == ne.name) else {
            steps.push(DiffStep::CreateExtension(ni));
            continue;
        };
        let pe = &previous.extensions[pi];
        let (version, schema) = (
            differs(&pe.version, &ne.version),
            differs(&pe.schema, &ne.schema),
        );
        if !version && !schema {
            continue;
        }
        if pe.relocatable || ne.relocatable {
            steps.push(DiffStep::AlterExtension {
                previous: pi,
                next: ni,
                version,
                schema,
            });
        } else {
            steps.push(DiffStep::DropExtension(pi));
            steps.push(DiffStep::CreateExtension(ni));
        }
    }
}

fn enum_steps(previous: &SqlSchema, next: &SqlSchema, steps: &mut Vec<DiffStep>) {
    let same = |a: &SqlEnum, b: &SqlEnum| a.name == b.name && a.schema == b.schema;
    for (pi, pe) in previous.enums.iter().enumerate() {
        if let Some(ni) = next.enums.iter().position(|ne| same(pe, ne)) {
            let ne = &next.enums[ni];
            let created: Vec<String> = ne
                .values
                .iter()
                .filter(|v| !pe.values.contains(v))
                .cloned()
                .collect();
            let dropped: Vec<String> = pe
                .values
                .iter()
                .filter(|v| !ne.values.contains(v))
                .cloned()
                .collect();
            if !created.is_empty() || !dropped.is_empty() {
                steps.push(DiffStep::AlterEnum(AlterEnum {
                    previous: pi,
                    next: ni,
                    created,
                    dropped,
                }));
            }
        } else {
            steps.push(DiffStep::DropEnum(pi));
        }
    }
    for (ni, ne) in next.enums.iter().enumerate() {
        if !previous.enums.iter().any(|pe| same(pe, ne)) {
            steps.push(DiffStep::CreateEnum(ni));
        }
    }
}

/// Columns of a table pair: (name, previous position, next position), in name order (Prisma
/// keeps them in an ordered map by name).
fn column_map(p: &SqlTable, n: &SqlTable) -> Vec<(String, Option<usize>, Option<usize>)> {
    let names: BTreeSet<&str> = p
        .columns
        .iter()
        .chain(&n.columns)
        .map(|c| c.name.as_str())
        .collect();
    names
        .into_iter()
        .map(|name| {
            (
                name.to_string(),
                p.columns.iter().position(|c| c.name == name),
                n.columns.iter().position(|c| c.name == name),
            )
        })
        .collect()
}

fn table_steps(
    previous: &SqlSchema,
    next: &SqlSchema,
    pi: usize,
    ni: usize,
    steps: &mut Vec<DiffStep>,
) {
    let (pt, nt) = (&previous.tables[pi], &next.tables[ni]);
    let columns = column_map(pt, nt);
    let pairs: Vec<(usize, usize)> = columns
        .iter()
        .filter_map(|(_, p, n)| Some(((*p)?, (*n)?)))
        .collect();
    let changes_of = |p: usize, n: usize| column_changes(&pt.columns[p], &nt.columns[n]);

    // Foreign keys.
    let fk_match = |pf: &SqlForeignKey, nf: &SqlForeignKey| foreign_keys_match(pt, nt, pf, nf);
    for (j, nf) in nt.foreign_keys.iter().enumerate() {
        if !pt.foreign_keys.iter().any(|pf| fk_match(pf, nf)) {
            steps.push(DiffStep::AddForeignKey {
                id: nf.id,
                at: (ni, j),
            });
        }
    }
    for (j, pf) in pt.foreign_keys.iter().enumerate() {
        if !nt.foreign_keys.iter().any(|nf| fk_match(pf, nf)) {
            steps.push(DiffStep::DropForeignKey {
                id: pf.id,
                at: (pi, j),
            });
        }
    }
    let mut seen = Vec::new();
    for (pj, pf) in pt.foreign_keys.iter().enumerate() {
        if let Some(nj) = nt
            .foreign_keys
            .iter()
            .enumerate()
            .position(|(j, nf)| !seen.contains(&j) && fk_match(pf, nf))
        {
            seen.push(nj);
            let nf = &nt.foreign_keys[nj];
            let m2m = |t: &SqlTable| {
                t.columns.len() == 2 && t.column("A").is_some() && t.column("B").is_some()
            };
            if pf.name != nf.name && !(m2m(pt) && m2m(nt)) {
                steps.push(DiffStep::RenameForeignKey {
                    previous: (pi, pj),
                    next: (ni, nj),
                });
            }
        }
    }

    // Indexes: renamed when they differ only by name (and no other index covers the same).
    let identical = |a: &SqlIndex, b: &SqlIndex| {
        a.columns.len() == b.columns.len()
            && a.columns
                .iter()
                .zip(&b.columns)
                .all(|(x, y)| x.name == y.name)
            && a.unique == b.unique
            && same_predicate(a.predicate.as_deref(), b.predicate.as_deref())
    };
    for (pj, pix) in pt.indexes.iter().enumerate() {
        if pt.indexes.iter().filter(|o| identical(pix, o)).count() != 1 {
            continue;
        }
        if let Some(nj) = nt.indexes.iter().position(|nix| indexes_match(pix, nix))
            && pix.name != nt.indexes[nj].name
        {
            steps.push(DiffStep::RenameIndex {
                previous: (pi, pj),
                next: (ni, nj),
            });
        }
    }
    for (j, nix) in nt.indexes.iter().enumerate() {
        if !pt.indexes.iter().any(|pix| indexes_match(pix, nix)) {
            steps.push(DiffStep::CreateIndex {
                previous_table: Some(pi),
                table: ni,
                id: nix.id,
                index: j,
                recreated: false,
            });
        }
    }
    for (j, pix) in pt.indexes.iter().enumerate() {
        if !nt.indexes.iter().any(|nix| indexes_match(pix, nix)) {
            steps.push(DiffStep::DropIndex {
                id: pix.id,
                at: (pi, j),
            });
        }
    }
    // Indexes on a column that is dropped and added again are created again.
    let recreated: Vec<&str> = pairs
        .iter()
        .filter(|(p, n)| changes_of(*p, *n).ty == Some(TypeChange::NotCastable))
        .map(|(_, n)| nt.columns[*n].name.as_str())
        .collect();
    for (j, nix) in nt.indexes.iter().enumerate() {
        let paired = pt.indexes.iter().any(|pix| indexes_match(pix, nix));
        if paired
            && nix
                .columns
                .iter()
                .any(|c| recreated.contains(&c.name.as_str()))
        {
            steps.push(DiffStep::CreateIndex {
                previous_table: Some(pi),
                table: ni,
                id: nix.id,
                index: j,
                recreated: true,
            });
        }
    }

    // The table itself.
    let pk_changed = match (&pt.primary_key, &nt.primary_key) {
        (Some(p), Some(n)) => {
            p.columns.len() != n.columns.len()
                || p.columns.iter().zip(&n.columns).any(|(a, b)| {
                    a.name != b.name || a.sort.unwrap_or(Sort::Asc) != b.sort.unwrap_or(Sort::Asc)
                })
                || pairs.iter().any(|(p_col, n_col)| {
                    p.columns.iter().any(|c| c.name == pt.columns[*p_col].name)
                        && changes_of(*p_col, *n_col).ty.is_some()
                })
        }
        _ => false,
    };
    let mut changes = Vec::new();
    let dropped_pk = matches!((&pt.primary_key, &nt.primary_key), (Some(_), None)) || pk_changed;
    if dropped_pk {
        changes.push(TableChange::DropPrimaryKey);
    }
    if let (Some(p), Some(n)) = (&pt.primary_key, &nt.primary_key)
        && p.name != n.name
    {
        changes.push(TableChange::RenamePrimaryKey);
    }
    for (_, p, n) in &columns {
        if let (Some(p), None) = (p, n) {
            changes.push(TableChange::DropColumn(*p));
        }
    }
    for (_, p, n) in &columns {
        if let (None, Some(n)) = (p, n) {
            changes.push(TableChange::AddColumn(*n));
        }
    }
    let mut altered: Vec<TableChange> = pairs
        .iter()
        .filter_map(|(p, n)| {
            let c = changes_of(*p, *n);
            if !c.any() {
                return None;
            }
            Some(if c.ty == Some(TypeChange::NotCastable) {
                TableChange::DropAndRecreateColumn {
                    previous: *p,
                    next: *n,
                    changes: c,
                }
            } else {
                TableChange::AlterColumn {
                    previous: *p,
                    next: *n,
                    changes: c,
                }
            })
        })
        .collect();
    altered.sort_by_key(|c| match c {
        TableChange::AlterColumn { previous, next, .. }
        | TableChange::DropAndRecreateColumn { previous, next, .. } => (*previous, *next),
        _ => (0, 0),
    });
    changes.extend(altered);
    if matches!((&pt.primary_key, &nt.primary_key), (None, Some(_))) || pk_changed {
        changes.push(TableChange::AddPrimaryKey);
    }
    if !changes.is_empty() {
        steps.push(DiffStep::AlterTable(AlterTable {
            previous: pi,
            next: ni,
            changes,
        }));
    }
}

/// Two indexes that differ at most by name.
fn indexes_match(a: &SqlIndex, b: &SqlIndex) -> bool {
    a.columns.len() == b.columns.len()
        && a.columns.iter().zip(&b.columns).all(|(x, y)| {
            x.name == y.name
                && x.sort.unwrap_or(Sort::Asc) == y.sort.unwrap_or(Sort::Asc)
                && (x.ops == y.ops
                    || (x.ops.is_none() && y.ops_default)
                    || (y.ops.is_none() && x.ops_default))
        })
        && a.unique == b.unique
        && a.algorithm == b.algorithm
        && same_predicate(a.predicate.as_deref(), b.predicate.as_deref())
}

fn foreign_keys_match(pt: &SqlTable, nt: &SqlTable, p: &SqlForeignKey, n: &SqlForeignKey) -> bool {
    let columns_ok = p.columns.len() == n.columns.len()
        && p.columns.iter().zip(&n.columns).all(|(a, b)| {
            if a != b {
                return false;
            }
            match (pt.column(a), nt.column(b)) {
                (Some(pc), Some(nc)) => {
                    column_changes(pc, nc).ty.is_none()
                        && (pc.arity == nc.arity
                            || (pc.arity == ColumnArity::Required
                                && nc.arity == ColumnArity::Nullable))
                }
                _ => false,
            }
        });
    p.referenced_table == n.referenced_table
        && p.referenced_columns == n.referenced_columns
        && columns_ok
        && p.on_delete == n.on_delete
        && p.on_update == n.on_update
}

/// Prisma moves the drop of a unique index on a table without primary key to just after the
/// step that makes a primary key of the same columns.
fn move_drop_unique_before_new_primary_key(
    previous: &SqlSchema,
    next: &SqlSchema,
    steps: &mut Vec<DiffStep>,
) {
    let mut i = 0;
    while i < steps.len() {
        if let DiffStep::DropIndex { at: (t, ix), .. } = steps[i] {
            let table = &previous.tables[t];
            let index = &table.indexes[ix];
            if index.unique && table.primary_key.is_none() {
                let target = steps.iter().enumerate().skip(i + 1).position(|(_, s)| {
                    let DiffStep::AlterTable(a) = s else {
                        return false;
                    };
                    a.previous == t
                        && a.changes.contains(&TableChange::AddPrimaryKey)
                        && a.changes.iter().all(|c| match c {
                            TableChange::DropColumn(p)
                            | TableChange::DropAndRecreateColumn { previous: p, .. } => !index
                                .columns
                                .iter()
                                .any(|ic| ic.name == table.columns[*p].name),
                            _ => true,
                        })
                        && next.tables[a.next].primary_key.as_ref().is_some_and(|pk| {
                            pk.columns.len() == index.columns.len()
                                && pk
                                    .columns
                                    .iter()
                                    .zip(&index.columns)
                                    .all(|(x, y)| x.name == y.name)
                        })
                });
                if let Some(offset) = target {
                    // To just after that step (as Prisma does); the step now at `i` is next.
                    let step = steps.remove(i);
                    steps.insert(i + 1 + offset, step);
                    continue;
                }
            }
        }
        i += 1;
    }
}
