//! Inline suppressions: `-- lint:allow <rule>[, <rule>]: <reason>` in the SQL.
//!
//! A suppression applies to the statement that follows it, or to the statement it ends the line
//! of (`DROP TABLE "x"; -- lint:allow drop-table: ...`). One above the first statement also
//! applies to the findings about the whole file (name, size, history).

use std::ops::Range;

use crate::sql::Analysis;

#[derive(Debug, Clone)]
pub struct Suppression {
    /// The comment's byte range.
    pub range: Range<usize>,
    pub rules: Vec<String>,
    pub reason: String,
    /// The statement it applies to (index into `Analysis::statements`).
    pub statement: Option<usize>,
    /// Placed before the first statement: also applies to file-level findings.
    pub file_level: bool,
}

const MARKER: &str = "lint:allow";

/// The suppressions written in a file.
pub(crate) fn parse(sql: &str, analysis: &Analysis) -> Vec<Suppression> {
    let first_statement = analysis
        .statements
        .first()
        .map_or(usize::MAX, |s| s.range.start);
    analysis
        .comments
        .iter()
        .filter_map(|(range, text)| {
            let body = text
                .strip_prefix("--")
                .or_else(|| text.strip_prefix("/*").map(|t| t.trim_end_matches("*/")))?
                .trim();
            let rest = body.strip_prefix(MARKER)?;
            // `lint:allowed` or similar is not ours.
            if rest.starts_with(|c: char| c.is_alphanumeric() || c == '-' || c == '_') {
                return None;
            }
            let (names, reason) = rest.split_once(':').unwrap_or((rest, ""));
            let rules = names
                .split(|c: char| c == ',' || c.is_whitespace())
                .filter(|n| !n.is_empty())
                .map(str::to_string)
                .collect();
            Some(Suppression {
                range: range.clone(),
                rules,
                reason: reason.trim().to_string(),
                statement: target(sql, analysis, range),
                file_level: range.start < first_statement,
            })
        })
        .collect()
}

/// The statement a comment at `range` speaks about.
fn target(sql: &str, analysis: &Analysis, range: &Range<usize>) -> Option<usize> {
    let statements = &analysis.statements;
    // Inside a statement, or after one on the same line: that statement.
    if let Some(i) = statements
        .iter()
        .rposition(|s| s.range.start <= range.start)
    {
        let s = &statements[i];
        if range.start < s.range.end || !sql[s.range.end..range.start].contains('\n') {
            return Some(i);
        }
    }
    statements.iter().position(|s| s.range.start >= range.end)
}

#[cfg(test)]
mod tests {

    use super::*;
    use crate::sql::analyse;

    fn targets(sql: &str) -> Vec<(Vec<String>, String, Option<usize>, bool)> {
        let analysis = analyse(sql);
        parse(sql, &analysis)
            .into_iter()
            .map(|s| (s.rules, s.reason, s.statement, s.file_level))
            .collect()
    }

    #[test]
    fn a_suppression_applies_to_the_next_statement_or_the_one_on_its_line() {
        let sql = "-- lint:allow migration-size: squashed history\n\
                   CREATE TABLE a (id int);\n\
                   -- lint:allow drop-column, drop-table: copied to a_backup first\n\
                   ALTER TABLE a DROP COLUMN b;\n\
                   DROP TABLE c; -- lint:allow drop-table:\n\
                   -- an ordinary comment\n";
        assert_eq!(
            targets(sql),
            vec![
                (
                    vec!["migration-size".to_string()],
                    "squashed history".to_string(),
                    Some(0),
                    true
                ),
                (
                    vec!["drop-column".to_string(), "drop-table".to_string()],
                    "copied to a_backup first".to_string(),
                    Some(1),
                    false
                ),
                (
                    vec!["drop-table".to_string()],
                    String::new(),
                    Some(2),
                    false
                ),
            ]
        );
    }
}
