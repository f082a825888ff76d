//! `verify --data`: before each migration after the first, every table of the schema is topped
//! up to N rows that satisfy it as it is at that point, so that a migration meets rows as it
//! will in production. Rows accumulate across migrations; only new tables need filling.
//!
//! The schema is read from the database itself ([`catalog`]), not from the SQL: whatever the
//! migrations did, the rows fit what exists. Values ([`values`]) are deterministic in the row
//! number and `seed`: numbers count up (unique keys stay unique; every fifth integer points
//! nowhere, as orphans do), strings are a tag of their table and column, the seed and the row
//! number, cut to their length keeping their end, enums cycle through their labels, a CHECK on one
//! column is satisfied with values the server accepts, nullable columns are NULL in every other
//! row (as real data has NULLs; as a CHECK over several columns accepts), and columns with a
//! default, identity or generated columns are left to the server.
//!
//! Foreign keys (of any number of columns) point at existing parent rows: parents are filled
//! first. A cycle is broken at a key that can wait: a nullable one is NULL at first and pointed
//! at its parent's rows once they exist; a DEFERRABLE one gets placeholder values, deferred to
//! the end of the fill and pointed at real rows before it. A row the server still refuses (a
//! CHECK comparing columns, a unique key a short string cannot keep unique) is dropped and
//! counted.

mod catalog;
mod values;

use std::collections::{BTreeMap, BTreeSet};

use postgres::{Client, Transaction};

use crate::db::quote_ident;
use crate::workspace::Migration;
use catalog::{Column, ForeignKey, Table};

/// Marks a migration whose tables are empty in production when it runs (created earlier in
/// the same release): no rows are added before it. A reason must follow, as for `lint:allow`.
pub(crate) const EMPTY_MARKER: &str = "-- verify:empty-tables:";

/// What `--data` generates: rows per table, the seed, the last migration applied without rows
/// (`[verify] data_since`) and the migrations marked with [`EMPTY_MARKER`].
#[derive(Debug, Clone, Default)]
pub(crate) struct Rows {
    pub per_table: usize,
    pub seed: u64,
    pub since: Option<String>,
    pub empty: BTreeSet<String>,
}

impl Rows {
    /// Reads the markers of `migrations`; a marker without a reason is an error at its line.
    pub(crate) fn new(
        per_table: usize,
        seed: u64,
        since: Option<String>,
        migrations: &[Migration],
    ) -> Result<Rows, String> {
        let mut empty = BTreeSet::new();
        let bare = EMPTY_MARKER.trim_end_matches(':');
        for m in migrations {
            for (i, line) in m.sql.lines().enumerate() {
                let Some(rest) = line.trim_start().strip_prefix(bare) else {
                    continue;
                };
                let reason = rest.strip_prefix(':').map(str::trim).unwrap_or_default();
                if reason.is_empty() {
                    return Err(format!(
                        "{}:{}: `{bare}` needs a reason after a colon, e.g. `{EMPTY_MARKER} certificates is created by the migration before, in the same release`",
                        m.path.display(),
                        i + 1
                    ));
                }
                empty.insert(m.name.clone());
            }
        }
        Ok(Rows {
            per_table,
            seed,
            since,
            empty,
        })
    }

    /// Whether tables are filled before `migration` (never before the first: there is nothing
    /// to fill).
    pub(crate) fn before(&self, migration: &str) -> bool {
        self.since.as_deref().is_none_or(|s| migration > s) && !self.empty.contains(migration)
    }
}

/// What the fills of one replay did.
#[derive(Debug, Default, Clone)]
pub(crate) struct Filled {
    pub rows: u64,
    /// Rows the server refused, per table, and the server's first reason.
    pub dropped: BTreeMap<String, (u64, String)>,
    /// Tables left as they were, and why (a required column of a type we cannot generate).
    pub skipped: Vec<String>,
}

/// The rows of one replay of a service's migrations: the tables filled so far (with their
/// rows) and what the fills did.
#[derive(Default)]
pub(crate) struct Filler {
    rows: Rows,
    known: BTreeMap<u32, i64>,
    pub filled: Filled,
}

impl Filler {
    pub(crate) fn new(rows: Rows) -> Filler {
        Filler {
            rows,
            known: BTreeMap::new(),
            filled: Filled::default(),
        }
    }

