//! The `_prisma_migrations` table, written exactly as the Prisma CLI writes it, so that either
//! tool can take over a database from the other.

use std::time::SystemTime;

use postgres::GenericClient;
use postgres::types::Type;

use crate::error::Error;

pub(crate) const TABLE: &str = "_prisma_migrations";

/// Prisma's DDL, unqualified: it lands in the schema `search_path` points at.
const CREATE: &str = "CREATE TABLE _prisma_migrations (
    id                  VARCHAR(36) PRIMARY KEY NOT NULL,
    checksum            VARCHAR(64) NOT NULL,
    finished_at         TIMESTAMPTZ,
    migration_name      VARCHAR(255) NOT NULL,
    logs                TEXT,
    rolled_back_at      TIMESTAMPTZ,
    started_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    applied_steps_count INTEGER NOT NULL DEFAULT 0
)";

/// One row of the ledger. Times are UTC, ISO 8601 text.
#[derive(Debug, Clone, serde::Serialize)]
pub(crate) struct Row {
    pub id: String,
    pub checksum: String,
    pub migration_name: String,
    pub started_at: String,
    pub finished_at: Option<String>,
    pub rolled_back_at: Option<String>,
    pub logs: Option<String>,
    pub applied_steps_count: i32,
}

impl Row {
    /// Applied: finished and not rolled back.
    pub(crate) fn is_applied(&self) -> bool {
        self.finished_at.is_some() && self.rolled_back_at.is_none()
    }

    /// Failed: neither finished nor rolled back. Deploy refuses to go on while one exists.
    pub(crate) fn is_failed(&self) -> bool {
        self.finished_at.is_none() && self.rolled_back_at.is_none()
    }
}

pub(crate) fn exists(client: &mut impl GenericClient, schema: &str) -> Result<bool, Error> {
    Ok(client
        .query_typed_one(
            "SELECT EXISTS (SELECT 1 FROM pg_tables WHERE schemaname = $1 AND tablename = $2)",
            &[(&schema, Type::NAME), (&TABLE, Type::NAME)],
        )
        .map_err(|e| Error::database("looking for the _prisma_migrations table", &e))?
        .get(0))
}

pub(crate) fn create(client: &mut impl GenericClient) -> Result<(), Error> {
    client
        .batch_execute(CREATE)
        .map_err(|e| Error::database("creating the _prisma_migrations table", &e))
}

/// The other tables of the schema (the emptiness check before creating the ledger).
pub(crate) fn other_tables(
    client: &mut impl GenericClient,
    schema: &str,
) -> Result<Vec<String>, Error> {
    Ok(client
        .query_typed(
            "SELECT tablename::text FROM pg_tables WHERE schemaname = $1 AND tablename <> $2 ORDER BY 1",
            &[(&schema, Type::NAME), (&TABLE, Type::NAME)],
        )
        .map_err(|e| Error::database("listing the tables of the schema", &e))?
        .iter()
        .map(|r| r.get(0))
        .collect())
}

/// Every row, oldest first.
pub(crate) fn rows(client: &mut impl GenericClient) -> Result<Vec<Row>, Error> {
    const ISO: &str = "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'";
    let sql = format!(
        "SELECT id, checksum, migration_name, \
                to_char(started_at AT TIME ZONE 'UTC', {ISO}), \
                to_char(finished_at AT TIME ZONE 'UTC', {ISO}), \
                to_char(rolled_back_at AT TIME ZONE 'UTC', {ISO}), \
                logs, applied_steps_count \
         FROM _prisma_migrations ORDER BY started_at, migration_name"
    );
    let rows = client
        .query_typed(&sql, &[])
        .map_err(|e| Error::database("reading _prisma_migrations", &e))?;
    Ok(rows
        .iter()
        .map(|r| Row {
            id: r.get(0),
            checksum: r.get(1),
            migration_name: r.get(2),
            started_at: r.get(3),
            finished_at: r.get(4),
            rolled_back_at: r.get(5),
            logs: r.get(6),
            applied_steps_count: r.get(7),
        })
        .collect())
}

/// A new row id: a lowercase hyphenated UUID v4, as Prisma's.
pub(crate) fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// The row Prisma inserts before running a migration.
pub(crate) fn insert_started(
    client: &mut impl GenericClient,
    id: &str,
    checksum: &str,
    name: &str,
    started_at: SystemTime,
) -> Result<(), Error> {
    client
        .execute(
            "INSERT INTO _prisma_migrations (id, checksum, started_at, migration_name) VALUES ($1, $2, $3, $4)",
            &[&id, &checksum, &started_at, &name],
        )
        .map(drop)
        .map_err(|e| Error::database(format!("recording the start of `{name}`"), &e))
}

