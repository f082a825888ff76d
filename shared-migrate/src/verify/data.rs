//! `verify --data`: before each migration after the first, every table of the schema is topped
//! up to N rows that satisfy it as it is at that point, so that a migration meets rows as it
//! will in production. Rows accumulate across migrations; only new tables (and rows that
//! failed before) need filling.
//!
//! The schema is read from the database itself (pg_catalog), not from the SQL: whatever the
//! migrations did, the rows fit what exists. Values are deterministic in the row number and
//! `seed`: numbers count up (unique keys stay unique), strings are `v<seed>_<n>` cut to their
//! length, enums cycle through their labels, foreign keys pick existing parent rows (parents are
//! filled first), nullable columns are NULL in every other row (as real data has NULLs), and
//! columns with a default, identity or generated columns are left to the server. A row the
//! server refuses (a CHECK, a unique key a short string cannot keep unique) is dropped and
//! counted.

use std::collections::{BTreeMap, BTreeSet};

use postgres::Client;
use postgres::types::Type;

use crate::db::quote_ident;

/// What one top-up did.
#[derive(Debug, Default, Clone)]
pub struct Filled {
    pub rows: u64,
    /// Rows the server refused, per table.
    pub dropped: BTreeMap<String, u64>,
    /// Tables left as they were, and why (a required column of a type we cannot generate).
    pub skipped: Vec<String>,
}

struct Column {
    name: String,
    /// `format_type`, e.g. `character varying(20)`, `"Role"`, `integer[]`.
    ty: String,
    /// The type to generate a value for (a domain's base type), its category and name.
    category: String,
    base: String,
    not_null: bool,
    /// Left to the server: a default, identity or generated column.
    server: bool,
    enum_labels: Vec<String>,
    length: Option<usize>,
}

struct Table {
    oid: u32,
    name: String,
    columns: Vec<Column>,
    rows: i64,
}

/// A single-column foreign key: child column → parent table and column.
type Parents = BTreeMap<(u32, String), (u32, String)>;

/// Fills every table of `schema` not in `known` (tables filled before, with their rows) up to
/// `target` rows, and adds it to `known`.
pub fn fill(
    client: &mut Client,
    schema: &str,
    target: usize,
    seed: u64,
    known: &mut BTreeMap<u32, i64>,
) -> Result<Filled, postgres::Error> {
    let tables = read_tables(client, schema, known)?;
    let mut filled = Filled::default();
    if tables.iter().all(|t| known.contains_key(&t.oid)) {
        return Ok(filled);
    }
    let parents = read_parents(client, schema)?;
    let order = parents_first(&tables, &parents);
    let names: BTreeMap<u32, String> = tables.iter().map(|t| (t.oid, t.name.clone())).collect();
    let new: BTreeSet<u32> = tables
        .iter()
        .filter(|t| !known.contains_key(&t.oid))
        .map(|t| t.oid)
        .collect();
    // Rows per table as the filling goes: a child's foreign keys pick among its parent's.
    let counts = known;
    for t in &tables {
        counts.entry(t.oid).or_insert(t.rows);
    }
    for i in order {
        let table = &tables[i];
        if !new.contains(&table.oid) {
            continue;
        }
        let missing = target as i64 - table.rows;
        if missing <= 0 {
            continue;
        }
        let mut columns = Vec::new();
        let mut unsupported = None;
        for c in &table.columns {
            if c.server {
                continue;
            }
            let parent = parents.get(&(table.oid, c.name.clone()));
            let can = parent.is_some() || value(c, 1, seed).is_some();
            if !can {
                if c.not_null {
                    unsupported = Some(format!("{} {}", quote_ident(&c.name), c.ty));
                    break;
                }
                continue;
            }
            columns.push((c, parent));
        }
        if let Some(what) = unsupported {
            filled.skipped.push(format!(
                "{}: no value generated for column {what}",
                quote_ident(&table.name)
            ));
            continue;
        }
        // Each row: its number, then the literal of every column without a parent. Foreign
        // keys come from a join on the parent's rows numbered in key order (a hash join, so
        // 10,000 rows cost no more than 10,000 lookups).
        let rows: Vec<String> = (0..missing)
            .map(|k| {
                let n = (table.rows + k + 1) as u64;
                let mut values = vec![n.to_string()];
                for (c, parent) in &columns {
                    if parent.is_some() {
                        continue;
                    }
                    values.push(if !c.not_null && n.is_multiple_of(2) {
                        format!("NULL::{}", c.ty)
                    } else {
                        value(c, n, seed).unwrap_or_else(|| format!("NULL::{}", c.ty))
                    });
                }
                format!("({})", values.join(", "))
            })
            .collect();
        let mut aliases = vec!["n".to_string()];
        let mut select = Vec::new();
        let mut joins = String::new();
        for (j, (c, parent)) in columns.iter().enumerate() {
            match parent {
                None => {
                    aliases.push(format!("c{j}"));
                    select.push(format!("v.c{j}"));
                }
                Some((poid, pcol)) => {
                    let pc = quote_ident(pcol);
                    joins.push_str(&format!(
                        " LEFT JOIN (SELECT {pc} AS k, row_number() OVER (ORDER BY {pc}) - 1 AS rn FROM {}) p{j} \
                         ON p{j}.rn = (v.n + {seed}) % {}",
                        quote_ident(&names[poid]),
                        counts[poid].max(1)
                    ));
                    select.push(if c.not_null {
                        format!("p{j}.k")
                    } else {
                        format!("CASE WHEN v.n % 2 = 0 THEN NULL ELSE p{j}.k END")
                    });
                }
            }
        }
        let insert = |values: &str| {
            if columns.is_empty() {
                format!("INSERT INTO {} DEFAULT VALUES", quote_ident(&table.name))
            } else {
                format!(
                    "INSERT INTO {} ({}) SELECT {} FROM (VALUES {values}) AS v({}){joins}",
                    quote_ident(&table.name),
                    columns
                        .iter()
                        .map(|(c, _)| quote_ident(&c.name))
                        .collect::<Vec<_>>()
                        .join(", "),
                    select.join(", "),
                    aliases.join(", ")
                )
            }
        };
        // All at once; if the server refuses one, row by row, each in a savepoint.
        let mut tx = client.transaction()?;
        let all = if columns.is_empty() {
            (0..rows.len())
                .map(|_| insert(""))
                .collect::<Vec<_>>()
                .join(";")
        } else {
            insert(&rows.join(", "))
        };
        let ok = {
            let mut sp = tx.savepoint("fill")?;
            let r = sp.batch_execute(&all);
            if r.is_ok() {
                sp.commit()?;
            }
            r.is_ok()
        };
        let before = filled.rows;
        if ok {
            filled.rows += rows.len() as u64;
        } else {
            for row in &rows {
                let mut sp = tx.savepoint("fill_row")?;
                let one = if columns.is_empty() {
                    insert("")
                } else {
                    insert(row)
                };
                match sp.batch_execute(&one) {
                    Ok(()) => {
                        sp.commit()?;
                        filled.rows += 1;
                    }
                    Err(_) => *filled.dropped.entry(table.name.clone()).or_default() += 1,
                }
            }
        }
        tx.commit()?;
        *counts.entry(table.oid).or_default() += (filled.rows - before) as i64;
    }
    Ok(filled)
}