    /// Fills the new tables of `schema` before `migration`, unless it is to meet them empty
    /// ([`Rows::before`]).
    pub(crate) fn before(
        &mut self,
        client: &mut Client,
        schema: &str,
        migration: &str,
    ) -> Result<(), postgres::Error> {
        if !self.rows.before(migration) {
            return Ok(());
        }
        let (per_table, seed) = (self.rows.per_table, self.rows.seed);
        fill(
            client,
            schema,
            per_table,
            seed,
            &mut self.known,
            &mut self.filled,
        )
    }

    /// Whether any table has been filled yet.
    pub(crate) fn started(&self) -> bool {
        !self.known.is_empty()
    }
}

/// Fills every table of `schema` not in `known` (tables filled before, with their rows) up to
/// `target` rows, adds it to `known` and what it did to `filled`. All in one transaction:
/// nothing is left half-filled.
fn fill(
    client: &mut Client,
    schema: &str,
    target: usize,
    seed: u64,
    known: &mut BTreeMap<u32, i64>,
    filled: &mut Filled,
) -> Result<(), postgres::Error> {
    // Deferred keys that could not all be pointed at real rows fail at the end: fill again
    // without deferring (those rows are then refused and counted).
    if !fill_once(client, schema, target, seed, known, filled, true)? {
        fill_once(client, schema, target, seed, known, filled, false)?;
    }
    Ok(())
}

/// A key filled after its table: NULL (or placeholders, `deferred`) first, real rows after.
struct Fixup<'a> {
    key: &'a ForeignKey,
    deferred: bool,
}

/// One attempt of [`fill`]; false when deferred keys could not be pointed at real rows (then
/// nothing was filled, and `known` and `filled` are as they were).
fn fill_once(
    client: &mut Client,
    schema: &str,
    target: usize,
    seed: u64,
    known: &mut BTreeMap<u32, i64>,
    total: &mut Filled,
    defer: bool,
) -> Result<bool, postgres::Error> {
    let tables = catalog::tables(client, schema, known)?;
    let mut filled = Filled::default();
    let new: BTreeSet<u32> = tables
        .iter()
        .filter(|t| !known.contains_key(&t.oid))
        .map(|t| t.oid)
        .collect();
    if new.is_empty() {
        return Ok(true);
    }
    let keys = catalog::foreign_keys(client, schema)?;
    let checks = catalog::checks(client, &new.iter().copied().collect::<Vec<_>>())?;
    let order = parents_first(&tables, &keys, defer);
    let mut rows: BTreeMap<u32, i64> = tables.iter().map(|t| (t.oid, t.rows)).collect();
    let mut fixups = Vec::new();
    let mut tx = client.transaction()?;
    for i in order {
        let table = &tables[i];
        if !new.contains(&table.oid) || table.rows >= target as i64 {
            continue;
        }
        let missing = (target as i64 - table.rows) as usize;
        let insert = match plan(
            &mut tx,
            table,
            &keys,
            &checks,
            missing,
            seed,
            defer,
            &mut fixups,
        )? {
            Ok(insert) => insert,
            Err(column) => {
                filled.skipped.push(format!(
                    "{}: no value generated for column {column}",
                    quote_ident(&table.name)
                ));
                continue;
            }
        };
        let (added, refusal) = insert.run(&mut tx)?;
        filled.rows += added;
        if added < missing as u64 {
            let entry = filled
                .dropped
                .entry(table.name.clone())
                .or_insert_with(|| (0, refusal.unwrap_or_default()));
            entry.0 += missing as u64 - added;
        }
        *rows.get_mut(&table.oid).expect("every table is counted") += added as i64;
    }
    for f in &fixups {
        point_at_parents(&mut tx, f, seed)?;
    }
    if fixups.iter().any(|f| f.deferred) {
        let mut sp = tx.transaction()?;
        if sp.batch_execute("SET CONSTRAINTS ALL IMMEDIATE").is_err() {
            return Ok(false);
        }
        sp.commit()?;
    }
    tx.commit()?;
    known.extend(rows);
    total.rows += filled.rows;
    for (table, (n, why)) in filled.dropped {
        total.dropped.entry(table).or_insert((0, why)).0 += n;
    }
    total.skipped.extend(filled.skipped);
    Ok(true)
}

