//! `migrate --precheck` (implied by `--dry-run`): what each pending migration will meet in the
//! rows already on the target, found read-only before anything runs. Per statement that changes
//! an existing table: the table's size, the lock the statement takes, what the data says (NULLs
//! before `SET NOT NULL`, duplicates before a unique key, orphans before a foreign key, values
//! that do not cast (or that the migration's USING fails on) before a type change, rows a new
//! CHECK is false for, rows before a required column without a default), and a verdict.
//!
//! Everything runs in one `READ ONLY` transaction with `statement_timeout` and `lock_timeout`
//! set to the bound (a count that takes longer is "unknown", never a wait behind a migration);
//! its queries take ACCESS SHARE at most. Each migration is checked against the database as it
//! is now, not as the pending migrations before it would leave it: an object they create is
//! "not in the database yet".

use std::time::Duration;

use postgres::error::SqlState;
use postgres::{Client, Transaction};
use serde::Serialize;

use crate::db::{catalog, quote_ident};
use crate::error::{Error, Location};
use crate::sql::{ActionKind, DefaultValue, analyse};
use crate::text::plural;
use crate::workspace::Migration;

/// One statement's check.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// `path:line:column` of the statement's part that does it.
    pub at: String,
    /// What it does, e.g. `ALTER COLUMN "grade" SET NOT NULL`.
    pub what: String,
    pub table: String,
    /// The lock the statement takes on the table.
    pub lock: &'static str,
    /// The table's rows (the planner's estimate; counted when there is none) and size; None
    /// when the table is not in the database.
    pub rows: Option<i64>,
    pub bytes: Option<i64>,
    /// What the rows say, when something was counted or could not be.
    pub finding: Option<String>,
    pub verdict: Verdict,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    Ok,
    /// The statement fails on the rows there now.
    WillFail,
    /// It holds a lock that blocks writes while it reads or rewrites every row.
    WillBlockWrites,
    /// As above, and reads too (ACCESS EXCLUSIVE).
    WillBlockReadsAndWrites,
    /// A count ran out of time, or what it needs is not in the database yet.
    Unknown,
}

impl Check {
    /// The verdict in words: `will block writes on a table of ~1200 rows (96 kB)`.
    pub fn verdict_text(&self) -> String {
        let size = match (self.rows, self.bytes) {
            (Some(r), Some(b)) => format!("~{} ({})", plural(r.max(0) as usize, "row"), kb(b)),
            _ => String::new(),
        };
        match self.verdict {
            Verdict::Ok => "ok".into(),
            Verdict::WillFail => "will fail".into(),
            Verdict::WillBlockWrites => format!("will block writes on a table of {size}"),
            Verdict::WillBlockReadsAndWrites => {
                format!("will block reads and writes on a table of {size}")
            }
            Verdict::Unknown => "unknown".into(),
        }
    }
}

impl std::fmt::Display for Check {
    /// `path:3:1  ALTER COLUMN "grade" SET NOT NULL on "students" (ACCESS EXCLUSIVE): will fail: ...`
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}  {} on {} ({}): {}",
            self.at,
            self.what,
            quote_ident(&self.table),
            self.lock,
            self.verdict_text()
        )?;
        match &self.finding {
            Some(finding) => write!(f, ": {finding}"),
            None => Ok(()),
        }
    }
}

fn kb(bytes: i64) -> String {
    match bytes {
        b if b >= 10 << 20 => format!("{} MB", b >> 20),
        b => format!("{} kB", (b + 1023) >> 10),
    }
}

/// How long a statement holds its lock: a catalog change only, or a pass over every row.
#[derive(Clone, Copy, PartialEq)]
enum Work {
    Instant,
    Scan,
}