/// Empties every table of `schema` again (identities restarted), the ledger excepted: after the
/// migrations, the seed and the tests see what they would without `--data`.
pub fn clear(client: &mut Client, schema: &str) -> Result<(), postgres::Error> {
    let tables = read_tables(client, schema, &BTreeMap::new())?;
    if tables.is_empty() {
        return Ok(());
    }
    let list: Vec<String> = tables.iter().map(|t| quote_ident(&t.name)).collect();
    client.batch_execute(&format!(
        "TRUNCATE {} RESTART IDENTITY CASCADE",
        list.join(", ")
    ))
}

/// A literal of column `c`'s type for row `n`, or None when we cannot make one.
fn value(c: &Column, n: u64, seed: u64) -> Option<String> {
    let cast = |literal: String| format!("{literal}::{}", c.ty);
    let text = |s: String| format!("'{}'", s.replace('\'', "''"));
    if !c.enum_labels.is_empty() {
        let label = &c.enum_labels[((n + seed) % c.enum_labels.len() as u64) as usize];
        return Some(cast(text(label.clone())));
    }
    Some(match (c.category.as_str(), c.base.as_str()) {
        ("A", _) => cast("'{}'".into()),
        ("N", "int2" | "int4" | "int8" | "oid") => cast(format!("'{n}'")),
        ("N", _) => cast(format!("'{}'", n % 10)),
        ("S", _) => {
            let mut s = format!("v{seed}_{n}");
            if let Some(len) = c.length {
                s.truncate(len.max(1));
            }
            cast(text(s))
        }
        ("B", _) => cast(format!("'{}'", n.is_multiple_of(2))),
        ("D", "date") => format!("('2024-01-01'::date + {})::{}", n % 3650, c.ty),
        ("D", "time" | "timetz") => cast("'12:00'".into()),
        ("D", _) => format!(
            "('2024-01-01 00:00:00+00'::timestamptz + {n} * interval '1 minute')::{}",
            c.ty
        ),
        ("T", _) => cast("'1 day'".into()),
        ("U", "uuid") => format!("md5('{seed}_{n}')::uuid::{}", c.ty),
        ("U", "json" | "jsonb") => cast("'{}'".into()),
        ("U", "bytea") => cast("'\\x00'".into()),
        ("I", _) => cast("'10.0.0.1'".into()),
        _ => return None,
    })
}

