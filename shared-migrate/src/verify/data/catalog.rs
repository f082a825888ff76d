//! The schema as `verify --data` fills it: tables with their columns and rows, foreign keys
//! (any number of columns), and the CHECK constraints on up to four columns. Read through the
//! catalog reader every part shares (`db/catalog.rs`); what is kept here is what generating
//! rows needs of it.

use std::collections::BTreeMap;

use postgres::{Client, GenericClient};

use crate::db::{self, quote_ident};

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
    let mut tables: Vec<Table> = db::catalog::tables(client, &[schema.to_string()])?
        .into_iter()
        .map(|t| Table {
            rows: known.get(&t.oid).copied().unwrap_or(0),
            oid: t.oid,
            name: t.name,
            columns: Vec::new(),
        })
        .collect();
    let new: Vec<u32> = tables
        .iter()
        .filter(|t| !known.contains_key(&t.oid))
        .map(|t| t.oid)
        .collect();
    if new.is_empty() {
        return Ok(tables);
    }
    let mut by_table: BTreeMap<u32, Vec<Column>> = BTreeMap::new();
    for c in db::catalog::columns(client, &new)? {
        let table = tables
            .iter()
            .find(|t| t.oid == c.table)
            .map_or("", |t| t.name.as_str());
        by_table.entry(c.table).or_default().push(Column {
            tag: tag(table, &c.name),
            server: c.default.is_some() || !c.identity.is_empty() || c.generated,
            name: c.name,
            ty: c.formatted,
            category: c.base_category,
            base: c.base_name,
            not_null: c.not_null,
            length: c.base_length.map(|l| l.max(1) as usize),
            enum_labels: c.enum_labels,
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

/// The foreign keys of the schema's tables, columns in key order, by child table (in the
/// order tables were created) and name.
pub(super) fn foreign_keys(
    client: &mut Client,
    schema: &str,
) -> Result<Vec<ForeignKey>, postgres::Error> {
    let mut keys: Vec<ForeignKey> = db::catalog::foreign_keys(client, &[schema.to_string()])?
        .into_iter()
        .map(|k| ForeignKey {
            name: k.name,
            unique: k.unique,
            child: k.child,
            child_name: k.child_regclass,
            columns: k.columns,
            parent: k.parent,
            parent_name: k.parent_regclass,
            parent_columns: k.parent_columns,
            deferrable: k.deferrable,
        })
        .collect();
    keys.sort_by(|a, b| (a.child, &a.name).cmp(&(b.child, &b.name)));
    Ok(keys)
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
    for mut k in db::catalog::checks(client, oids)? {
        if k.columns.len() == 1 {
            let column = k.columns.remove(0);
            checks
                .single
                .entry((k.table, column))
                .or_default()
                .push(k.expression);
        } else {
            checks
                .multi
                .entry(k.table)
                .or_default()
                .push((k.columns, k.expression));
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
