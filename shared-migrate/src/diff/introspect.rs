//! The schema a database has (the catalog's facts, read by `db/catalog.rs`) in the same model
//! as the schema Prisma would create. Read-only: plain SELECTs, no lock. What Prisma does not manage (views,
//! functions, triggers, check constraints, expression indexes, partial indexes without Prisma's
//! `partialIndexes` preview, objects of extensions) is listed apart, never compared.

use postgres::GenericClient;

use super::model::*;
use crate::db::catalog;
use crate::error::Error;

/// A database's schema, and what is in it that Prisma does not manage.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct Introspected {
    pub schema: SqlSchema,
    /// `view "v"`, `function "f"()`, `trigger "t" on "a"`, `check constraint "c" on "a"`, ...
    pub unmanaged: Vec<String>,
}

/// Reads `schemas` (the first is the default namespace: its objects get no schema name).
/// `_prisma_migrations` is the ledger, not part of the schema. `partial_indexes`: schema.prisma
/// enables Prisma's `partialIndexes` preview, so partial indexes are read (else unmanaged).
pub(crate) fn introspect(
    client: &mut impl GenericClient,
    schemas: &[String],
    partial_indexes: bool,
) -> Result<Introspected, Error> {
    let read = |e: postgres::Error| Error::database("reading the database schema", &e);
    let default = schemas.first().cloned().unwrap_or_else(|| "public".into());
    let ns = |n: String| (n != default).then_some(n);
    let mut out = Introspected::default();

    for (schema, name, values) in catalog::enums(client, schemas).map_err(read)? {
        out.schema.enums.push(SqlEnum {
            schema: ns(schema),
            name,
            values,
            origin: None,
        });
    }

    let tables = catalog::tables(client, schemas).map_err(read)?;
    let oids: Vec<u32> = tables.iter().map(|t| t.oid).collect();
    // Each table's place in the schema's list, by oid.
    let mut place = std::collections::HashMap::new();
    for t in tables {
        place.insert(t.oid, out.schema.tables.len());
        out.schema.tables.push(SqlTable {
            schema: ns(t.schema),
            name: t.name,
            columns: Vec::new(),
            primary_key: None,
            indexes: Vec::new(),
            foreign_keys: Vec::new(),
            origin: None,
            prisma_name: None,
        });
    }

    for c in catalog::columns(client, &oids).map_err(read)? {
        let Some(&table) = place.get(&c.table) else {
            continue;
        };
        let ty = if c.typtype == "e" {
            ColumnType::Enum {
                schema: ns(c.type_schema),
                name: c.typname.clone(),
            }
        } else {
            native(&c.typname, c.typmod).map_or(
                ColumnType::Unsupported(c.element_formatted),
                ColumnType::Native,
            )
        };
        let arity = if c.is_array {
            ColumnArity::List
        } else if c.not_null {
            ColumnArity::Required
        } else {
            ColumnArity::Nullable
        };
        let default = c.default.as_deref().map(|d| parse_default(d, &ty));
        let autoincrement =
            !c.identity.is_empty() || matches!(default, Some(ColumnDefault::Sequence(_)));
        out.schema.tables[table].columns.push(Column {
            name: c.name,
            ty,
            arity,
            default,
            autoincrement,
            origin: None,
            prisma_name: None,
        });
    }

    // Primary keys and indexes, their columns in order with sort and operator class.
    let mut indexes = catalog::indexes(client, &oids).map_err(read)?;
    // In the schema's order of tables, then by name.
    indexes.sort_by(|a, b| (place.get(&a.table), &a.name).cmp(&(place.get(&b.table), &b.name)));
    for ix in indexes {
        let Some(&table) = place.get(&ix.table) else {
            continue;
        };
        let table_name = &out.schema.tables[table].name;
        // Prisma's describer leaves out indexes on expressions and partial indexes.
        if ix.on_expression {
            out.unmanaged.push(format!(
                "expression index \"{}\" on \"{table_name}\"",
                ix.name
            ));
            continue;
        }
        // Partial indexes are Prisma's only with its `partialIndexes` preview (7.4+); before,
        // a hand-written one is left alone, as Prisma leaves it.
        if ix.predicate.is_some() && !partial_indexes {
            out.unmanaged
                .push(format!("partial index \"{}\" on \"{table_name}\"", ix.name));
            continue;
        }
        let columns: Vec<IndexColumn> = ix
            .columns
            .into_iter()
            .map(|c| IndexColumn {
                name: c.name,
                sort: c.descending.then_some(Sort::Desc),
                ops: c.opclass,
                ops_default: c.opclass_default,
            })
            .collect();
        let table = &mut out.schema.tables[table];
        if ix.primary {
            table.primary_key = Some(SqlPrimaryKey {
                name: ix.name,
                columns,
                id: 0,
            });
        } else {
            table.indexes.push(SqlIndex {
                name: ix.name,
                unique: ix.unique,
                columns,
                algorithm: algorithm(&ix.method),
                id: 0,
                origin: None,
                predicate: ix.predicate,
            });
        }
    }

    for k in catalog::foreign_keys(client, schemas).map_err(read)? {
        let Some(&table) = place.get(&k.child) else {
            continue;
        };
        out.schema.tables[table].foreign_keys.push(SqlForeignKey {
            name: k.name,
            referenced_schema: ns(k.parent_schema),
            referenced_table: k.parent_table,
            columns: k.columns,
            referenced_columns: k.parent_columns,
            on_delete: fk_action(&k.on_delete),
            on_update: fk_action(&k.on_update),
            id: 0,
            origin: None,
        });
    }

    // What Prisma does not manage.
    out.unmanaged
        .extend(catalog::unmanaged(client, schemas).map_err(read)?);
    // Every installed extension (compared only where the datasource declares extensions).
    for e in
        catalog::extensions(client).map_err(|e| Error::database("reading the extensions", &e))?
    {
        out.schema.extensions.push(super::model::SqlExtension {
            name: e.name,
            schema: e.schema,
            version: e.version,
            relocatable: e.relocatable,
        });
    }
    order_as_prisma_does(&mut out.schema);
    Ok(out)
}

