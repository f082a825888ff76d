//! Prisma Migrate's notion of a difference: the steps that take one schema (`previous`: what
//! a database or the migrations have) to another (`next`: what schema.prisma asks for), found
//! and ordered as Prisma's differ finds and orders them, so that the summary and the SQL written
//! from them are Prisma's.
//!
//! Pairing: tables by schema and name, columns by name, enums by schema and name; indexes,
//! foreign keys and primary keys by what they cover (an index that differs only by name is
//! renamed). Steps are sorted by kind, then by the position of their objects in their schema.

use std::collections::BTreeSet;

use super::model::*;

/// The steps from `previous` to `next`.
#[derive(Debug, Clone)]
pub struct SchemaDiff<'a> {
    pub previous: &'a SqlSchema,
    pub next: &'a SqlSchema,
    pub steps: Vec<DiffStep>,
}

impl SchemaDiff<'_> {
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }
}

/// A table, an index or a foreign key, by position: (table, item) in its schema.
pub type At = (usize, usize);

/// Prisma's migration steps; the order of the variants is the order of the steps.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum DiffStep {
    CreateSchema(String),
    /// An extension of `previous`.
    DropExtension(usize),
    /// An extension of `next`.
    CreateExtension(usize),
    AlterExtension {
        previous: usize,
        next: usize,
        version: bool,
        schema: bool,
    },
    CreateEnum(usize),
    AlterEnum(AlterEnum),
    DropForeignKey {
        id: usize,
        at: At,
    },
    DropIndex {
        id: usize,
        at: At,
    },
    AlterTable(AlterTable),
    DropTable(usize),
    DropEnum(usize),
    CreateTable(usize),
    CreateIndex {
        previous_table: Option<usize>,
        table: usize,
        id: usize,
        index: usize,
        recreated: bool,
    },
    RenameForeignKey {
        previous: At,
        next: At,
    },
    AddForeignKey {
        id: usize,
        at: At,
    },
    RenameIndex {
        previous: At,
        next: At,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct AlterEnum {
    pub previous: usize,
    pub next: usize,
    pub created: Vec<String>,
    pub dropped: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct AlterTable {
    pub previous: usize,
    pub next: usize,
    pub changes: Vec<TableChange>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum TableChange {
    /// A column of `next`.
    AddColumn(usize),
    AlterColumn {
        previous: usize,
        next: usize,
        changes: ColumnChanges,
    },
    /// A column of `previous`.
    DropColumn(usize),
    /// The type change cannot be cast: the column is dropped and added again.
    DropAndRecreateColumn {
        previous: usize,
        next: usize,
        changes: ColumnChanges,
    },
    DropPrimaryKey,
    AddPrimaryKey,
    RenamePrimaryKey,
}

/// How a type change can be made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum TypeChange {
    RiskyCast,
    SafeCast,
    NotCastable,
}

/// What differs in a column, in Prisma's order (arity, default, type, autoincrement).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct ColumnChanges {
    pub arity: bool,
    pub default: bool,
    pub ty: Option<TypeChange>,
    pub autoincrement: bool,
}

impl ColumnChanges {
    pub fn any(&self) -> bool {
        self.arity || self.default || self.ty.is_some() || self.autoincrement
    }
}

/// The steps from `previous` to `next`. `next_namespaces`: the schemas `next` lists (a
/// multi-schema datasource's), created when `previous` lacks them.
pub fn compare<'a>(
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

/// What differs between two columns of the same name.
pub fn column_changes(p: &Column, n: &Column) -> ColumnChanges {
    ColumnChanges {
        arity: p.arity != n.arity,
        default: !defaults_match(p, n),
        ty: type_change(p, n),
        autoincrement: p.autoincrement != n.autoincrement,
    }
}

fn defaults_match(p: &Column, n: &Column) -> bool {
    use ColumnDefault::*;
    let is_datetime = |c: &Column| matches!(&c.ty, ColumnType::Native(t) if matches!(t.name.as_str(), "Timestamp" | "Timestamptz" | "Date" | "Time" | "Timetz"));
    match (&p.default, &n.default) {
        (Some(DbGenerated(_)), Some(Value(Literal::List(_))))
        | (Some(Value(Literal::List(_))), Some(DbGenerated(_)))
            if is_datetime(p) || is_datetime(n) =>
        {
            true
        }
        (Some(Value(a)), Some(Value(b))) => literals_match(a, b),
        (Some(Now), Some(Now)) => true,
        (_, Some(DbGenerated(None))) | (Some(DbGenerated(None)), _) => true,
        (Some(DbGenerated(Some(a))), Some(DbGenerated(Some(b)))) => {
            normalize_expression(a).eq_ignore_ascii_case(&normalize_expression(b))
        }
        (Some(Sequence(_)), None) | (None, Some(Sequence(_))) => true,
        (Some(Sequence(_)), Some(Sequence(_))) => true,
        (None, None) => true,
        _ => false,
    }
}

/// An expression as the database stores it and as written may differ in casts and
/// parentheses (`(gen_random_uuid())::text`): compare without them.
fn normalize_expression(e: &str) -> String {
    e.chars().filter(|c| !c.is_whitespace()).collect()
}

fn literals_match(a: &Literal, b: &Literal) -> bool {
    use Literal::*;
    match (a, b) {
        (DateTime(_), _) | (_, DateTime(_)) => true,
        (Json(x), Json(y)) | (String(x), Json(y)) | (Json(x), String(y)) => {
            match (
                serde_json::from_str::<serde_json::Value>(x),
                serde_json::from_str::<serde_json::Value>(y),
            ) {
                (Ok(x), Ok(y)) => x == y,
                _ => true,
            }
        }
        (Number(x), Number(y)) => numbers_match(x, y),
        (String(x) | Enum(x), String(y) | Enum(y)) => x == y,
        (List(x), List(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| literals_match(a, b))
        }
        (Bytes(x), Bytes(y)) => x == y,
        (Boolean(x), Boolean(y)) => x == y,
        (Number(x), String(y)) | (String(y), Number(x)) => numbers_match(x, y),
        _ => false,
    }
}

fn numbers_match(x: &str, y: &str) -> bool {
    if x == y {
        return true;
    }
    match (x.parse::<i128>(), y.parse::<i128>()) {
        (Ok(a), Ok(b)) => a == b,
        _ => match (x.parse::<f64>(), y.parse::<f64>()) {
            (Ok(a), Ok(b)) => a == b,
            _ => false,
        },
    }
}

/// Prisma's type comparison: enums by name; lists and scalars never cast into each other
/// (except to text); known types by how safely one casts to the other.
pub fn type_change(p: &Column, n: &Column) -> Option<TypeChange> {
    use TypeChange::*;
    match (&p.ty, &n.ty) {
        (
            ColumnType::Enum {
                name: a,
                schema: sa,
            },
            ColumnType::Enum {
                name: b,
                schema: sb,
            },
        ) => {
            return if a == b && sa == sb {
                None
            } else {
                Some(NotCastable)
            };
        }
        (ColumnType::Enum { .. }, _) | (_, ColumnType::Enum { .. }) => return Some(NotCastable),
        _ => {}
    }
    let list_to_scalar = p.arity == ColumnArity::List && n.arity != ColumnArity::List;
    let scalar_to_list = p.arity != ColumnArity::List && n.arity == ColumnArity::List;
    let next_native = match &n.ty {
        ColumnType::Native(t) => Some(t),
        _ => None,
    };
    if list_to_scalar {
        match next_native.map(|t| (t.name.as_str(), t.args.as_slice())) {
            Some(("Text", _)) | Some(("VarChar", [])) => return Some(SafeCast),
            Some(("VarChar", _)) | Some(("Char", _)) => return Some(RiskyCast),
            _ => return Some(NotCastable),
        }
    }
    if scalar_to_list {
        return Some(NotCastable);
    }
    match (&p.ty, &n.ty) {
        (ColumnType::Native(a), ColumnType::Native(b)) => native_change(a, b),
        (ColumnType::Unsupported(a), ColumnType::Unsupported(b)) => {
            (!same_unsupported(a, b)).then_some(RiskyCast)
        }
        _ => Some(RiskyCast),
    }
}

fn same_unsupported(a: &str, b: &str) -> bool {
    let norm = |s: &str| {
        s.to_ascii_lowercase()
            .split_whitespace()
            .collect::<String>()
    };
    norm(a) == norm(b)
}

/// How safely a value of type `p` casts to type `n` (None: the same type).
fn native_change(p: &NativeType, n: &NativeType) -> Option<TypeChange> {
    use TypeChange::*;
    if p == n {
        return None;
    }
    let one = |t: &NativeType| t.args.first().copied();
    let two = |t: &NativeType| match t.args.as_slice() {
        [a, b] => Some((*a, *b)),
        _ => None,
    };
    let next_is_char = n.name == "Char";
    let nlen = one(n);
    let nn = n.name.as_str();
    let string_len = |limit: u32| -> TypeChange {
        match nlen {
            Some(len) if len < limit => RiskyCast,
            None if next_is_char => RiskyCast,
            _ => SafeCast,
        }
    };
    // Same precision-less time types.
    if p.name == n.name
        && matches!(
            p.name.as_str(),
            "Timestamp" | "Timestamptz" | "Time" | "Timetz"
        )
        && (n.args.is_empty() || p.args.is_empty() || p.args == n.args)
    {
        return None;
    }
    Some(match p.name.as_str() {
        "Inet" => match nn {
            "Citext" | "Text" | "VarChar" => SafeCast,
            _ => NotCastable,
        },
        "Money" => match nn {
            "Citext" | "Text" | "VarChar" => SafeCast,
            _ => RiskyCast,
        },
        "Citext" => match nn {
            "Text" | "VarChar" => SafeCast,
            _ => RiskyCast,
        },
        "Oid" => match nn {
            "Text" | "VarChar" | "BigInt" | "Integer" => SafeCast,
            _ => NotCastable,
        },
        "SmallInt" | "Integer" | "BigInt" => {
            let (digits, chars) = match p.name.as_str() {
                "SmallInt" => (3, 4),
                "Integer" => (10, 11),
                _ => (19, 20),
            };
            match nn {
                "SmallInt" => RiskyCast,
                "Integer" if p.name == "BigInt" => RiskyCast,
                "Integer" | "BigInt" | "Real" | "DoublePrecision" | "Text" => SafeCast,
                "Decimal" => match two(n) {
                    Some((pr, s)) if pr.saturating_sub(s) < digits => RiskyCast,
                    _ => SafeCast,
                },
                "VarChar" | "Char" => string_len(chars),
                _ => NotCastable,
            }
        }
        "Decimal" => {
            let old = two(p);
            match nn {
                "SmallInt" | "Integer" | "BigInt" => {
                    let max = match nn {
                        "SmallInt" => 2,
                        "Integer" => 9,
                        _ => 18,
                    };
                    match old {
                        None => RiskyCast,
                        Some((_, s)) if s > 0 => RiskyCast,
                        Some((pr, _)) if pr > max => RiskyCast,
                        _ => SafeCast,
                    }
                }
                "Decimal" => match (old, two(n)) {
                    (Some(_), None) => SafeCast,
                    (None, Some(_)) => RiskyCast,
                    (Some((po, so)), Some((pn, sn)))
                        if po.saturating_sub(so) > pn.saturating_sub(sn) || so > sn =>
                    {
                        RiskyCast
                    }
                    _ => SafeCast,
                },
                "Real" | "DoublePrecision" => RiskyCast,
                "VarChar" | "Char" => match (nlen, old) {
                    (Some(len), Some((pr, 0))) if pr + 1 > len => RiskyCast,
                    (Some(len), Some((pr, s))) if s > 0 && pr + 2 > len => RiskyCast,
                    (Some(len), None) if len < 131073 => RiskyCast,
                    (None, _) if next_is_char => RiskyCast,
                    _ => SafeCast,
                },
                "Text" => SafeCast,
                _ => NotCastable,
            }
        }
        "Real" | "DoublePrecision" => match nn {
            "SmallInt" | "Integer" | "BigInt" | "Decimal" => RiskyCast,
            "Real" if p.name == "DoublePrecision" => RiskyCast,
            "Real" | "DoublePrecision" | "Text" => SafeCast,
            "VarChar" | "Char" => string_len(if p.name == "Real" { 47 } else { 317 }),
            _ => NotCastable,
        },
        "VarChar" | "Char" => match nn {
            "Text" => SafeCast,
            "VarChar" | "Char" => match (one(p), nlen) {
                (None, None) if next_is_char => RiskyCast,
                (None, Some(_)) if p.name == "VarChar" => RiskyCast,
                (None, _) => SafeCast,
                (Some(1), None) => SafeCast,
                (Some(_), None) if next_is_char => RiskyCast,
                (Some(_), None) => SafeCast,
                (Some(o), Some(nw)) if o > nw => RiskyCast,
                _ => SafeCast,
            },
            _ => NotCastable,
        },
        "Text" => match nn {
            "Citext" => SafeCast,
            "VarChar" if n.args.is_empty() => SafeCast,
            "VarChar" | "Char" => RiskyCast,
            _ => NotCastable,
        },
        "ByteA" => match nn {
            "Text" => SafeCast,
            "VarChar" if n.args.is_empty() => SafeCast,
            "VarChar" | "Char" if nlen.is_some_and(|l| l > 2) => RiskyCast,
            _ => NotCastable,
        },
        "Timestamp" | "Timestamptz" | "Date" | "Time" | "Timetz" => {
            let min_len = match p.name.as_str() {
                "Timestamp" => 22,
                "Time" => 13,
                "Timetz" => 18,
                _ => 27,
            };
            match nn {
                "Text" => SafeCast,
                "VarChar" if n.args.is_empty() => SafeCast,
                "Char" | "VarChar" if nlen.is_some_and(|l| l > min_len) => SafeCast,
                "Timestamp" | "Timestamptz" if p.name != "Time" && p.name != "Timetz" => SafeCast,
                "Date" if p.name.starts_with("Timestamp") => SafeCast,
                "Time" | "Timetz" if p.name != "Date" => SafeCast,
                _ => NotCastable,
            }
        }
        "Boolean" => match nn {
            "Text" | "VarChar" => SafeCast,
            "Char" if nlen.is_some_and(|l| l > 4) => SafeCast,
            "Char" if nlen.is_some_and(|l| l > 3) => RiskyCast,
            _ => NotCastable,
        },
        "Bit" | "VarBit" => match nn {
            "Text" => SafeCast,
            "VarChar" | "VarBit" | "Char" | "Bit" => RiskyCast,
            _ => NotCastable,
        },
        "Uuid" => match nn {
            "Text" => SafeCast,
            "VarChar" if n.args.is_empty() => SafeCast,
            "VarChar" | "Char" if nlen.is_some_and(|l| l > 31) => SafeCast,
            _ => NotCastable,
        },
        "Xml" | "Json" | "JsonB" => match nn {
            "Text" => SafeCast,
            "JsonB" | "Json" if p.name != "Xml" => SafeCast,
            "VarChar" if n.args.is_empty() => SafeCast,
            "VarChar" | "Char" => RiskyCast,
            _ => NotCastable,
        },
        _ => RiskyCast,
    })
}
