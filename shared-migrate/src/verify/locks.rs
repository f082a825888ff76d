//! `verify --report`: the service's migrations replayed once more, on a database of their own,
//! statement by statement, and watched from inside: after each statement, the relation locks
//! its transaction holds (`pg_locks` of its own backend), the tables and indexes it rewrote
//! (their `relfilenode` changed), the rows it touched and its time. A lock on a table that
//! existed before the migration is what production's traffic would wait for: ACCESS EXCLUSIVE
//! blocks reads and writes, SHARE-class locks block writes, until the migration commits.
//!
//! A rewrite of an existing table under ACCESS EXCLUSIVE is a warning, unless the statement
//! carries a reasoned `-- lint:allow` for the lint rule that flags it (`column-type-change`,
//! `volatile-default`).

use std::collections::{BTreeMap, BTreeSet};

use postgres::Client;
use postgres::types::Type;
use serde::Serialize;

use super::data;
use crate::db::{self, DatabaseUrl};
use crate::error::{Location, describe_pg_error};
use crate::lint::suppression;
use crate::sql::{Plan, analyse};
use crate::text::one_line;
use crate::workspace::Migration;

/// The lint rules whose suppression also accepts a measured rewrite.
const REWRITE_RULES: [&str; 2] = ["column-type-change", "volatile-default"];

#[derive(Debug, Clone, Serialize)]
pub struct MigrationLocks {
    pub name: String,
    /// In one transaction: every lock is held until it commits.
    pub transactional: bool,
    pub statements: Vec<StatementLocks>,
}