/// The schema's tables; columns and rows read only for those not in `known` (one query each
/// for all of them: this runs after every migration that creates a table).
fn read_tables(
    client: &mut Client,
    schema: &str,
    known: &BTreeMap<u32, i64>,
) -> Result<Vec<Table>, postgres::Error> {
    let mut tables: Vec<Table> = client
        .query_typed(
            "SELECT c.oid, c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND NOT c.relispartition \
               AND c.relname <> '_prisma_migrations' ORDER BY c.relname",
            &[(&schema, Type::NAME)],
        )?
        .iter()
        .map(|r| Table {
            oid: r.get(0),
            name: r.get(1),
            columns: Vec::new(),
            rows: 0,
        })
        .collect();
    let new: Vec<u32> = tables
        .iter()
        .filter(|t| !known.contains_key(&t.oid))
        .map(|t| t.oid)
        .collect();
    for t in &mut tables {
        if let Some(&rows) = known.get(&t.oid) {
            t.rows = rows;
        }
    }
    if new.is_empty() {
        return Ok(tables);
    }
    let columns = client.query_typed(
        "SELECT a.attrelid, a.attname::text, format_type(a.atttypid, a.atttypmod), \
                b.typcategory::text, b.typname::text, a.attnotnull, \
                a.atthasdef OR a.attidentity <> '' OR a.attgenerated <> '', \
                CASE WHEN b.typname IN ('varchar', 'bpchar') \
                     THEN nullif(greatest(a.atttypmod, t.typtypmod), -1) - 4 END, \
                (SELECT array_agg(e.enumlabel::text ORDER BY e.enumsortorder) FROM pg_enum e \
                  WHERE e.enumtypid = b.oid) \
         FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid \
         JOIN pg_type b ON b.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END \
         WHERE a.attrelid = ANY($1) AND a.attnum > 0 AND NOT a.attisdropped \
         ORDER BY a.attrelid, a.attnum",
        &[(&new, Type::OID_ARRAY)],
    )?;
    let mut by_table: BTreeMap<u32, Vec<Column>> = BTreeMap::new();
    for r in &columns {
        by_table.entry(r.get(0)).or_default().push(Column {
            name: r.get(1),
            ty: r.get(2),
            category: r.get(3),
            base: r.get(4),
            not_null: r.get(5),
            server: r.get(6),
            length: r.get::<_, Option<i32>>(7).map(|l| l.max(1) as usize),
            enum_labels: r.get::<_, Option<Vec<String>>>(8).unwrap_or_default(),
        });
    }
    // Rows the migrations themselves put in the new tables, in one query.
    let counts = tables
        .iter()
        .filter(|t| new.contains(&t.oid))
        .map(|t| {
            format!(
                "SELECT {}::oid, count(*) FROM {}",
                t.oid,
                quote_ident(&t.name)
            )
        })
        .collect::<Vec<_>>()
        .join(" UNION ALL ");
    let counts: BTreeMap<u32, i64> = client
        .query_typed(&counts, &[])?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    for t in &mut tables {
        if let Some(columns) = by_table.remove(&t.oid) {
            t.columns = columns;
        }
        if let Some(&rows) = counts.get(&t.oid) {
            t.rows = rows;
        }
    }
    Ok(tables)
}

/// Single-column foreign keys of the schema's tables.
fn read_parents(client: &mut Client, schema: &str) -> Result<Parents, postgres::Error> {
    Ok(client
        .query_typed(
            "SELECT k.conrelid, ca.attname::text, k.confrelid, pa.attname::text FROM pg_constraint k \
             JOIN pg_namespace n ON n.oid = k.connamespace \
             JOIN pg_attribute ca ON ca.attrelid = k.conrelid AND ca.attnum = k.conkey[1] \
             JOIN pg_attribute pa ON pa.attrelid = k.confrelid AND pa.attnum = k.confkey[1] \
             WHERE k.contype = 'f' AND n.nspname = $1 AND cardinality(k.conkey) = 1",
            &[(&schema, Type::NAME)],
        )?
        .iter()
        .map(|r| ((r.get(0), r.get(1)), (r.get(2), r.get(3))))
        .collect())
}

/// Indexes of `tables`, parents before children; cycles and self-references broken by name
/// order (their rows then point at what exists, or are dropped).
fn parents_first(tables: &[Table], parents: &Parents) -> Vec<usize> {
    let index: BTreeMap<u32, usize> = tables.iter().enumerate().map(|(i, t)| (t.oid, i)).collect();
    let mut needs: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); tables.len()];
    for ((child, _), (parent, _)) in parents {
        if let (Some(&c), Some(&p)) = (index.get(child), index.get(parent))
            && c != p
        {
            needs[c].insert(p);
        }
    }
    let mut order = Vec::new();
    let mut done = vec![false; tables.len()];
    while order.len() < tables.len() {
        let ready = (0..tables.len())
            .find(|&i| !done[i] && needs[i].iter().all(|&p| done[p]))
            // A cycle: take the first left.
            .or_else(|| (0..tables.len()).find(|&i| !done[i]))
            .expect("a table is left");
        done[ready] = true;
        order.push(ready);
    }
    order
}