/// Prisma's describer reads tables, indexes and foreign keys ordered by name (in the shadow
/// database's collation), and numbers them in that order; its steps are sorted by those
/// numbers.
fn order_as_prisma_does(schema: &mut SqlSchema) {
    let ns_key = |s: &Option<String>| s.as_deref().map(collation_key);
    schema
        .enums
        .sort_by_cached_key(|e| (ns_key(&e.schema), collation_key(&e.name)));
    schema
        .tables
        .sort_by_cached_key(|t| (ns_key(&t.schema), collation_key(&t.name)));
    let (mut index_id, mut fk_id) = (0, 0);
    for t in &mut schema.tables {
        t.indexes.sort_by_cached_key(|i| collation_key(&i.name));
        let mut names: Vec<String> = t.indexes.iter().map(|i| i.name.clone()).collect();
        if let Some(pk) = &t.primary_key {
            names.push(pk.name.clone());
        }
        names.sort_by_cached_key(|n| collation_key(n));
        for (i, name) in names.iter().enumerate() {
            if let Some(pk) = t.primary_key.as_mut().filter(|pk| pk.name == *name) {
                pk.id = index_id + i;
            } else if let Some(ix) = t.indexes.iter_mut().find(|ix| ix.name == *name) {
                ix.id = index_id + i;
            }
        }
        index_id += names.len();
        t.foreign_keys
            .sort_by_cached_key(|f| collation_key(&f.name));
        for fk in &mut t.foreign_keys {
            fk.id = fk_id;
            fk_id += 1;
        }
    }
}

/// Prisma's native type of a PostgreSQL type (by `typname`) and its modifier; None for a type
/// Prisma does not know (it is `Unsupported`).
fn native(typname: &str, typmod: i32) -> Option<NativeType> {
    let length = || -> Vec<u32> {
        if typmod >= 4 {
            vec![(typmod - 4) as u32]
        } else {
            vec![]
        }
    };
    let precision = || -> Vec<u32> {
        if typmod >= 0 {
            vec![typmod as u32]
        } else {
            vec![]
        }
    };
    let (name, args): (&str, Vec<u32>) = match typname {
        "int2" => ("SmallInt", vec![]),
        "int4" => ("Integer", vec![]),
        "int8" => ("BigInt", vec![]),
        "float4" => ("Real", vec![]),
        "float8" => ("DoublePrecision", vec![]),
        "numeric" => (
            "Decimal",
            if typmod >= 4 {
                let t = (typmod - 4) as u32;
                vec![(t >> 16) & 0xffff, t & 0xffff]
            } else {
                vec![]
            },
        ),
        "money" => ("Money", vec![]),
        "text" => ("Text", vec![]),
        "varchar" => ("VarChar", length()),
        "bpchar" => ("Char", length()),
        "uuid" => ("Uuid", vec![]),
        "xml" => ("Xml", vec![]),
        "inet" => ("Inet", vec![]),
        "citext" => ("Citext", vec![]),
        "bit" => ("Bit", precision()),
        "varbit" => ("VarBit", precision()),
        "oid" => ("Oid", vec![]),
        "timestamp" => ("Timestamp", precision()),
        "timestamptz" => ("Timestamptz", precision()),
        "date" => ("Date", vec![]),
        "time" => ("Time", precision()),
        "timetz" => ("Timetz", precision()),
        "json" => ("Json", vec![]),
        "jsonb" => ("JsonB", vec![]),
        "bytea" => ("ByteA", vec![]),
        "bool" => ("Boolean", vec![]),
        _ => return None,
    };
    Some(NativeType::new(name, &args))
}