/// Checks each of `migrations` on `client`'s database (its search_path set to the schema).
pub(crate) fn precheck(
    client: &mut Client,
    migrations: &[&Migration],
    timeout: Duration,
) -> Result<Vec<Vec<Check>>, Error> {
    let fail = |e: postgres::Error| Error::database("prechecking the pending migrations", &e);
    let mut tx = client
        .build_transaction()
        .read_only(true)
        .start()
        .map_err(fail)?;
    let ms = timeout.as_millis().max(1);
    tx.batch_execute(&format!(
        "SET LOCAL statement_timeout = '{ms}ms'; SET LOCAL lock_timeout = '{ms}ms'"
    ))
    .map_err(fail)?;
    let mut out = Vec::new();
    for m in migrations {
        out.push(check_migration(&mut tx, m, timeout)?);
    }
    tx.rollback().map_err(fail)?;
    Ok(out)
}

fn check_migration(
    tx: &mut Transaction<'_>,
    m: &Migration,
    timeout: Duration,
) -> Result<Vec<Check>, Error> {
    let analysis = analyse(&m.sql);
    let mut checks = Vec::new();
    for statement in &analysis.statements {
        for action in &statement.actions {
            let Some(shape) = shape(&action.kind) else {
                continue;
            };
            let table = action.kind.table().unwrap_or_default().to_string();
            let mut check = Check {
                at: Location::of_offset(&m.path, m.sql.as_bytes(), action.range.start).to_string(),
                what: shape.what,
                table: table.clone(),
                lock: shape.lock,
                rows: None,
                bytes: None,
                finding: None,
                verdict: Verdict::Ok,
            };
            match table_size(tx, &table, timeout)? {
                Probe::Found((rows, bytes)) => {
                    check.rows = Some(rows);
                    check.bytes = Some(bytes);
                }
                Probe::Missing => {
                    check.finding = Some(format!(
                        "table {} is not in the database yet",
                        quote_ident(&table)
                    ));
                    checks.push(check);
                    continue;
                }
                Probe::Fails(why) | Probe::Unknown(why) => {
                    check.finding = Some(why);
                    check.verdict = Verdict::Unknown;
                    checks.push(check);
                    continue;
                }
            }
            let rows = check.rows.unwrap_or(0);
            if let ActionKind::SetType {
                table,
                column,
                ty,
                ty_sql,
                using: None,
            } = &action.kind
                && let Some(source) = no_assignment_cast(tx, table, column, ty_sql, timeout)?
            {
                check.finding = Some(format!(
                    "there is no automatic conversion from {source} to {ty}: without USING the \
                     statement fails on any table"
                ));
                check.verdict = Verdict::WillFail;
                checks.push(check);
                continue;
            }
            let count = match (&action.kind, shape.count) {
                // A foreign key to the parent's primary key: its columns from the catalog.
                (
                    ActionKind::AddForeignKey {
                        table,
                        foreign_key,
                        not_valid: false,
                    },
                    None,
                ) if foreign_key.referenced.is_empty() && !foreign_key.columns.is_empty() => {
                    primary_key(tx, &foreign_key.references, timeout)?.map(|key| {
                        orphans(table, &foreign_key.columns, &foreign_key.references, &key)
                    })
                }
                (_, count) => count,
            };
            if let Some(count) = count {
                match run_count(tx, &count.sql, timeout)? {
                    Probe::Found(n) if n > 0 => {
                        check.finding = Some((count.says)(n));
                        check.verdict = Verdict::WillFail;
                    }
                    Probe::Found(_) => check.finding = Some(count.none.to_string()),
                    Probe::Fails(message) => {
                        check.finding = Some(message);
                        check.verdict = Verdict::WillFail;
                    }
                    Probe::Missing => {
                        check.finding = Some(
                            "a table, column, type or function it needs is not in the database yet"
                                .into(),
                        );
                        check.verdict = Verdict::Unknown;
                    }
                    Probe::Unknown(why) => {
                        check.finding = Some(why);
                        check.verdict = Verdict::Unknown;
                    }
                }
            }
            if check.verdict == Verdict::Ok && shape.work == Work::Scan && rows > 0 {
                check.verdict = match shape.lock {
                    "ACCESS EXCLUSIVE" => Verdict::WillBlockReadsAndWrites,
                    "SHARE" | "SHARE ROW EXCLUSIVE" => Verdict::WillBlockWrites,
                    _ => Verdict::Ok,
                };
            }
            checks.push(check);
        }
    }
    Ok(checks)
}

