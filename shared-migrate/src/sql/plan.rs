//! How a `migration.sql` is run, decided by parsing it (squawk's PostgreSQL parser).
//!
//! Most migrations run as one transaction together with their ledger rows. A migration that
//! holds a statement PostgreSQL refuses inside a transaction block (`CREATE INDEX CONCURRENTLY`,
//! `VACUUM`, ...) runs statement by statement instead. Explicit `BEGIN;`/`COMMIT;` in the file are
//! checked for balance; in a transactional migration they are blanked out, because the whole
//! file is already one transaction.

use std::ops::Range;
use std::path::Path;

use serde::{Deserialize, Serialize};

use squawk_syntax::ast::{self, AstNode};
use squawk_syntax::{Parse, SourceFile, SyntaxKind};

use super::analysis::Action;
use crate::error::{Error, Location};
use crate::text::one_line;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatementKind {
    /// `BEGIN`, `START TRANSACTION`.
    Begin,
    /// `COMMIT`, `END`.
    Commit,
    /// A statement PostgreSQL refuses inside a transaction block; the text names it.
    NoTransaction(&'static str),
    Other,
}

/// What [`classify`] calls the statements that cannot run in a transaction block.
const NO_TRANSACTION: &[&str] = &[
    "VACUUM",
    "CREATE DATABASE",
    "DROP DATABASE",
    "CREATE TABLESPACE",
    "DROP TABLESPACE",
    "ALTER SYSTEM",
    "CREATE INDEX CONCURRENTLY",
    "DROP INDEX CONCURRENTLY",
    "REINDEX CONCURRENTLY",
    "REINDEX DATABASE/SYSTEM",
    "ALTER TABLE ... DETACH PARTITION ... CONCURRENTLY",
];

impl From<StatementKind> for String {
    fn from(kind: StatementKind) -> String {
        match kind {
            StatementKind::Begin => "BEGIN".into(),
            StatementKind::Commit => "COMMIT".into(),
            StatementKind::NoTransaction(what) => what.into(),
            StatementKind::Other => String::new(),
        }
    }
}

impl Serialize for StatementKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&String::from(*self))
    }
}

impl<'de> Deserialize<'de> for StatementKind {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<StatementKind, D::Error> {
        StatementKind::try_from(String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

impl TryFrom<String> for StatementKind {
    type Error = String;
    fn try_from(text: String) -> Result<StatementKind, String> {
        Ok(match text.as_str() {
            "BEGIN" => StatementKind::Begin,
            "COMMIT" => StatementKind::Commit,
            "" => StatementKind::Other,
            what => StatementKind::NoTransaction(
                NO_TRANSACTION
                    .iter()
                    .find(|w| **w == what)
                    .ok_or_else(|| format!("unknown statement kind `{what}`"))?,
            ),
        })
    }
}

/// One statement of a migration file (empty statements, a lone `;`, are left out).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Statement {
    /// Byte range in the file, trailing `;` included, leading comments excluded.
    pub range: Range<usize>,
    pub kind: StatementKind,
    /// The syntax kind, for summaries (`CREATE_TABLE`, ...).
    #[serde(with = "raw_kind")]
    pub syntax: SyntaxKind,
    /// What the statement does to the schema: read by [`analyse`](super::analyse) for lint and
    /// `new --revert`; empty in a plan made only to run the file.
    pub actions: Vec<Action>,
}

impl Statement {
    fn of(stmt: &ast::Stmt) -> Statement {
        let node = stmt.syntax();
        let r = node.text_range();
        Statement {
            range: usize::from(r.start())..usize::from(r.end()),
            kind: classify(node),
            syntax: node.kind(),
            actions: Vec::new(),
        }
    }
}

/// The statements of a parsed file, in order, without their actions.
pub(super) fn statements(parse: &Parse<SourceFile>) -> Vec<(ast::Stmt, Statement)> {
    parse
        .tree()
        .stmts()
        .filter(|s| s.syntax().kind() != SyntaxKind::EMPTY_STMT)
        .map(|s| {
            let statement = Statement::of(&s);
            (s, statement)
        })
        .collect()
}

/// A syntax kind as its number (squawk's kinds have no serde of their own).
mod raw_kind {
    use serde::{Deserialize, Deserializer, Serializer};
    use squawk_syntax::SyntaxKind;

