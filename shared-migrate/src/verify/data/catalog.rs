//! What `verify --data` reads of the schema, from pg_catalog: tables with their columns and
//! rows, foreign keys (any number of columns), and the CHECK constraints on up to four columns.

use std::collections::BTreeMap;

use postgres::types::Type;
use postgres::{Client, GenericClient};

use crate::db::quote_ident;

pub(super) struct Column {
    pub name: String,
    /// Begins the column's strings: its table and name hashed, so that a migration copying
    /// one column into another unique one (user URLs into team URLs) meets different values,
    /// as in production.
    pub tag: String,
    /// `format_type`, e.g. `character varying(20)`, `"Role"`, `integer[]`.
    pub ty: String,
    /// The type to generate a value for (a domain's base type): its category and name.
    pub category: String,
    pub base: String,
    pub not_null: bool,
    /// Left to the server: a default, identity or generated column.
    pub server: bool,
    pub enum_labels: Vec<String>,
    pub length: Option<usize>,
}

pub(super) struct Table {
    pub oid: u32,
    pub name: String,
    pub columns: Vec<Column>,
    pub rows: i64,
}

pub(super) struct ForeignKey {
    pub name: String,
    /// The child's key columns are unique (a one-to-one relation): each parent row is
    /// pointed at once at most.
    pub unique: bool,
    pub child: u32,
    /// As the session names it (`regclass`).
    pub child_name: String,
    pub columns: Vec<String>,
    pub parent: u32,
    /// As the session names it (`regclass`): the parent may be in another schema.
    pub parent_name: String,
    pub parent_columns: Vec<String>,
    pub deferrable: bool,
}

impl ForeignKey {
    /// Whether every column of the key is nullable in `child` (its table).
    pub(super) fn nullable(&self, child: &Table) -> bool {
        self.columns
            .iter()
            .all(|n| child.columns.iter().any(|c| &c.name == n && !c.not_null))
    }

    /// The parent's rows with a whole key (and, for a unique key, not pointed at yet by the
    /// child), numbered from 0 in key order, as `k0, k1, ..., rn`.
    pub(super) fn numbered_parents(&self) -> String {
        let cols: Vec<String> = self.parent_columns.iter().map(|c| quote_ident(c)).collect();
        let keys: Vec<String> = cols
            .iter()
            .enumerate()
            .map(|(m, c)| format!("{c} AS k{m}"))
            .collect();
        format!(
            "SELECT {}, row_number() OVER (ORDER BY {}) - 1 AS rn FROM {} WHERE {}",
            keys.join(", "),
            cols.join(", "),
            self.parent_name,
            self.available()
        )
    }

    /// How many parent rows a child row can point at.
    pub(super) fn parent_rows(
        &self,
        client: &mut impl GenericClient,
    ) -> Result<i64, postgres::Error> {
        let sql = format!(
            "SELECT count(*) FROM {} WHERE {}",
            self.parent_name,
            self.available()
        );
        Ok(client.query_one(&sql, &[])?.get(0))
    }

    /// The condition on a parent row (unqualified columns of `parent_name`) for a new row of
    /// the child to point at it.
    fn available(&self) -> String {
        let mut all: Vec<String> = self
            .parent_columns
            .iter()
            .map(|c| format!("{} IS NOT NULL", quote_ident(c)))
            .collect();
        if self.unique {
            let same: Vec<String> = self
                .columns
                .iter()
                .zip(&self.parent_columns)
                .map(|(c, pc)| {
                    format!(
                        "u.{} = {}.{}",
                        quote_ident(c),
                        self.parent_name,
                        quote_ident(pc)
                    )
                })
                .collect();
            all.push(format!(
                "NOT EXISTS (SELECT 1 FROM {} u WHERE {})",
                self.child_name,
                same.join(" AND ")
            ));
        }
        all.join(" AND ")
    }
}

