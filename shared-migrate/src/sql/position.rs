//! Positions in a migration file: where a server error points (PostgreSQL counts characters
//! of the text sent, which may start part way into the file). The snippet under it is
//! [`crate::error::snippet`].

use std::path::Path;

use crate::error::Location;

/// The location in the file of a server error position: `char_position` is PostgreSQL's
/// 1-based character index into the text sent, which started at byte `sent_from` of `sql`.
pub(crate) fn error_location(
    path: &Path,
    sql: &str,
    sent_from: usize,
    char_position: usize,
) -> Location {
    let offset = sql[sent_from..]
        .char_indices()
        .nth(char_position.saturating_sub(1))
        .map_or(sql.len(), |(i, _)| sent_from + i);
    Location::of_offset(path, sql.as_bytes(), offset)
}

#[cfg(test)]
mod tests {
    use super::*;

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