/// One table's insert: `INSERT ... SELECT ... FROM (VALUES ...) v JOIN parents ...`.
struct Insert {
    table: String,
    /// Column names and what each selects.
    columns: Vec<(String, String)>,
    /// `(n, c0, c1, ...)` per row.
    rows: Vec<String>,
    aliases: Vec<String>,
    joins: String,
}

impl Insert {
    fn sql(&self, rows: &[String]) -> String {
        if self.columns.is_empty() {
            return vec![format!("INSERT INTO {} DEFAULT VALUES", self.table); rows.len()]
                .join(";");
        }
        let (names, select): (Vec<&str>, Vec<&str>) = self
            .columns
            .iter()
            .map(|(n, s)| (n.as_str(), s.as_str()))
            .unzip();
        format!(
            "INSERT INTO {} ({}) SELECT {} FROM (VALUES {}) AS v({}){}",
            self.table,
            names.join(", "),
            select.join(", "),
            rows.join(", "),
            self.aliases.join(", "),
            self.joins
        )
    }

    /// All rows at once; if the server refuses one, row by row, each in a savepoint. The rows
    /// inserted, and the server's first reason for refusing one.
    fn run(&self, tx: &mut Transaction) -> Result<(u64, Option<String>), postgres::Error> {
        {
            let mut sp = tx.transaction()?;
            if sp.batch_execute(&self.sql(&self.rows)).is_ok() {
                sp.commit()?;
                return Ok((self.rows.len() as u64, None));
            }
        }
        let (mut added, mut refusal) = (0, None);
        for row in &self.rows {
            let mut sp = tx.transaction()?;
            match sp.batch_execute(&self.sql(std::slice::from_ref(row))) {
                Ok(()) => {
                    sp.commit()?;
                    added += 1;
                }
                Err(e) => {
                    refusal.get_or_insert_with(|| {
                        e.as_db_error()
                            .map_or_else(|| e.to_string(), |d| d.message().to_string())
                    });
                }
            }
        }
        Ok((added, refusal))
    }
}