/// [`insert_started`] as SQL text, for a migration sent in one batch with its row.
pub(crate) fn insert_started_sql(
    id: &str,
    checksum: &str,
    name: &str,
    started_at: SystemTime,
) -> String {
    format!(
        "INSERT INTO _prisma_migrations (id, checksum, started_at, migration_name) VALUES ({}, {}, {}, {});",
        literal(id),
        literal(checksum),
        timestamp(started_at),
        literal(name)
    )
}

/// [`mark_finished`] as SQL text, the finish time `at`.
pub(crate) fn mark_finished_sql(id: &str, at: SystemTime) -> String {
    format!(
        "UPDATE _prisma_migrations SET applied_steps_count = applied_steps_count + 1, finished_at = {} WHERE id = {};",
        timestamp(at),
        literal(id)
    )
}

/// A string literal that reads the same whatever `standard_conforming_strings` says.
fn literal(s: &str) -> String {
    format!("E'{}'", s.replace('\\', "\\\\").replace('\'', "''"))
}

/// A client time as a `timestamptz` literal, with the microseconds the binary protocol keeps.
fn timestamp(at: SystemTime) -> String {
    let at: chrono::DateTime<chrono::Utc> = at.into();
    format!("'{}'::timestamptz", at.format("%Y-%m-%d %H:%M:%S%.6f+00"))
}

/// The row after a successful script: one step applied, the finish time. Prisma writes them
/// in two updates, in the same transaction; the row reads the same, one statement (a round
/// trip, a row version) less per migration.
pub(crate) fn mark_finished(client: &mut impl GenericClient, id: &str) -> Result<(), Error> {
    client
        .execute(
            "UPDATE _prisma_migrations SET applied_steps_count = applied_steps_count + 1, finished_at = $2 WHERE id = $1",
            &[&id, &SystemTime::now()],
        )
        .map(drop)
        .map_err(|e| Error::database("recording a finished migration", &e))
}

/// Records the error text on a started row: the row becomes a "failed" migration.
pub(crate) fn mark_failed(
    client: &mut impl GenericClient,
    id: &str,
    logs: &str,
) -> Result<(), Error> {
    client
        .execute(
            "UPDATE _prisma_migrations SET logs = $2 WHERE id = $1",
            &[&id, &logs],
        )
        .map(drop)
        .map_err(|e| Error::database("recording a failed migration", &e))
}

/// Removes a row this run started and nothing of whose migration ran (a statement-by-statement
/// migration whose first statement could not take its locks): the migration stays pending.
pub(crate) fn delete_unstarted(client: &mut impl GenericClient, id: &str) -> Result<(), Error> {
    client
        .execute(
            "DELETE FROM _prisma_migrations WHERE id = $1 AND finished_at IS NULL",
            &[&id],
        )
        .map(drop)
        .map_err(|e| Error::database("removing the row of a migration that did not run", &e))
}

/// `resolve --applied`: rolls back the failed rows of `name`, then records it as applied without
/// running it (empty logs, zero steps, started = finished = now).
pub(crate) fn record_applied_without_running(
    client: &mut impl GenericClient,
    name: &str,
    checksum: &str,
) -> Result<(), Error> {
    let now = SystemTime::now();
    mark_rolled_back(client, name)?;
    client
        .execute(
            "INSERT INTO _prisma_migrations (id, checksum, started_at, finished_at, migration_name, logs, applied_steps_count) \
             VALUES ($1, $2, $3, $3, $4, '', 0)",
            &[&new_id(), &checksum, &now, &name],
        )
        .map(drop)
        .map_err(|e| Error::database(format!("recording `{name}` as applied"), &e))
}

/// `resolve --rolled-back`: marks the failed rows of `name` as rolled back. Returns how many.
pub(crate) fn mark_rolled_back(client: &mut impl GenericClient, name: &str) -> Result<u64, Error> {
    client
        .execute(
            "UPDATE _prisma_migrations SET rolled_back_at = $2 \
             WHERE migration_name = $1 AND finished_at IS NULL AND rolled_back_at IS NULL",
            &[&name, &SystemTime::now()],
        )
        .map_err(|e| Error::database(format!("marking `{name}` as rolled back"), &e))
}