    pub(super) fn serialize<S: Serializer>(kind: &SyntaxKind, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u16(u16::from(*kind))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<SyntaxKind, D::Error> {
        let raw = u16::deserialize(d)?;
        if raw > u16::from(SyntaxKind::__LAST) {
            return Err(serde::de::Error::custom(format!("no syntax kind {raw}")));
        }
        Ok(SyntaxKind::from(raw))
    }
}

/// Why a file cannot be run as written, and where (byte offset).
#[derive(Debug, Clone)]
pub(crate) struct Refusal {
    pub offset: usize,
    pub message: String,
}

#[derive(Debug, Clone)]
pub(crate) struct Plan {
    pub statements: Vec<Statement>,
    /// The first statement that cannot run in a transaction block, if any.
    pub first_no_transaction: Option<usize>,
    /// The parser understood the whole file, so the statements cover all of it and can be sent
    /// one by one. Otherwise the file is sent whole and the server is the judge.
    pub parsed_cleanly: bool,
}

/// Words that, anywhere in a file (even in a comment or a string), mean it must be parsed before
/// it runs: they could open or end a transaction block, name a statement that cannot run inside
/// one, or one a migration refuses. A file without any of them runs as one transaction as
/// written, and [`needs_parse`] spares `migrate` the parse (most of its own CPU time).
const PARSE_WORDS: &[&str] = &[
    "ABORT",
    "BEGIN",
    "COMMIT",
    "CONCURRENTLY",
    "DATABASE",
    "END",
    "PREPARE",
    "PREPARED",
    "ROLLBACK",
    "START",
    "SYSTEM",
    "TABLESPACE",
    "TRANSACTION",
    "VACUUM",
];

/// Whether `sql` must be parsed to be run: it holds one of [`PARSE_WORDS`] (case-insensitive,
/// whole words). Without one, [`Plan::check`] could not refuse it and would find it
/// transactional.
pub(crate) fn needs_parse(sql: &str) -> bool {
    // `$` ends a word: `$fn$BEGIN` opens a function body with BEGIN.
    sql.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || !c.is_ascii()))
        .any(|word| {
            (3..=12).contains(&word.len())
                && PARSE_WORDS.iter().any(|w| w.eq_ignore_ascii_case(word))
        })
}

impl Plan {
    /// Parses `sql` (the text of `path`) and checks that it can be run as written.
    pub(crate) fn new(path: &Path, sql: &str) -> Result<Plan, Error> {
        Plan::from_parse(path, sql, &SourceFile::parse(sql))
    }

    /// [`Plan::new`] for a file already parsed (lint parses each file once).
    pub(crate) fn from_parse(
        path: &Path,
        sql: &str,
        parse: &Parse<SourceFile>,
    ) -> Result<Plan, Error> {
        Plan::check(sql, parse).map_err(|r| Error::Script {
            at: Location::of_offset(path, sql.as_bytes(), r.offset),
            message: r.message,
        })
    }

    /// The plan of a parsed file, or why it cannot be run as written.
    pub(crate) fn check(sql: &str, parse: &Parse<SourceFile>) -> Result<Plan, Refusal> {
        let statements: Vec<Statement> = statements(parse).into_iter().map(|(_, s)| s).collect();
        let errors = parse.errors();
        let first = errors
            .first()
            .map(|e| (usize::from(e.range().start()), e.message()));
        Plan::of_statements(sql, statements, first)
    }