/// What a statement does to an existing table, and the count that says whether it fails.
struct Shape {
    what: String,
    lock: &'static str,
    work: Work,
    count: Option<Count>,
}

struct Count {
    /// `SELECT count(*) ...`: the rows (or groups) that make the statement fail.
    sql: String,
    says: Box<dyn Fn(i64) -> String>,
    none: &'static str,
}

const ACCESS_EXCLUSIVE: &str = "ACCESS EXCLUSIVE";

fn shape(kind: &ActionKind) -> Option<Shape> {
    use ActionKind::*;
    let q = |s: &str| quote_ident(s);
    let list = |cols: &[String]| cols.iter().map(|c| q(c)).collect::<Vec<_>>().join(", ");
    let instant = |what: String| Shape {
        what,
        lock: ACCESS_EXCLUSIVE,
        work: Work::Instant,
        count: None,
    };
    Some(match kind {
        CreateTable { .. } | DropIndex { .. } | AddEnumValue { .. } | CreateEnum { .. } => {
            return None;
        }
        DropTable { table } => instant(format!("DROP TABLE {}", q(table))),
        RenameTable { to, .. } => instant(format!("RENAME TO {}", q(to))),
        DropColumn { column, .. } => instant(format!("DROP COLUMN {}", q(column))),
        RenameColumn { from, to, .. } => instant(format!("RENAME COLUMN {} TO {}", q(from), q(to))),
        DropConstraint { name, .. } => instant(format!("DROP CONSTRAINT {}", q(name))),
        AddColumn { table, column } => {
            let required = column.not_null && column.default.is_none() && !column.generated;
            Shape {
                what: format!("ADD COLUMN {}", q(&column.name)),
                lock: ACCESS_EXCLUSIVE,
                // A volatile default is computed for every row: the table is rewritten.
                work: if column.default == Some(DefaultValue::Volatile) || column.generated {
                    Work::Scan
                } else {
                    Work::Instant
                },
                count: required.then(|| Count {
                    sql: format!(
                        "SELECT count(*) FROM (SELECT 1 FROM {} LIMIT 1) r",
                        q(table)
                    ),
                    says: Box::new(|_| {
                        "the table has rows, and the new column is NOT NULL without a default"
                            .to_string()
                    }),
                    none: "the table is empty",
                }),
            }
        }
        SetNotNull { table, column } => {
            let c = q(column);
            Shape {
                what: format!("ALTER COLUMN {c} SET NOT NULL"),
                lock: ACCESS_EXCLUSIVE,
                work: Work::Scan,
                count: Some(Count {
                    sql: format!("SELECT count(*) FROM {} WHERE {c} IS NULL", q(table)),
                    says: Box::new(move |n| match n {
                        1 => format!("1 row has NULL in {c}"),
                        n => format!("{n} rows have NULL in {c}"),
                    }),
                    none: "no NULLs",
                }),
            }
        }
        SetType {
            table,
            column,
            ty,
            ty_sql,
            using,
        } => Shape {
            what: format!("ALTER COLUMN {} SET DATA TYPE {ty}", q(column)),
            lock: ACCESS_EXCLUSIVE,
            work: Work::Scan,
            count: Some(match using {
                Some(expr) => using_count(table, expr, ty_sql),
                None => cast_count(table, column, ty, ty_sql),
            }),
        },
        AddKey {
            table,
            name,
            columns,
            using_index,
            primary,
        } => {
            let what = format!(
                "ADD {}{} ({})",
                name.as_ref()
                    .map(|n| format!("CONSTRAINT {} ", q(n)))
                    .unwrap_or_default(),
                if *primary { "PRIMARY KEY" } else { "UNIQUE" },
                list(columns)
            );
            if *using_index || columns.is_empty() {
                return Some(instant(what));
            }
            Shape {
                what,
                lock: ACCESS_EXCLUSIVE,
                work: Work::Scan,
                count: Some(duplicates(table, columns, *primary)),
            }
        }
        CreateIndex {
            table,
            name,
            concurrently,
            unique_key,
            ..
        } => Shape {
            what: format!(
                "CREATE {}INDEX{} {}",
                if unique_key.is_some() { "UNIQUE " } else { "" },
                if *concurrently { " CONCURRENTLY" } else { "" },
                name.as_deref().map(q).unwrap_or_default()
            )
            .trim_end()
            .to_string(),
            // CONCURRENTLY blocks neither reads nor writes.
            lock: if *concurrently {
                "SHARE UPDATE EXCLUSIVE"
            } else {
                "SHARE"
            },
            work: Work::Scan,
            count: unique_key
                .as_ref()
                .map(|columns| duplicates(table, columns, false)),
        },
        AddForeignKey {
            table,
            foreign_key,
            not_valid,
        } => Shape {
            what: format!(
                "ADD FOREIGN KEY ({}) REFERENCES {}",
                list(&foreign_key.columns),
                q(&foreign_key.references)
            ),
            lock: "SHARE ROW EXCLUSIVE",
            work: if *not_valid {
                Work::Instant
            } else {
                Work::Scan
            },
            count: (!*not_valid
                && !foreign_key.columns.is_empty()
                && !foreign_key.referenced.is_empty())
            .then(|| {
                orphans(
                    table,
                    &foreign_key.columns,
                    &foreign_key.references,
                    &foreign_key.referenced,
                )
            }),
        },
        AddCheck {
            table,
            name,
            expr,
            not_valid,
        } => Shape {
            what: format!(
                "ADD CHECK{}",
                name.as_ref()
                    .map(|n| format!(" {}", q(n)))
                    .unwrap_or_default()
            ),
            lock: ACCESS_EXCLUSIVE,
            work: if *not_valid {
                Work::Instant
            } else {
                Work::Scan
            },
            // Rows the CHECK is false for (NULL passes, as in PostgreSQL); NOT VALID checks
            // none.
            count: expr.as_ref().filter(|_| !*not_valid).map(|expr| Count {
                sql: format!("SELECT count(*) FROM {} WHERE NOT ({expr})", q(table)),
                says: Box::new(|n| match n {
                    1 => "1 row violates the CHECK".to_string(),
                    n => format!("{n} rows violate the CHECK"),
                }),
                none: "every row satisfies the CHECK",
            }),
        },
        Update { table, .. } => Shape {
            what: format!("UPDATE {}", q(table)),
            lock: "ROW EXCLUSIVE",
            work: Work::Scan,
            count: None,
        },
        Touch { table } => Shape {
            what: format!("rows of {}", q(table)),
            lock: "ROW EXCLUSIVE",
            work: Work::Scan,
            count: None,
        },
    })
}