#[derive(Debug, Clone, Serialize)]
pub struct StatementLocks {
    /// `path:line:column`.
    pub at: String,
    pub statement: String,
    pub millis: f64,
    /// Rows inserted, updated or deleted.
    pub rows: u64,
    /// Locks taken by this statement (held after it, not after the one before), the strongest
    /// per relation; ACCESS SHARE (any read's, it blocks only ACCESS EXCLUSIVE) left out.
    pub locks: Vec<HeldLock>,
    /// Tables and indexes it rewrote.
    pub rewritten: Vec<String>,
    /// `reads and writes of "students"`, when it locks a table that existed before the
    /// migration.
    pub blocks: Vec<String>,
    pub warning: Option<String>,
    /// The reason of the `lint:allow` that accepts the warning.
    pub allowed: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct HeldLock {
    pub relation: String,
    pub mode: String,
    /// The relation existed before the migration.
    pub existed: bool,
    /// A table (else an index, sequence, ...).
    pub table: bool,
}

impl MigrationLocks {
    pub fn warnings(&self) -> impl Iterator<Item = &StatementLocks> {
        self.statements
            .iter()
            .filter(|s| s.warning.is_some() && s.allowed.is_none())
    }
}

/// Relations of the schema: oid → (name, relfilenode, relkind).
type Relations = BTreeMap<u32, (String, u32, String)>;

/// Replays `migrations` on `url` (an empty database) and watches each statement. With `rows`
/// (`--data`), new tables are filled before each migration after the first, as
/// `verify --data` fills them, so times and rows touched are those at N rows.
pub(crate) fn observe(
    url: &DatabaseUrl,
    migrations: &[Migration],
    rows: Option<data::Rows>,
) -> Result<Vec<MigrationLocks>, String> {
    let mut client = db::connect(url).map_err(|e| e.to_string())?;
    db::use_schema(&mut client, &url.schema, true).map_err(|e| e.to_string())?;
    let mut filler = rows.map(data::Filler::new);
    let mut out = Vec::new();
    for (i, m) in migrations.iter().enumerate() {
        if let Some(filler) = filler.as_mut().filter(|_| i > 0) {
            filler
                .before(&mut client, &url.schema, &m.name)
                .map_err(|e| {
                    format!(
                        "generating rows before {}: {}",
                        m.name,
                        describe_pg_error(&e)
                    )
                })?;
        }
        out.push(observe_one(&mut client, &url.schema, m)?);
    }
    Ok(out)
}

fn observe_one(client: &mut Client, schema: &str, m: &Migration) -> Result<MigrationLocks, String> {
    let fail = |e: postgres::Error| format!("{}: {}", m.name, describe_pg_error(&e));
    let plan = Plan::new(&m.path, &m.sql).map_err(|e| e.to_string())?;
    let analysis = analyse(&m.sql);
    let allows = suppression::parse(&m.sql, &analysis);
    let transactional = plan.transactional();
    let before = relations(client, schema).map_err(fail)?;
    let mut out = MigrationLocks {
        name: m.name.clone(),
        transactional,
        statements: Vec::new(),
    };
    if !plan.parsed_cleanly {
        // Not split: run whole, watch nothing.
        client.batch_execute(&m.sql).map_err(fail)?;
        return Ok(out);
    }
    if transactional {
        client.batch_execute("BEGIN").map_err(fail)?;
    }
    let mut held: BTreeSet<HeldLock> = BTreeSet::new();
    let mut files = before.clone();
    for statement in plan.executable() {
        let text = &m.sql[statement.range.clone()];
        let start = std::time::Instant::now();
        let rows = client
            .execute(text, &[])
            .map_err(|e| db::describe_error(&m.path, &m.sql, &e, Some(statement.range.start)))?;
        let millis = start.elapsed().as_secs_f64() * 1000.0;
        let now_held = if transactional {
            locks(client, schema, &before).map_err(fail)?
        } else {
            BTreeSet::new()
        };
        let now = relations(client, schema).map_err(fail)?;
        let rewritten: Vec<String> = now
            .iter()
            .filter(|(oid, (_, file, _))| files.get(oid).is_some_and(|(_, f, _)| f != file))
            .map(|(_, (name, _, _))| name.clone())
            .collect();
        let taken = strongest(now_held.difference(&held));
        let blocks: Vec<String> = taken
            .iter()
            .filter(|l| l.existed && l.table)
            .filter_map(|l| {
                blocked(&l.mode).map(|what| format!("{what} of {}", db::quote_ident(&l.relation)))
            })
            .collect();
        let rewrite_under_exclusive: Vec<&HeldLock> = now_held
            .iter()
            .filter(|l| {
                l.existed
                    && l.table
                    && l.mode == "AccessExclusiveLock"
                    && rewritten.contains(&l.relation)
            })
            .collect();
        let warning = (!rewrite_under_exclusive.is_empty()).then(|| {
            format!(
                "rewrites {} under ACCESS EXCLUSIVE: reads and writes of it wait for the whole \
                 rewrite, and on a large table that is the deploy's downtime",
                rewrite_under_exclusive
                    .iter()
                    .map(|l| db::quote_ident(&l.relation))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        });
        let index = analysis
            .statements
            .iter()
            .position(|s| s.range.start == statement.range.start);
        let allowed = warning.as_ref().and(index).and_then(|i| {
            allows
                .iter()
                .find(|a| {
                    a.statement == Some(i)
                        && a.rules.iter().any(|r| REWRITE_RULES.contains(&r.as_str()))
                })
                .map(|a| a.reason.clone())
        });
        out.statements.push(StatementLocks {
            at: Location::of_offset(&m.path, m.sql.as_bytes(), statement.range.start).to_string(),
            statement: one_line(text, 100),
            millis,
            rows,
            locks: taken,
            rewritten,
            blocks,
            warning,
            allowed,
        });
        held = now_held;
        files = now;
    }
    if transactional {
        client.batch_execute("COMMIT").map_err(fail)?;
    }
    Ok(out)
}

/// PostgreSQL's table lock modes, weakest first.
const MODES: [&str; 8] = [
    "AccessShareLock",
    "RowShareLock",
    "RowExclusiveLock",
    "ShareUpdateExclusiveLock",
    "ShareLock",
    "ShareRowExclusiveLock",
    "ExclusiveLock",
    "AccessExclusiveLock",
];

fn strength(mode: &str) -> usize {
    MODES.iter().position(|m| *m == mode).unwrap_or(0)
}

/// The strongest of `locks` per relation, ACCESS SHARE left out.
fn strongest<'a>(locks: impl Iterator<Item = &'a HeldLock>) -> Vec<HeldLock> {
    let mut by_relation: BTreeMap<&str, &HeldLock> = BTreeMap::new();
    for l in locks.filter(|l| strength(&l.mode) > 0) {
        let e = by_relation.entry(&l.relation).or_insert(l);
        if strength(&l.mode) > strength(&e.mode) {
            *e = l;
        }
    }
    by_relation.into_values().cloned().collect()
}

/// What a lock mode blocks for other sessions' plain reads and writes.
fn blocked(mode: &str) -> Option<&'static str> {
    match mode {
        "AccessExclusiveLock" => Some("reads and writes"),
        "ShareLock" | "ShareRowExclusiveLock" | "ExclusiveLock" => Some("writes"),
        _ => None,
    }
}

fn relations(client: &mut Client, schema: &str) -> Result<Relations, postgres::Error> {
    Ok(client
        .query_typed(
            "SELECT c.oid, c.relname::text, c.relfilenode, c.relkind::text FROM pg_class c \
             JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1",
            &[(&schema, Type::NAME)],
        )?
        .iter()
        .map(|r| (r.get(0), (r.get(1), r.get(2), r.get(3))))
        .collect())
}

/// The relation locks this session holds on the schema's relations.
fn locks(
    client: &mut Client,
    schema: &str,
    before: &Relations,
) -> Result<BTreeSet<HeldLock>, postgres::Error> {
    Ok(client
        .query_typed(
            "SELECT c.oid, c.relname::text, l.mode, c.relkind::text FROM pg_locks l \
             JOIN pg_class c ON c.oid = l.relation JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE l.pid = pg_backend_pid() AND l.locktype = 'relation' AND l.granted \
               AND n.nspname = $1",
            &[(&schema, Type::NAME)],
        )?
        .iter()
        .map(|r| {
            let (oid, kind): (u32, String) = (r.get(0), r.get(3));
            HeldLock {
                relation: r.get(1),
                mode: r.get(2),
                existed: before.contains_key(&oid),
                table: kind == "r" || kind == "p",
            }
        })
        .collect())
}