/// The schema's tables; columns and rows read only for those not in `known` (one query each
/// for all of them: this runs after every migration that creates a table).
pub(super) fn tables(
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
        let (oid, name): (u32, String) = (r.get(0), r.get(1));
        let table = tables
            .iter()
            .find(|t| t.oid == oid)
            .map_or("", |t| t.name.as_str());
        by_table.entry(oid).or_default().push(Column {
            tag: tag(table, &name),
            name,
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

/// The foreign keys of the schema's tables, columns in key order.
pub(super) fn foreign_keys(
    client: &mut Client,
    schema: &str,
) -> Result<Vec<ForeignKey>, postgres::Error> {
    Ok(client
        .query_typed(
            "SELECT k.conname::text, k.conrelid, k.confrelid, k.confrelid::regclass::text, k.condeferrable, \
                    EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = k.conrelid AND i.indisunique \
                            AND i.indpred IS NULL AND i.indexprs IS NULL \
                            AND i.indkey::int2[] <@ k.conkey), \
                    ARRAY(SELECT a.attname::text FROM unnest(k.conkey) WITH ORDINALITY u(n, i) \
                          JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.n ORDER BY u.i), \
                    ARRAY(SELECT a.attname::text FROM unnest(k.confkey) WITH ORDINALITY u(n, i) \
                          JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.n ORDER BY u.i), \
                    k.conrelid::regclass::text \
             FROM pg_constraint k JOIN pg_namespace n ON n.oid = k.connamespace \
             WHERE k.contype = 'f' AND n.nspname = $1 ORDER BY k.conrelid, k.conname",
            &[(&schema, Type::NAME)],
        )?
        .iter()
        .map(|r| ForeignKey {
            name: r.get(0),
            child: r.get(1),
            parent: r.get(2),
            parent_name: r.get(3),
            deferrable: r.get(4),
            unique: r.get(5),
            columns: r.get(6),
            parent_columns: r.get(7),
            child_name: r.get(8),
        })
        .collect())
}

/// The CHECK constraints of some tables.
#[derive(Default)]
pub(super) struct Checks {
    /// Expressions on exactly one column, by table and column.
    pub single: BTreeMap<(u32, String), Vec<String>>,
    /// Expressions on two to four columns, by table: the columns and the expression.
    pub multi: BTreeMap<u32, Vec<(Vec<String>, String)>>,
}

/// The CHECK constraints of the tables `oids` on up to four columns.
pub(super) fn checks(client: &mut Client, oids: &[u32]) -> Result<Checks, postgres::Error> {
    let mut checks = Checks::default();
    for r in client.query_typed(
        "SELECT k.conrelid, pg_get_expr(k.conbin, k.conrelid), \
                ARRAY(SELECT a.attname::text FROM unnest(k.conkey) WITH ORDINALITY u(n, i) \
                      JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.n ORDER BY u.i) \
         FROM pg_constraint k \
         WHERE k.contype = 'c' AND cardinality(k.conkey) BETWEEN 1 AND 4 AND k.conrelid = ANY($1) \
         ORDER BY k.conrelid, k.conname",
        &[(&oids, Type::OID_ARRAY)],
    )? {
        let (table, expr, mut columns): (u32, String, Vec<String>) = (r.get(0), r.get(1), r.get(2));
        if columns.len() == 1 {
            let column = columns.remove(0);
            checks.single.entry((table, column)).or_default().push(expr);
        } else {
            checks.multi.entry(table).or_default().push((columns, expr));
        }
    }
    Ok(checks)
}

/// A short, stable tag for `table`.`column`: four letters of an FNV-1a hash.
fn tag(table: &str, column: &str) -> String {
    let mut h: u32 = 0x811c_9dc5;
    for b in table.bytes().chain([b'.']).chain(column.bytes()) {
        h = (h ^ b as u32).wrapping_mul(0x0100_0193);
    }
    (0..4)
        .map(|i| (b'a' + ((h >> (i * 5)) % 26) as u8) as char)
        .collect()
}