/// Groups of rows that share a key (and, for a primary key, rows with a NULL in it).
fn duplicates(table: &str, columns: &[String], primary: bool) -> Count {
    let cols: Vec<String> = columns.iter().map(|c| quote_ident(c)).collect();
    let not_null = cols
        .iter()
        .map(|c| format!("{c} IS NOT NULL"))
        .collect::<Vec<_>>()
        .join(" AND ");
    let groups = format!(
        "SELECT count(*) FROM (SELECT 1 FROM {t} WHERE {not_null} GROUP BY {k} HAVING count(*) > 1) d",
        t = quote_ident(table),
        k = cols.join(", ")
    );
    let key = cols.join(", ");
    if primary {
        let nulls = format!(
            "SELECT count(*) FROM {} WHERE NOT ({not_null})",
            quote_ident(table)
        );
        return Count {
            sql: format!("SELECT ({groups}) + ({nulls})"),
            says: Box::new(move |n| format!("{n} duplicate values or NULLs in the key ({key})")),
            none: "no duplicates, no NULLs",
        };
    }
    Count {
        sql: groups,
        says: Box::new(move |n| {
            format!(
                "{} of ({key}) held by more than one row",
                plural(n as usize, "value")
            )
        }),
        none: "no duplicates",
    }
}

/// Rows whose key has no parent row.
fn orphans(table: &str, columns: &[String], parent: &str, referenced: &[String]) -> Count {
    let child: Vec<String> = columns.iter().map(|c| quote_ident(c)).collect();
    let matches = child
        .iter()
        .zip(referenced)
        .map(|(c, p)| format!("p.{} = c.{c}", quote_ident(p)))
        .collect::<Vec<_>>()
        .join(" AND ");
    let not_null = child
        .iter()
        .map(|c| format!("c.{c} IS NOT NULL"))
        .collect::<Vec<_>>()
        .join(" AND ");
    let key = child.join(", ");
    let to = quote_ident(parent);
    Count {
        sql: format!(
            "SELECT count(*) FROM {} c WHERE {not_null} AND NOT EXISTS (SELECT 1 FROM {to} p WHERE {matches})",
            quote_ident(table)
        ),
        says: Box::new(move |n| {
            format!(
                "{} with no matching row in {to} ({key})",
                plural(n as usize, "row")
            )
        }),
        none: "every row has its parent",
    }
}