    /// [`Plan::check`] of a file whose statements and syntax errors are known already (both
    /// walk the whole tree: [`analyse`](super::analyse) does each once).
    /// `first_error`: the first syntax error's offset and message, if any.
    pub(super) fn of_statements(
        sql: &str,
        statements: Vec<Statement>,
        first_error: Option<(usize, &str)>,
    ) -> Result<Plan, Refusal> {
        let plan = Plan {
            parsed_cleanly: first_error.is_none(),
            first_no_transaction: statements
                .iter()
                .position(|s| matches!(s.kind, StatementKind::NoTransaction(_))),
            statements,
        };
        plan.check_transaction_blocks(sql)?;
        if plan.first_no_transaction.is_some() {
            // Running statement by statement commits each one: a statement boundary found in the
            // wrong place would apply half a statement. Only split text that parsed cleanly.
            if let Some((offset, message)) = first_error {
                return Err(Refusal {
                    offset,
                    message: format!(
                        "{message}: this migration must run statement by statement (it holds a statement that cannot run in a transaction), and it cannot be split safely while it does not parse"
                    ),
                });
            }
        }
        Ok(plan)
    }

    /// The statements to send, in order: explicit BEGIN/COMMIT left out.
    pub(crate) fn executable(&self) -> impl Iterator<Item = &Statement> {
        self.statements
            .iter()
            .filter(|s| !matches!(s.kind, StatementKind::Begin | StatementKind::Commit))
    }

    /// The statements sent one by one when the file cannot run in a transaction: all of them.
    /// Explicit BEGIN/COMMIT are sent too, so that their blocks still group statements.
    pub(crate) fn statement_by_statement(&self) -> Vec<&Statement> {
        self.statements.iter().collect()
    }

    /// Each statement that would be sent, on one line without comments, shortened to 100
    /// characters: what `migrate --dry-run` shows.
    pub(crate) fn summaries(&self, sql: &str) -> Vec<String> {
        if !self.parsed_cleanly {
            return vec!["(the whole file as one script: the parser could not split it)".into()];
        }
        self.executable()
            .map(|s| one_line(&sql[s.range.clone()], 100))
            .collect()
    }

    /// Whether the migration and its ledger rows run in one transaction.
    pub(crate) fn transactional(&self) -> bool {
        self.first_no_transaction.is_none()
    }

    /// The text sent in transactional mode: the file with explicit `BEGIN`/`COMMIT` statements
    /// replaced by spaces, so that character positions in server errors still match the file.
    pub(crate) fn transactional_text(&self, sql: &str) -> String {
        let mut text = sql.to_string();
        for s in self.statements.iter().rev() {
            if matches!(s.kind, StatementKind::Begin | StatementKind::Commit) {
                let blank: String = sql[s.range.clone()]
                    .chars()
                    .map(|c| if c == '\n' { '\n' } else { ' ' })
                    .collect();
                text.replace_range(s.range.clone(), &blank);
            }
        }
        text
    }

    fn check_transaction_blocks(&self, sql: &str) -> Result<(), Refusal> {
        let line =
            |s: &Statement| Location::of_offset(Path::new(""), sql.as_bytes(), s.range.start).line;
        let mut open: Option<&Statement> = None;
        for s in &self.statements {
            match s.kind {
                StatementKind::Begin => {
                    if let Some(begin) = open {
                        return Err(Refusal {
                            offset: s.range.start,
                            message: format!(
                                "BEGIN inside the transaction opened at line {}: PostgreSQL does not nest transactions; remove one of them",
                                line(begin)
                            ),
                        });
                    }
                    open = Some(s);
                }
                StatementKind::Commit => {
                    if open.take().is_none() {
                        return Err(Refusal {
                            offset: s.range.start,
                            message: "COMMIT without a matching BEGIN: it would commit part of the migration on its own; remove it, or add BEGIN before the statements it should group".into(),
                        });
                    }
                }
                StatementKind::NoTransaction(what) if open.is_some() => {
                    return Err(Refusal {
                        offset: s.range.start,
                        message: format!(
                            "{what} cannot run inside a transaction block (PostgreSQL refuses it with SQLSTATE 25001): move it after the COMMIT of the block opened at line {}",
                            line(open.expect("checked"))
                        ),
                    });
                }
                StatementKind::Other | StatementKind::NoTransaction(_) => {}
            }
            if let Some(message) = refused(s.syntax) {
                return Err(Refusal {
                    offset: s.range.start,
                    message: message.into(),
                });
            }
        }
        if let Some(begin) = open {
            return Err(Refusal {
                offset: begin.range.start,
                message: "BEGIN without a matching COMMIT: add COMMIT; after the statements it should group".into(),
            });
        }
        Ok(())
    }
}

/// Transaction-control statements that have no meaning in a migration.
fn refused(kind: SyntaxKind) -> Option<&'static str> {
    match kind {
        SyntaxKind::ROLLBACK_TRANSACTION => Some(
            "ROLLBACK would discard the migration's own work while the ledger records it as applied: remove it",
        ),
        SyntaxKind::PREPARE_TRANSACTION
        | SyntaxKind::COMMIT_PREPARED
        | SyntaxKind::ROLLBACK_PREPARED => {
            Some("two-phase commit statements cannot be part of a migration: remove it")
        }
        _ => None,
    }
}

