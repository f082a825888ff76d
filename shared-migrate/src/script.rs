//! How a `migration.sql` is run, decided by parsing it (squawk's PostgreSQL parser).
//!
//! Most migrations run as one transaction together with their ledger rows. A migration that
//! holds a statement PostgreSQL refuses inside a transaction block (`CREATE INDEX CONCURRENTLY`,
//! `VACUUM`, ...) runs statement by statement instead. Explicit `BEGIN;`/`COMMIT;` in the file are
//! checked for balance; in a transactional migration they are blanked out, because the whole
//! file is already one transaction.

use std::ops::Range;
use std::path::Path;

use squawk_syntax::ast::AstNode;
use squawk_syntax::{Parse, SourceFile, SyntaxKind};

use postgres::GenericClient;

use crate::error::{Error, Location, describe_pg_error};

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

#[derive(Debug, Clone)]
pub struct Statement {
    /// Byte range in the file, trailing `;` included.
    pub range: Range<usize>,
    pub kind: StatementKind,
    /// The syntax kind, for summaries (`CREATE_TABLE`, ...).
    pub syntax: SyntaxKind,
}

/// Why a file cannot be run as written, and where (byte offset).
#[derive(Debug, Clone)]
pub struct Refusal {
    pub offset: usize,
    pub message: String,
}

#[derive(Debug, Clone)]
pub struct Plan {
    pub statements: Vec<Statement>,
    /// The first statement that cannot run in a transaction block, if any.
    pub first_no_transaction: Option<usize>,
    /// The parser understood the whole file, so the statements cover all of it and can be sent
    /// one by one. Otherwise the file is sent whole and the server is the judge.
    pub parsed_cleanly: bool,
}

impl Plan {
    /// Parses `sql` (the text of `path`) and checks that it can be run as written.
    pub fn new(path: &Path, sql: &str) -> Result<Plan, Error> {
        Plan::from_parse(path, sql, &SourceFile::parse(sql))
    }

    /// [`Plan::new`] for a file already parsed (lint parses each file once).
    pub fn from_parse(path: &Path, sql: &str, parse: &Parse<SourceFile>) -> Result<Plan, Error> {
        Plan::check(sql, parse).map_err(|r| Error::Script {
            at: Location::of_offset(path, sql.as_bytes(), r.offset),
            message: r.message,
        })
    }

    /// The plan of a parsed file, or why it cannot be run as written.
    pub fn check(sql: &str, parse: &Parse<SourceFile>) -> Result<Plan, Refusal> {
        let mut statements = Vec::new();
        for stmt in parse.tree().stmts() {
            let node = stmt.syntax();
            let r = node.text_range();
            let range = usize::from(r.start())..usize::from(r.end());
            statements.push(Statement {
                kind: classify(node),
                syntax: node.kind(),
                range,
            });
        }
        let errors = parse.errors();
        let plan = Plan {
            parsed_cleanly: errors.is_empty(),
            first_no_transaction: statements
                .iter()
                .position(|s| matches!(s.kind, StatementKind::NoTransaction(_))),
            statements,
        };
        plan.check_transaction_blocks(sql)?;
        if plan.first_no_transaction.is_some() {
            // Running statement by statement commits each one: a statement boundary found in the
            // wrong place would apply half a statement. Only split text that parsed cleanly.
            if let Some(err) = errors.first() {
                return Err(Refusal {
                    offset: usize::from(err.range().start()),
                    message: format!(
                        "{}: this migration must run statement by statement (it holds a statement that cannot run in a transaction), and it cannot be split safely while it does not parse",
                        err.message()
                    ),
                });
            }
        }
        Ok(plan)
    }

    /// The statements to send, in order: explicit BEGIN/COMMIT and empty statements left out.
    pub fn executable(&self) -> impl Iterator<Item = &Statement> {
        self.statements.iter().filter(|s| {
            !matches!(s.kind, StatementKind::Begin | StatementKind::Commit)
                && s.syntax != SyntaxKind::EMPTY_STMT
        })
    }

    /// The statements sent one by one when the file cannot run in a transaction: all but empty
    /// ones. Explicit BEGIN/COMMIT are sent too, so that their blocks still group statements.
    pub fn statement_by_statement(&self) -> Vec<&Statement> {
        self.statements
            .iter()
            .filter(|s| s.syntax != SyntaxKind::EMPTY_STMT)
            .collect()
    }

    /// Each statement that would be sent, on one line without comments, shortened to 100
    /// characters: what `migrate --dry-run` shows.
    pub fn summaries(&self, sql: &str) -> Vec<String> {
        if !self.parsed_cleanly {
            return vec!["(the whole file as one script: the parser could not split it)".into()];
        }
        self.executable()
            .map(|s| one_line(&sql[s.range.clone()], 100))
            .collect()
    }

    /// Whether the migration and its ledger rows run in one transaction.
    pub fn transactional(&self) -> bool {
        self.first_no_transaction.is_none()
    }