/// The column's type when no assignment cast leads from it to `ty` (what `ALTER COLUMN ...
/// TYPE` without USING needs). None when there is one, or when it cannot be told here (arrays,
/// domains, a type or column the pending migrations create).
fn no_assignment_cast(
    tx: &mut Transaction<'_>,
    table: &str,
    column: &str,
    ty: &str,
    timeout: Duration,
) -> Result<Option<String>, Error> {
    let sql = catalog::probe::no_assignment_cast(&quote_ident(table), column, ty);
    Ok(match savepoint(tx, &sql, timeout)? {
        Probe::Found(rows) => rows.first().map(|r| r.get(0)),
        _ => None,
    })
}

/// The primary key's columns of `table`, in order; None when it has none or is not there.
fn primary_key(
    tx: &mut Transaction<'_>,
    table: &str,
    timeout: Duration,
) -> Result<Option<Vec<String>>, Error> {
    let sql = catalog::probe::primary_key(&quote_ident(table));
    Ok(match savepoint(tx, &sql, timeout)? {
        Probe::Found(rows) if !rows.is_empty() => Some(rows.iter().map(|r| r.get(0)).collect()),
        _ => None,
    })
}

/// Values that the new type cannot take: longer than a varchar/char length (read from `ty`,
/// normalised), or failing the cast to `ty_sql` (as written; the first such value fails the
/// count, and its error says which).
fn cast_count(table: &str, column: &str, ty: &str, ty_sql: &str) -> Count {
    let (t, c) = (quote_ident(table), quote_ident(column));
    let length = ["varchar(", "character varying(", "char(", "character("]
        .iter()
        .find_map(|p| ty.strip_prefix(p))
        .and_then(|rest| rest.strip_suffix(')'))
        .and_then(|n| n.trim().parse::<u32>().ok());
    match length {
        Some(n) => Count {
            sql: format!("SELECT count(*) FROM {t} WHERE length({c}::text) > {n}"),
            says: Box::new(move |k| {
                format!("{} longer than {n} characters", plural(k as usize, "value"))
            }),
            none: "every value fits",
        },
        None => Count {
            sql: format!(
                "SELECT count(*) FROM {t} WHERE {c} IS NOT NULL AND ({c}::{ty_sql}) IS NULL"
            ),
            says: Box::new(|_| "a value does not cast".into()),
            none: "every value casts",
        },
    }
}