fn classify(node: &squawk_syntax::SyntaxNode) -> StatementKind {
    let has_token = |kind: SyntaxKind| {
        node.descendants_with_tokens()
            .any(|e| e.as_token().is_some_and(|t| t.kind() == kind))
    };
    match node.kind() {
        SyntaxKind::BEGIN => StatementKind::Begin,
        SyntaxKind::COMMIT_TRANSACTION => StatementKind::Commit,
        SyntaxKind::VACUUM => StatementKind::NoTransaction("VACUUM"),
        SyntaxKind::CREATE_DATABASE => StatementKind::NoTransaction("CREATE DATABASE"),
        SyntaxKind::DROP_DATABASE => StatementKind::NoTransaction("DROP DATABASE"),
        SyntaxKind::CREATE_TABLESPACE => StatementKind::NoTransaction("CREATE TABLESPACE"),
        SyntaxKind::DROP_TABLESPACE => StatementKind::NoTransaction("DROP TABLESPACE"),
        SyntaxKind::ALTER_SYSTEM => StatementKind::NoTransaction("ALTER SYSTEM"),
        SyntaxKind::CREATE_INDEX if has_token(SyntaxKind::CONCURRENTLY_KW) => {
            StatementKind::NoTransaction("CREATE INDEX CONCURRENTLY")
        }
        SyntaxKind::DROP_INDEX if has_token(SyntaxKind::CONCURRENTLY_KW) => {
            StatementKind::NoTransaction("DROP INDEX CONCURRENTLY")
        }
        SyntaxKind::REINDEX if has_token(SyntaxKind::CONCURRENTLY_KW) => {
            StatementKind::NoTransaction("REINDEX CONCURRENTLY")
        }
        SyntaxKind::REINDEX
            if has_token(SyntaxKind::SYSTEM_KW) || has_token(SyntaxKind::DATABASE_KW) =>
        {
            StatementKind::NoTransaction("REINDEX DATABASE/SYSTEM")
        }
        SyntaxKind::ALTER_TABLE if has_token(SyntaxKind::CONCURRENTLY_KW) => {
            StatementKind::NoTransaction("ALTER TABLE ... DETACH PARTITION ... CONCURRENTLY")
        }
        _ => StatementKind::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(sql: &str) -> Result<Plan, Error> {
        Plan::new(Path::new("m/migration.sql"), sql)
    }

    #[test]
    fn plain_prisma_sql_is_transactional() {
        let sql = "-- CreateTable\nCREATE TABLE \"a\" (\"id\" TEXT NOT NULL);\n\n-- CreateIndex\nCREATE INDEX \"a_id_idx\" ON \"a\"(\"id\");\n";
        let p = plan(sql).unwrap();
        assert!(p.transactional());
        assert_eq!(p.statements.len(), 2);
    }

    #[test]
    fn concurrently_needs_statement_mode_even_in_dollar_quotes_context() {
        let sql = "DO $$ BEGIN PERFORM 1; END $$;\nCREATE INDEX CONCURRENTLY \"i\" ON \"a\"(\"b\")";
        let p = plan(sql).unwrap();
        assert_eq!(p.first_no_transaction, Some(1));
        assert_eq!(p.statements.len(), 2, "DO body must not be split");
    }

    #[test]
    fn concurrently_in_a_string_is_not_a_statement() {
        let p = plan("SELECT 'CREATE INDEX CONCURRENTLY x ON y(z)';").unwrap();
        assert!(p.transactional());
    }

    #[test]
    fn begin_commit_are_blanked_keeping_positions() {
        let sql = "BEGIN;\nCREATE TYPE \"R\" AS ENUM ('A');\nCOMMIT;\n";
        let p = plan(sql).unwrap();
        let text = p.transactional_text(sql);
        assert_eq!(text.len(), sql.len());
        assert_eq!(text, "      \nCREATE TYPE \"R\" AS ENUM ('A');\n       \n");
    }

    #[test]
    fn unbalanced_blocks_are_errors_with_lines() {
        let e = plan("SELECT 1;\nBEGIN;\nSELECT 2;\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("migration.sql:2:1") && e.contains("without a matching COMMIT"),
            "{e}"
        );
        let e = plan("SELECT 1;\nCOMMIT;\n").unwrap_err().to_string();
        assert!(
            e.contains(":2:1") && e.contains("without a matching BEGIN"),
            "{e}"
        );
        let e = plan("BEGIN;\nCREATE INDEX CONCURRENTLY i ON t(c);\nCOMMIT;")
            .unwrap_err()
            .to_string();
        assert!(e.contains(":2:1") && e.contains("25001"), "{e}");
        let e = plan("BEGIN;\nSELECT 1;\nROLLBACK;")
            .unwrap_err()
            .to_string();
        assert!(e.contains(":3:1") && e.contains("ROLLBACK"), "{e}");
    }

    #[test]
    fn only_files_with_transaction_words_need_a_parse() {
        let prisma = "-- CreateTable\nCREATE TABLE \"a\" (\"id\" TEXT NOT NULL, \"ending\" INT);\n\n-- AddForeignKey\nALTER TABLE \"a\" ADD CONSTRAINT \"a_fkey\" FOREIGN KEY (\"id\") REFERENCES \"b\"(\"id\") ON DELETE RESTRICT ON UPDATE CASCADE;\n";
        assert!(!needs_parse(prisma));
        assert!(plan(prisma).unwrap().transactional());
        for sql in [
            "begin;\nSELECT 1;\ncommit;",
            "CREATE INDEX CONCURRENTLY i ON t(c);",
            "DO $$ BEGIN PERFORM 1; END $$;",
            "CREATE FUNCTION f() RETURNS int AS $fn$BEGIN RETURN 1; END$fn$ LANGUAGE plpgsql;",
            "SELECT CASE WHEN true THEN 1 END;",
            "vacuum t;",
            "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE;",
            "ALTER SYSTEM SET work_mem = '4MB';",
            "-- a comment that says Commit\nSELECT 1;",
        ] {
            assert!(needs_parse(sql), "{sql}");
        }
        // Every file Plan::check refuses or runs statement by statement is parsed first.
        for sql in [
            "SELECT 1;\nROLLBACK;",
            "PREPARE TRANSACTION 'x';",
            "CREATE DATABASE d;",
            "DROP TABLESPACE t;",
            "REINDEX SYSTEM d;",
            "ALTER TABLE p DETACH PARTITION c CONCURRENTLY;",
        ] {
            assert!(needs_parse(sql), "{sql}");
        }
    }

    #[test]
    fn savepoints_are_fine() {
        assert!(
            plan("SAVEPOINT a; SELECT 1; ROLLBACK TO SAVEPOINT a; RELEASE SAVEPOINT a;").is_ok()
        );
    }
}