    /// The text sent in transactional mode: the file with explicit `BEGIN`/`COMMIT` statements
    /// replaced by spaces, so that character positions in server errors still match the file.
    pub fn transactional_text(&self, sql: &str) -> String {
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

/// A statement of a script failed on the server.
pub struct ScriptError {
    pub error: postgres::Error,
    /// The byte of the file where the text sent started (None: the whole file at once).
    pub from: Option<usize>,
}

/// Runs the statements of a transactional plan on `client` (inside the caller's transaction).
/// One statement at a time when the file parsed cleanly, so that a failure names its statement
/// even when the server gives no position (a round trip each, as with psql -f); otherwise the
/// whole file at once, and the server is the judge.
pub fn execute_transactional(
    client: &mut impl GenericClient,
    plan: &Plan,
    sql: &str,
) -> Result<(), ScriptError> {
    if plan.parsed_cleanly {
        for s in plan.executable() {
            client
                .batch_execute(&sql[s.range.clone()])
                .map_err(|error| ScriptError {
                    error,
                    from: Some(s.range.start),
                })?;
        }
        Ok(())
    } else {
        client
            .batch_execute(&plan.transactional_text(sql))
            .map_err(|error| ScriptError { error, from: None })
    }
}

/// SQL on one line, without `--` comments, cut to `max` characters (ending in `...`), for
/// messages and summaries.
pub fn one_line(sql: &str, max: usize) -> String {
    let words: Vec<&str> = sql
        .lines()
        .map(|l| l.split("--").next().unwrap_or_default())
        .flat_map(str::split_whitespace)
        .collect();
    let line = words.join(" ");
    if line.chars().count() > max {
        let cut: String = line.chars().take(max.saturating_sub(3)).collect();
        format!("{}...", cut.trim_end())
    } else {
        line
    }
}

/// Runs `statements` (from [`Plan::statement_by_statement`]) one by one on `client`, outside any
/// transaction of ours: each commits on its own unless the file groups it in BEGIN ... COMMIT.
/// On failure, returns the index of the failing statement with its error.
pub fn execute_statement_by_statement(
    client: &mut impl GenericClient,
    statements: &[&Statement],
    sql: &str,
) -> Result<(), (usize, ScriptError)> {
    for (i, s) in statements.iter().enumerate() {
        client
            .batch_execute(&sql[s.range.clone()])
            .map_err(|error| {
                (
                    i,
                    ScriptError {
                        error,
                        from: Some(s.range.start),
                    },
                )
            })?;
    }
    Ok(())
}

/// A server error in a file, for people: `--> file:line:col`, a snippet, the SQLSTATE and the
/// server's message, detail, hint and context.
pub fn describe_error(path: &Path, sql: &str, e: &postgres::Error, from: Option<usize>) -> String {
    let Some(db) = e.as_db_error() else {
        return format!(
            "  --> {}\nDatabase error: {}",
            path.display(),
            describe_pg_error(e)
        );
    };
    let position = match db.position() {
        Some(postgres::error::ErrorPosition::Original(p)) => Some(*p as usize),
        _ => None,
    };
    let loc = match (position, from) {
        (Some(p), _) => Some(error_location(path, sql, from.unwrap_or(0), p)),
        // No position (errors found after parsing): the failing statement's start.
        (None, Some(from)) => Some(Location::of_offset(path, sql.as_bytes(), from)),
        (None, None) => None,
    };
    let mut out = match loc {
        Some(loc) => format!("  --> {loc}\n{}", snippet(sql, &loc)),
        None => format!("  --> {}", path.display()),
    };
    out.push_str(&format!(
        "\nDatabase error code: {}\nDatabase error: {}: {}",
        db.code().code(),
        db.severity(),
        db.message()
    ));
    for (label, v) in [
        ("DETAIL", db.detail()),
        ("HINT", db.hint()),
        ("CONTEXT", db.where_()),
    ] {
        if let Some(v) = v {
            out.push_str(&format!("\n{label}: {v}"));
        }
    }
    out
}

/// The location in the file of a server error position: `char_position` is PostgreSQL's
/// 1-based character index into the text sent, which started at byte `sent_from` of `sql`.
pub fn error_location(path: &Path, sql: &str, sent_from: usize, char_position: usize) -> Location {
    let offset = sql[sent_from..]
        .char_indices()
        .nth(char_position.saturating_sub(1))
        .map_or(sql.len(), |(i, _)| sent_from + i);
    Location::of_offset(path, sql.as_bytes(), offset)
}

/// The line of `sql` at `loc`, with a caret under the column: a snippet for error messages.
pub fn snippet(sql: &str, loc: &Location) -> String {
    let line = sql.lines().nth(loc.line.saturating_sub(1)).unwrap_or("");
    let gutter = loc.line.to_string();
    let pad = " ".repeat(gutter.len());
    let caret_pad: String = line
        .chars()
        .take(loc.column.saturating_sub(1))
        .map(|c| if c == '\t' { '\t' } else { ' ' })
        .collect();
    format!("{pad} |\n{gutter} | {line}\n{pad} | {caret_pad}^")
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
    fn savepoints_are_fine() {
        assert!(
            plan("SAVEPOINT a; SELECT 1; ROLLBACK TO SAVEPOINT a; RELEASE SAVEPOINT a;").is_ok()
        );
    }

    #[test]
    fn error_location_counts_characters() {
        let sql = "-- é\nSELECT 1;\nSELEC 2;";
        // "SELEC" starts at character 16 (1-based) of the file.
        let loc = error_location(Path::new("f.sql"), sql, 0, 16);
        assert_eq!((loc.line, loc.column), (3, 1));
        // Statement sent alone, starting at byte of line 3.
        let start = sql.find("SELEC 2").unwrap();
        let loc = error_location(Path::new("f.sql"), sql, start, 1);
        assert_eq!((loc.line, loc.column), (3, 1));
    }
}