/// The migration's own conversion, evaluated on every row (read-only): the first value it
/// fails on fails the count, and the server's error says which. (Compared with itself, so the
/// count is 0 when it fails on none.)
fn using_count(table: &str, expr: &str, ty: &str) -> Count {
    let converted = format!("(({expr})::{ty})");
    Count {
        sql: format!(
            "SELECT count(*) FROM {} WHERE {converted} IS DISTINCT FROM {converted}",
            quote_ident(table)
        ),
        says: Box::new(|_| "a value does not convert".into()),
        none: "every value converts with USING",
    }
}

enum Probe<T> {
    Found(T),
    /// The table or a column is not in the database.
    Missing,
    /// The query itself failed on a value (a cast): the server's message.
    Fails(String),
    Unknown(String),
}

fn table_size(
    tx: &mut Transaction<'_>,
    table: &str,
    timeout: Duration,
) -> Result<Probe<(i64, i64)>, Error> {
    let sql = catalog::probe::size(&quote_ident(table));
    let rows = match savepoint(tx, &sql, timeout)? {
        Probe::Found(rows) => rows,
        Probe::Missing => return Ok(Probe::Missing),
        Probe::Fails(why) | Probe::Unknown(why) => return Ok(Probe::Unknown(why)),
    };
    let Some(row) = rows.first() else {
        return Ok(Probe::Missing);
    };
    let (estimate, bytes): (i64, i64) = (row.get(0), row.get(1));
    if estimate >= 0 {
        return Ok(Probe::Found((estimate, bytes)));
    }
    // Never analysed: count.
    Ok(
        match run_count(
            tx,
            &format!("SELECT count(*) FROM {}", quote_ident(table)),
            timeout,
        )? {
            Probe::Found(n) => Probe::Found((n, bytes)),
            Probe::Missing => Probe::Missing,
            Probe::Fails(why) | Probe::Unknown(why) => Probe::Unknown(why),
        },
    )
}

fn run_count(tx: &mut Transaction<'_>, sql: &str, timeout: Duration) -> Result<Probe<i64>, Error> {
    Ok(match savepoint(tx, sql, timeout)? {
        Probe::Found(rows) => Probe::Found(rows.first().map_or(0, |r| r.get(0))),
        Probe::Missing => Probe::Missing,
        Probe::Fails(why) => Probe::Fails(why),
        Probe::Unknown(why) => Probe::Unknown(why),
    })
}

/// Runs `sql` in a savepoint, so that a timeout or a failed cast leaves the transaction usable.
fn savepoint(
    tx: &mut Transaction<'_>,
    sql: &str,
    timeout: Duration,
) -> Result<Probe<Vec<postgres::Row>>, Error> {
    let fail = |e: &postgres::Error| Error::database("prechecking the pending migrations", e);
    let mut sp = tx.savepoint("precheck").map_err(|e| fail(&e))?;
    let result = sp.query(sql, &[]);
    let probe = match result {
        Ok(rows) => Probe::Found(rows),
        Err(e) => match e.code() {
            // Created by a pending migration (a table, a column, a type, a function).
            Some(c)
                if *c == SqlState::UNDEFINED_TABLE
                    || *c == SqlState::UNDEFINED_COLUMN
                    || *c == SqlState::UNDEFINED_OBJECT
                    || *c == SqlState::UNDEFINED_FUNCTION =>
            {
                Probe::Missing
            }
            Some(c) if *c == SqlState::QUERY_CANCELED || *c == SqlState::LOCK_NOT_AVAILABLE => {
                Probe::Unknown(format!(
                    "not counted within {} (--precheck-timeout)",
                    crate::text::duration_text(timeout)
                ))
            }
            // A value that does not cast: the server's message names it.
            Some(c) if c.code().starts_with("22") => Probe::Fails(
                e.as_db_error()
                    .map_or_else(|| e.to_string(), |d| d.message().to_string()),
            ),
            _ => return Err(fail(&e)),
        },
    };
    sp.rollback().map_err(|e| fail(&e))?;
    Ok(probe)
}