/// How `missing` rows of `table` are made; `Err` names a required column we can make no value
/// for (`"name" type`). Keys whose parent has no rows yet are added to `fixups` (or deferred,
/// with `defer`).
#[allow(clippy::too_many_arguments)]
fn plan<'a>(
    tx: &mut Transaction,
    table: &'a Table,
    keys: &'a [ForeignKey],
    checks: &catalog::Checks,
    missing: usize,
    seed: u64,
    defer: bool,
    fixups: &mut Vec<Fixup<'a>>,
) -> Result<Result<Insert, String>, postgres::Error> {
    let mut covered: BTreeSet<&str> = BTreeSet::new();
    let mut columns = Vec::new();
    let mut joins = String::new();
    let mut nulls = Nulls {
        checked: match checks.multi.get(&table.oid) {
            Some(multi) => values::null_patterns(tx, &table.columns, multi, seed)?,
            None => BTreeMap::new(),
        },
        phase: 0,
    };
    for (j, key) in keys.iter().filter(|k| k.child == table.oid).enumerate() {
        let cols: Vec<&Column> = key
            .columns
            .iter()
            .filter_map(|n| table.columns.iter().find(|c| &c.name == n))
            .collect();
        if cols.len() != key.columns.len() || cols.iter().any(|c| covered.contains(&*c.name)) {
            continue;
        }
        let nullable = key.nullable(table);
        let parents = key.parent_rows(tx)?;
        if parents > 0 {
            // A hash join on the parent's rows numbered in key order: 10,000 rows cost no
            // more than 10,000 lookups.
            joins.push_str(&format!(
                " LEFT JOIN ({}) p{j} ON p{j}.rn = (v.n + {seed}) % {parents}",
                key.numbered_parents()
            ));
            let pattern = nullable.then(|| nulls.of(&cols[0].name));
            for (m, c) in cols.iter().enumerate() {
                let pick = format!("p{j}.k{m}");
                let pick = match &pattern {
                    Some(p) => Nulls::sql(p, &pick),
                    None => pick,
                };
                columns.push((quote_ident(&c.name), pick));
            }
        } else if nullable {
            // A cycle or a reference to its own table: NULL now, real rows at the end.
            for c in &cols {
                columns.push((quote_ident(&c.name), "NULL".to_string()));
            }
            fixups.push(Fixup {
                key,
                deferred: false,
            });
        } else if defer && key.deferrable {
            // Placeholders (the columns' own values), checked at the end of the fill.
            tx.batch_execute(&format!(
                "SET CONSTRAINTS {} DEFERRED",
                quote_ident(&key.name)
            ))?;
            fixups.push(Fixup {
                key,
                deferred: true,
            });
            continue;
        } else {
            // Nothing to point at: the columns' own values, which the server refuses.
            continue;
        }
        covered.extend(cols.iter().map(|c| c.name.as_str()));
    }
    let mut generated: Vec<&Column> = Vec::new();
    for c in &table.columns {
        if c.server || covered.contains(&*c.name) {
            continue;
        }
        if values::value(c, 1, seed).is_none() {
            if c.not_null {
                return Ok(Err(format!("{} {}", quote_ident(&c.name), c.ty)));
            }
            continue;
        }
        generated.push(c);
    }
    let first = table.rows as u64 + 1;
    let mut cells: Vec<Vec<Option<String>>> = Vec::new();
    for c in &generated {
        let pattern = (!c.not_null).then(|| nulls.of(&c.name));
        let mut column: Vec<Option<String>> = (first..first + missing as u64)
            .map(|n| match &pattern {
                Some(p) if p[(n % p.len() as u64) as usize] => None,
                _ => values::value(c, n, seed),
            })
            .collect();
        if let Some(exprs) = checks.single.get(&(table.oid, c.name.clone())) {
            values::satisfy_checks(tx, c, exprs, &mut column)?;
        }
        cells.push(column);
    }
    let rows = (0..missing)
        .map(|k| {
            let mut row = vec![(first + k as u64).to_string()];
            for (c, column) in generated.iter().zip(&cells) {
                row.push(
                    column[k]
                        .clone()
                        .unwrap_or_else(|| format!("NULL::{}", c.ty)),
                );
            }
            format!("({})", row.join(", "))
        })
        .collect();
    let mut aliases = vec!["n".to_string()];
    for (j, c) in generated.iter().enumerate() {
        aliases.push(format!("c{j}"));
        columns.push((quote_ident(&c.name), format!("v.c{j}")));
    }
    Ok(Ok(Insert {
        table: quote_ident(&table.name),
        columns,
        rows,
        aliases,
        joins,
    }))
}

/// Which rows leave a nullable column (or key) NULL: a cycle over the row number, `true` =
/// NULL.
struct Nulls {
    /// Columns of CHECKs over several columns: the cycle the server accepted.
    checked: BTreeMap<String, Vec<bool>>,
    /// The others are NULL in every other row (as real data has NULLs), each in turn starting
    /// on an odd or an even row, so that two of them are not always NULL together.
    phase: usize,
}

impl Nulls {
    fn of(&mut self, column: &str) -> Vec<bool> {
        if let Some(p) = self.checked.get(column) {
            return p.clone();
        }
        self.phase += 1;
        let odd = !self.phase.is_multiple_of(2);
        vec![odd, !odd]
    }

    /// `pick`, NULL on the rows `pattern` says.
    fn sql(pattern: &[bool], pick: &str) -> String {
        let nulls: Vec<String> = (0..pattern.len())
            .filter(|&i| pattern[i])
            .map(|i| i.to_string())
            .collect();
        match nulls.len() {
            0 => pick.to_string(),
            n if n == pattern.len() => "NULL".to_string(),
            _ => format!(
                "CASE WHEN v.n % {} IN ({}) THEN NULL ELSE {pick} END",
                pattern.len(),
                nulls.join(", ")
            ),
        }
    }
}

