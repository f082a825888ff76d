//! The PostgreSQL schema Prisma Migrate would create for a data model: a table per model
//! (views are not managed), a column per scalar field with Prisma's default native types, the
//! primary key, unique constraints and indexes with Prisma's names, a foreign key per relation
//! that holds `fields`, an implicit many-to-many relation's join table, and the enums.

use super::model::*;
use crate::psl::{
    self, Arity, Datamodel, FieldDefault, FieldKind, IndexKind, ScalarType, SourceFile, Value,
};

/// Calculates the schema; `default_schema` is the URL's schema (models without `@@schema`,
/// and those naming it, are there).
pub(crate) fn calculate(dm: &Datamodel, files: &[SourceFile], default_schema: &str) -> SqlSchema {
    let namespace = |s: &Option<String>| s.clone().filter(|s| s != default_schema);
    let origin = |loc: psl::Loc| -> Origin { files.get(loc.file).map(|f| f.location(loc.offset)) };
    let mut out = SqlSchema::default();
    for e in &dm.enums {
        out.enums.push(SqlEnum {
            schema: namespace(&e.schema),
            name: e.db_name.clone(),
            values: e.values.iter().map(|v| v.db_name.clone()).collect(),
            origin: origin(e.at),
        });
    }
    let tables: Vec<&psl::Model> = dm.models.iter().filter(|m| !m.is_view).collect();
    for m in &tables {
        let mut t = SqlTable {
            schema: namespace(&m.schema),
            name: m.db_name.clone(),
            columns: Vec::new(),
            primary_key: None,
            indexes: Vec::new(),
            foreign_keys: Vec::new(),
            origin: origin(m.at),
            prisma_name: Some(m.name.clone()),
        };
        for f in &m.fields {
            if let Some(c) = column(dm, f, &namespace, origin(f.at)) {
                t.columns.push(c);
            }
        }
        let db = |field: &str| {
            m.field(field)
                .map_or(field.to_string(), |f| f.db_name.clone())
        };
        let index_columns = |fields: &[psl::IndexField]| -> Vec<IndexColumn> {
            fields
                .iter()
                .map(|f| IndexColumn {
                    name: db(&f.field),
                    sort: f.sort.map(|s| match s {
                        psl::SortOrder::Asc => Sort::Asc,
                        psl::SortOrder::Desc => Sort::Desc,
                    }),
                    ops: f.ops.as_deref().map(operator_class),
                    ops_default: false,
                })
                .collect()
        };
        if let Some(pk) = &m.primary_key {
            t.primary_key = Some(SqlPrimaryKey {
                name: pk.map.clone().unwrap_or_else(|| primary_key_name(&t.name)),
                columns: index_columns(&pk.fields),
                id: 0,
            });
        }
        for ix in &m.indexes {
            let columns = index_columns(&ix.fields);
            let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
            let unique = ix.kind == IndexKind::Unique;
            t.indexes.push(SqlIndex {
                name: ix
                    .map
                    .clone()
                    .unwrap_or_else(|| index_name(&t.name, &names, unique)),
                unique,
                columns,
                algorithm: ix.algorithm.clone().unwrap_or_else(|| "BTree".into()),
                id: 0,
                origin: origin(ix.at),
                predicate: ix.predicate.clone(),
            });
        }
        out.tables.push(t);
    }
    // Foreign keys: one per relation field that holds `fields`, on its model's table, in the
    // order Prisma meets the relations (model by model, field by field, either side). None
    // with `relationMode = "prisma"`.
    let order = relation_order(dm);
    let foreign_keys = crate::psl::datasource(files)
        .ok()
        .flatten()
        .and_then(|d| d.relation_mode)
        .is_none_or(|m| m != "prisma");
    for m in tables.iter().filter(|_| foreign_keys) {
        for f in &m.fields {
            let (FieldKind::Relation(target), Some(rel)) = (&f.kind, &f.relation) else {
                continue;
            };
            let other = &dm.models[*target];
            if rel.fields.is_empty() || other.is_view {
                continue;
            }
            let columns: Vec<String> = rel
                .fields
                .iter()
                .map(|n| m.field(n).map_or(n.clone(), |x| x.db_name.clone()))
                .collect();
            let names: Vec<&str> = columns.iter().map(String::as_str).collect();
            let all_optional = rel
                .fields
                .iter()
                .all(|n| m.field(n).is_some_and(|x| x.arity == Arity::Optional));
            let fk = SqlForeignKey {
                name: rel
                    .map
                    .clone()
                    .unwrap_or_else(|| foreign_key_name(&m.db_name, &names)),
                columns,
                referenced_schema: namespace(&other.schema),
                referenced_table: other.db_name.clone(),
                referenced_columns: rel
                    .references
                    .iter()
                    .map(|n| other.field(n).map_or(n.clone(), |x| x.db_name.clone()))
                    .collect(),
                on_delete: rel.on_delete.map(action).unwrap_or(if all_optional {
                    FkAction::SetNull
                } else {
                    FkAction::Restrict
                }),
                on_update: rel.on_update.map(action).unwrap_or(FkAction::Cascade),
                id: order
                    .iter()
                    .position(|k| *k == relation_key(dm, m, f))
                    .unwrap_or(usize::MAX),
                origin: origin(f.at),
            };
            let table = out
                .tables
                .iter_mut()
                .find(|t| t.name == m.db_name && t.schema == namespace(&m.schema))
                .expect("the model's table");
            table.foreign_keys.push(fk);
        }
    }
    let inline = order.len();
    join_tables(dm, &tables, &mut out, &namespace, &origin, inline);
    if !foreign_keys {
        for t in &mut out.tables {
            t.foreign_keys.clear();
        }
    }
    // SqlIndex ids: table by table, the primary key first.
    let mut next = 0;
    for t in &mut out.tables {
        if let Some(pk) = &mut t.primary_key {
            pk.id = next;
            next += 1;
        }
        for ix in &mut t.indexes {
            ix.id = next;
            next += 1;
        }
    }
    out
}