fn algorithm(amname: &str) -> String {
    match amname {
        "btree" => "BTree",
        "hash" => "Hash",
        "gin" => "Gin",
        "gist" => "Gist",
        "spgist" => "SpGist",
        "brin" => "Brin",
        other => other,
    }
    .to_string()
}

fn fk_action(code: &str) -> FkAction {
    match code {
        "c" => FkAction::Cascade,
        "r" => FkAction::Restrict,
        "n" => FkAction::SetNull,
        "d" => FkAction::SetDefault,
        _ => FkAction::NoAction,
    }
}

/// A column default as `pg_get_expr` writes it, read as Prisma reads it.
pub(crate) fn parse_default(text: &str, ty: &ColumnType) -> ColumnDefault {
    let t = text.trim();
    if let Some(rest) = t.strip_prefix("nextval(") {
        let seq = rest
            .trim_end_matches(')')
            .trim_end_matches("::regclass")
            .trim_matches('\'')
            .to_string();
        return ColumnDefault::Sequence(seq);
    }
    let lower = t.to_ascii_lowercase();
    if lower == "current_timestamp"
        || lower == "now()"
        || lower.starts_with("current_timestamp(")
        || lower == "transaction_timestamp()"
    {
        return ColumnDefault::Now;
    }
    match literal(t, ty) {
        Some(l) => ColumnDefault::Value(l),
        None => ColumnDefault::DbGenerated(Some(t.to_string())),
    }
}

/// A literal default: `'x'::text`, `42`, `(-1)`, `true`, `'USER'::"Role"`, `'{}'::jsonb`,
/// `ARRAY['a'::text]`, `'{a,b}'::text[]`.
fn literal(t: &str, ty: &ColumnType) -> Option<Literal> {
    let t = t.trim();
    let t = t
        .strip_prefix('(')
        .and_then(|x| x.strip_suffix(')'))
        .unwrap_or(t);
    if let Some(inner) = t.strip_prefix("ARRAY[") {
        // Up to the bracket that closes ARRAY[ (a cast such as `::boolean[]` may follow).
        let mut depth = 0i32;
        let mut quoted = false;
        let end = inner.char_indices().find(|(_, c)| {
            match c {
                '\'' => quoted = !quoted,
                '[' if !quoted => depth += 1,
                ']' if !quoted => {
                    if depth == 0 {
                        return true;
                    }
                    depth -= 1;
                }
                _ => {}
            }
            false
        })?;
        let body = &inner[..end.0];
        if body.trim().is_empty() {
            return Some(Literal::List(Vec::new()));
        }
        let items: Option<Vec<Literal>> = split_top(body).iter().map(|i| literal(i, ty)).collect();
        return items.map(Literal::List);
    }
    if t == "true" || t == "false" {
        return Some(Literal::Boolean(t == "true"));
    }
    if t.parse::<f64>().is_ok() {
        return Some(Literal::Number(t.to_string()));
    }
    let (quoted, cast) = split_cast(t)?;
    let value = unquote(quoted)?;
    if cast.ends_with("[]") {
        // '{a,b}'::text[]
        let body = value.strip_prefix('{')?.strip_suffix('}')?;
        let items = if body.is_empty() {
            Vec::new()
        } else {
            body.split(',')
                .map(|i| scalar_literal(i.trim_matches('"'), ty))
                .collect()
        };
        return Some(Literal::List(items));
    }
    Some(scalar_literal(&value, ty))
}

fn scalar_literal(value: &str, ty: &ColumnType) -> Literal {
    match ty {
        ColumnType::Enum { .. } => Literal::Enum(value.to_string()),
        ColumnType::Native(n) => match n.name.as_str() {
            "Json" | "JsonB" => Literal::Json(value.to_string()),
            "Timestamp" | "Timestamptz" | "Date" | "Time" | "Timetz" => {
                Literal::DateTime(value.to_string())
            }
            "ByteA" => Literal::bytea(value),
            "SmallInt" | "Integer" | "BigInt" | "Real" | "DoublePrecision" | "Decimal"
            | "Money" | "Oid" => Literal::Number(value.to_string()),
            "Boolean" => Literal::Boolean(value == "true" || value == "t"),
            _ => Literal::String(value.to_string()),
        },
        ColumnType::Unsupported(_) => Literal::String(value.to_string()),
    }
}

/// `'it''s'::text` → (`'it''s'`, `text`).
fn split_cast(t: &str) -> Option<(&str, &str)> {
    // E'...' is an escape string; Prisma's own are plain.
    let q = t.strip_prefix('E').unwrap_or(t);
    if !q.starts_with('\'') {
        return None;
    }
    // The closing quote: the last `'` before the cast.
    match q.rfind("'::") {
        Some(i) => Some((&q[..=i], &q[i + 3..])),
        None if q.ends_with('\'') => Some((q, "")),
        None => None,
    }
}