/// Points a key filled late at its parent's rows: the NULL keys of every other row (nullable),
/// or every placeholder that matches no parent (deferred). A nullable key that cannot be
/// pointed (a unique key with too few parents) stays NULL.
fn point_at_parents(tx: &mut Transaction, f: &Fixup, seed: u64) -> Result<(), postgres::Error> {
    let parents = f.key.parent_rows(tx)?;
    if parents == 0 {
        return Ok(());
    }
    let cols: Vec<String> = f.key.columns.iter().map(|c| quote_ident(c)).collect();
    let set: Vec<String> = cols
        .iter()
        .enumerate()
        .map(|(m, c)| format!("{c} = p.k{m}"))
        .collect();
    let needs = if f.deferred {
        let matches: Vec<String> = cols
            .iter()
            .zip(&f.key.parent_columns)
            .map(|(c, pc)| format!("q.{} = x.{c}", quote_ident(pc)))
            .collect();
        format!(
            "NOT EXISTS (SELECT 1 FROM {} q WHERE {})",
            f.key.parent_name,
            matches.join(" AND ")
        )
    } else {
        cols.iter()
            .map(|c| format!("x.{c} IS NULL"))
            .collect::<Vec<_>>()
            .join(" AND ")
    };
    let half = if f.deferred { "" } else { " AND c.rn % 2 = 1" };
    let table = &f.key.child_name;
    let sql = format!(
        "UPDATE {table} AS t SET {} FROM (SELECT x.ctid AS id, row_number() OVER (ORDER BY x.ctid) AS rn \
         FROM {table} AS x WHERE {needs}) AS c, ({}) AS p \
         WHERE t.ctid = c.id AND p.rn = (c.rn + {seed}) % {parents}{half}",
        set.join(", "),
        f.key.numbered_parents()
    );
    let mut sp = tx.transaction()?;
    if sp.batch_execute(&sql).is_ok() {
        sp.commit()?;
    }
    Ok(())
}

/// Empties every table of `schema` again (identities restarted), the ledger excepted: after the
/// migrations, the seed and the tests see what they would without `--data`.
pub(crate) fn clear(client: &mut Client, schema: &str) -> Result<(), postgres::Error> {
    let tables = catalog::tables(client, schema, &BTreeMap::new())?;
    if tables.is_empty() {
        return Ok(());
    }
    let list: Vec<String> = tables.iter().map(|t| quote_ident(&t.name)).collect();
    client.batch_execute(&format!(
        "TRUNCATE {} RESTART IDENTITY CASCADE",
        list.join(", ")
    ))
}

/// Indexes of `tables`, parents before children. A cycle is broken at one of its tables whose
/// waiting keys can wait (nullable, or deferrable when `defer`), else at its first; references
/// to the table itself wait in any case.
fn parents_first(tables: &[Table], keys: &[ForeignKey], defer: bool) -> Vec<usize> {
    let index: BTreeMap<u32, usize> = tables.iter().enumerate().map(|(i, t)| (t.oid, i)).collect();
    // Per table: its parents, and whether the key to each can wait.
    let mut needs: Vec<Vec<(usize, bool)>> = vec![Vec::new(); tables.len()];
    for k in keys {
        if let (Some(&c), Some(&p)) = (index.get(&k.child), index.get(&k.parent))
            && c != p
        {
            needs[c].push((p, k.nullable(&tables[c]) || (defer && k.deferrable)));
        }
    }
    let mut order = Vec::new();
    let mut done = vec![false; tables.len()];
    while order.len() < tables.len() {
        let left = || (0..tables.len()).filter(|&i| !done[i]);
        // Whether `i` waits for itself through tables not filled yet.
        let on_cycle = |i: usize| {
            let mut stack: Vec<usize> = needs[i].iter().map(|&(p, _)| p).collect();
            let mut seen = BTreeSet::new();
            while let Some(t) = stack.pop() {
                if t == i {
                    return true;
                }
                if !done[t] && seen.insert(t) {
                    stack.extend(needs[t].iter().map(|&(p, _)| p));
                }
            }
            false
        };
        let can_wait = |i: usize| needs[i].iter().all(|&(p, wait)| done[p] || wait);
        let ready = left()
            .find(|&i| needs[i].iter().all(|&(p, _)| done[p]))
            .or_else(|| left().find(|&i| on_cycle(i) && can_wait(i)))
            .or_else(|| left().find(|&i| on_cycle(i)))
            .or_else(|| left().next())
            .expect("a table is left");
        done[ready] = true;
        order.push(ready);
    }
    order
}