/// A relation: its two models (in index order) and its name.
type RelationKey = (usize, usize, Option<String>);

fn relation_key(dm: &Datamodel, m: &psl::Model, f: &psl::ModelField) -> RelationKey {
    let me = dm.models.iter().position(|x| x.name == m.name).unwrap_or(0);
    let FieldKind::Relation(target) = f.kind else {
        return (me, me, None);
    };
    let name = psl::model::relation_name(f).map(str::to_string);
    (me.min(target), me.max(target), name)
}

/// Every relation, in the order Prisma records them (at the field [`psl::model::records_relation`]
/// names).
fn relation_order(dm: &Datamodel) -> Vec<RelationKey> {
    let mut order = Vec::new();
    for m in dm.models.iter().filter(|m| !m.is_view) {
        for f in &m.fields {
            if !psl::model::records_relation(dm, m, f) {
                continue;
            }
            let key = relation_key(dm, m, f);
            if !order.contains(&key) {
                order.push(key);
            }
        }
    }
    order
}

fn action(a: psl::ReferentialAction) -> FkAction {
    match a {
        psl::ReferentialAction::Cascade => FkAction::Cascade,
        psl::ReferentialAction::Restrict => FkAction::Restrict,
        psl::ReferentialAction::NoAction => FkAction::NoAction,
        psl::ReferentialAction::SetNull => FkAction::SetNull,
        psl::ReferentialAction::SetDefault => FkAction::SetDefault,
    }
}

/// The column of a scalar, enum or unsupported field (None for a relation field).
fn column(
    dm: &Datamodel,
    f: &psl::ModelField,
    namespace: &dyn Fn(&Option<String>) -> Option<String>,
    origin: Origin,
) -> Option<Column> {
    let arity = match f.arity {
        Arity::Required => ColumnArity::Required,
        Arity::Optional => ColumnArity::Nullable,
        Arity::List => ColumnArity::List,
    };
    let (ty, scalar) = match &f.kind {
        FieldKind::Relation(_) => return None,
        FieldKind::Scalar(s) => (
            ColumnType::Native(native_type(*s, f.native.as_ref())),
            Some(*s),
        ),
        FieldKind::Enum(i) => {
            let e = &dm.enums[*i];
            (
                ColumnType::Enum {
                    schema: namespace(&e.schema),
                    name: e.db_name.clone(),
                },
                None,
            )
        }
        FieldKind::Unsupported(u) => (ColumnType::Unsupported(u.clone()), None),
    };
    let default = match &f.default {
        None | Some(FieldDefault::Generated) | Some(FieldDefault::Autoincrement) => None,
        Some(FieldDefault::Now) => Some(ColumnDefault::Now),
        Some(FieldDefault::DbGenerated(e)) => Some(ColumnDefault::DbGenerated(e.clone())),
        Some(FieldDefault::Value(v)) => Some(ColumnDefault::Value(literal(v, scalar))),
    };
    Some(Column {
        name: f.db_name.clone(),
        ty,
        arity,
        default,
        autoincrement: matches!(f.default, Some(FieldDefault::Autoincrement)),
        origin,
        prisma_name: Some(f.name.clone()),
    })
}

/// A literal as Prisma types it for the column's scalar type.
fn literal(v: &Value, scalar: Option<ScalarType>) -> Literal {
    match v {
        Value::List(items) => Literal::List(items.iter().map(|i| literal(i, scalar)).collect()),
        Value::Enum(e) => Literal::Enum(e.clone()),
        Value::Boolean(b) => Literal::Boolean(*b),
        Value::Number(n) => Literal::Number(n.clone()),
        Value::String(s) => match scalar {
            Some(ScalarType::DateTime) => Literal::DateTime(s.clone()),
            Some(ScalarType::Json) => Literal::Json(s.clone()),
            Some(ScalarType::Bytes) => Literal::Bytes(s.clone()),
            Some(ScalarType::Decimal) => Literal::Number(s.clone()),
            _ => Literal::String(s.clone()),
        },
    }
}