fn unquote(q: &str) -> Option<String> {
    let inner = q.strip_prefix('\'')?.strip_suffix('\'')?;
    Some(inner.replace("''", "'"))
}

/// Splits `a, b, 'c, d'` at top-level commas (outside quotes and brackets).
fn split_top(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut quoted = false;
    let mut cur = String::new();
    for c in s.chars() {
        match c {
            '\'' => quoted = !quoted,
            '(' | '[' if !quoted => depth += 1,
            ')' | ']' if !quoted => depth -= 1,
            ',' if !quoted && depth == 0 => {
                out.push(cur.trim().to_string());
                cur.clear();
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    if !cur.trim().is_empty() {
        out.push(cur.trim().to_string());
    }
    out
}

/// The conditions of `expected`'s partial indexes as PostgreSQL prints them back, where
/// `found` (a throwaway database, read through `client`) has the same index with a condition
/// that reads differently as text: `status IN ('a', 'b')` is stored as
/// `(status = ANY (ARRAY['a'::text, 'b'::text]))`, and only PostgreSQL knows the two are one.
/// Each condition is built once on an index inside a transaction that is rolled back, so a
/// throwaway database only; a condition PostgreSQL refuses keeps its text.
pub(crate) fn settle_predicates(
    client: &mut postgres::Client,
    expected: &mut SqlSchema,
    found: &SqlSchema,
) {
    let quote = crate::db::quote_ident;
    for table in &mut expected.tables {
        let Some(there) = found.table(&table.schema, &table.name) else {
            continue;
        };
        let name = match &table.schema {
            Some(s) => format!("{}.{}", quote(s), quote(&table.name)),
            None => quote(&table.name),
        };
        for ix in &mut table.indexes {
            let Some(condition) = &ix.predicate else {
                continue;
            };
            let Some(theirs) = there
                .indexes
                .iter()
                .find(|o| o.name == ix.name)
                .and_then(|o| o.predicate.clone())
            else {
                continue;
            };
            if same_predicate(Some(condition), Some(&theirs)) {
                continue;
            }
            let columns: Vec<String> = ix.columns.iter().map(|c| quote(&c.name)).collect();
            if let Some(printed) = printed_condition(client, &name, &columns, condition)
                && same_predicate(Some(&printed), Some(&theirs))
            {
                ix.predicate = Some(theirs);
            }
        }
    }
}

/// `condition` built on an index of `table` (quoted) over `columns` (quoted), as PostgreSQL
/// prints it back; nothing is kept.
fn printed_condition(
    client: &mut postgres::Client,
    table: &str,
    columns: &[String],
    condition: &str,
) -> Option<String> {
    let mut tx = client.transaction().ok()?;
    tx.batch_execute(&format!(
        "CREATE INDEX xtask_condition_probe ON {table} ({}) WHERE {condition}",
        columns.join(", ")
    ))
    .ok()?;
    let printed = tx
        .query_one(
            "SELECT pg_get_expr(ix.indpred, ix.indrelid) FROM pg_index ix \
             JOIN pg_class i ON i.oid = ix.indexrelid \
             WHERE i.relname = 'xtask_condition_probe' AND ix.indrelid = to_regclass($1::text)",
            &[&table],
        )
        .ok()
        .and_then(|r| r.get::<_, Option<String>>(0));
    let _ = tx.rollback();
    printed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text() -> ColumnType {
        ColumnType::Native(NativeType::new("Text", &[]))
    }

    #[test]
    fn defaults_read_as_prisma_reads_them() {
        assert_eq!(
            parse_default("CURRENT_TIMESTAMP", &text()),
            ColumnDefault::Now
        );
        assert_eq!(
            parse_default("'it''s'::text", &text()),
            ColumnDefault::Value(Literal::String("it's".into()))
        );
        assert_eq!(
            parse_default("nextval('\"Post_id_seq\"'::regclass)", &text()),
            ColumnDefault::Sequence("\"Post_id_seq\"".into())
        );
        assert_eq!(
            parse_default("ARRAY['a'::text, 'b'::text]", &text()),
            ColumnDefault::Value(Literal::List(vec![
                Literal::String("a".into()),
                Literal::String("b".into())
            ]))
        );
        assert_eq!(
            parse_default("ARRAY[]::boolean[]", &text()),
            ColumnDefault::Value(Literal::List(vec![]))
        );
        assert_eq!(
            parse_default("(-1)", &text()),
            ColumnDefault::Value(Literal::Number("-1".into()))
        );
        assert_eq!(
            parse_default("gen_random_uuid()", &text()),
            ColumnDefault::DbGenerated(Some("gen_random_uuid()".into()))
        );
    }
}