/// The native type of a scalar field: its `@db.*` attribute, else Prisma's default for the
/// scalar type.
pub(crate) fn native_type(scalar: ScalarType, native: Option<&psl::NativeTypeAttr>) -> NativeType {
    if let Some(n) = native {
        let args = n.args.iter().filter_map(|a| a.parse().ok()).collect();
        return NativeType {
            name: n.name.clone(),
            args,
        };
    }
    let (name, args): (&str, &[u32]) = match scalar {
        ScalarType::String => ("Text", &[]),
        ScalarType::Boolean => ("Boolean", &[]),
        ScalarType::Int => ("Integer", &[]),
        ScalarType::BigInt => ("BigInt", &[]),
        ScalarType::Float => ("DoublePrecision", &[]),
        ScalarType::Decimal => ("Decimal", &[65, 30]),
        ScalarType::DateTime => ("Timestamp", &[3]),
        ScalarType::Json => ("JsonB", &[]),
        ScalarType::Bytes => ("ByteA", &[]),
    };
    NativeType::new(name, args)
}

/// Implicit many-to-many relations: a join table `_<RelationName>` with columns `A` and `B`
/// (the models in name order) referencing each side's id, primary key `(A, B)`, an index on
/// `B`, and foreign keys that cascade.
fn join_tables(
    dm: &Datamodel,
    tables: &[&psl::Model],
    out: &mut SqlSchema,
    namespace: &dyn Fn(&Option<String>) -> Option<String>,
    origin: &dyn Fn(psl::Loc) -> Origin,
    first_fk_id: usize,
) {
    let mut fk_id = first_fk_id;
    let mut seen: Vec<String> = Vec::new();
    for m in tables {
        for f in &m.fields {
            let FieldKind::Relation(target) = f.kind else {
                continue;
            };
            let other = &dm.models[target];
            if f.arity != Arity::List || other.is_view {
                continue;
            }
            let Some(o) = psl::model::opposite(dm, m, f) else {
                continue;
            };
            if o.arity != Arity::List || !psl::model::records_relation(dm, m, f) {
                continue;
            }
            let (a, b) = if m.name <= other.name {
                (*m, other)
            } else {
                (other, *m)
            };
            let relation = psl::model::relation_name(f)
                .map(str::to_string)
                .unwrap_or_else(|| format!("{}To{}", a.name, b.name));
            let name: String = format!("_{relation}")
                .chars()
                .take(MAX_IDENTIFIER)
                .collect();
            let key = format!("{:?}.{name}", namespace(&a.schema));
            if seen.contains(&key) {
                continue;
            }
            seen.push(key);
            let id_column = |model: &psl::Model| -> Option<(Column, String)> {
                let pk = model.primary_key.as_ref()?;
                let field = model.field(&pk.fields.first()?.field)?;
                let c = column(dm, field, namespace, None)?;
                Some((c, field.db_name.clone()))
            };
            let (Some((a_col, a_ref)), Some((b_col, b_ref))) = (id_column(a), id_column(b)) else {
                continue;
            };
            let col = |n: &str, from: Column| Column {
                name: n.to_string(),
                ty: from.ty,
                arity: ColumnArity::Required,
                default: None,
                autoincrement: false,
                origin: None,
                prisma_name: None,
            };
            let fk_base = if name.len() > MAX_IDENTIFIER - 7 {
                truncate(&name, MAX_IDENTIFIER - 7).to_string()
            } else {
                name.clone()
            };
            let fk = |c: &str, model: &psl::Model, referenced: String, id: usize| SqlForeignKey {
                name: format!("{fk_base}_{c}_fkey"),
                columns: vec![c.to_string()],
                referenced_schema: namespace(&model.schema),
                referenced_table: model.db_name.clone(),
                referenced_columns: vec![referenced],
                on_delete: FkAction::Cascade,
                on_update: FkAction::Cascade,
                id,
                origin: origin(f.at),
            };
            let plain = |n: &str| IndexColumn {
                name: n.to_string(),
                sort: None,
                ops: None,
                ops_default: false,
            };
            out.tables.push(SqlTable {
                schema: namespace(&a.schema),
                name: name.clone(),
                columns: vec![col("A", a_col), col("B", b_col)],
                primary_key: Some(SqlPrimaryKey {
                    name: format!("{}_AB_pkey", truncate(&name, MAX_IDENTIFIER - 8)),
                    columns: vec![plain("A"), plain("B")],
                    id: 0,
                }),
                indexes: vec![SqlIndex {
                    name: format!("{}_B_index", truncate(&name, MAX_IDENTIFIER - 8)),
                    unique: false,
                    columns: vec![plain("B")],
                    algorithm: "BTree".into(),
                    id: 0,
                    origin: None,
                    predicate: None,
                }],
                foreign_keys: vec![fk("A", a, a_ref, fk_id), fk("B", b, b_ref, fk_id + 1)],
                origin: origin(f.at),
                prisma_name: None,
            });
            fk_id += 2;
        }
    }
}
