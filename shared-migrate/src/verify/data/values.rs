//! The values `verify --data` writes: a literal per column type and row number, and, for a
//! column with CHECK constraints, values the server confirms they accept.
//!
//! A CHECK is not parsed: its constants (the numbers of `price > 0`, `qty BETWEEN 1 AND 100`,
//! `char_length(code) = 3`; the strings of `status IN ('open', 'closed')`) suggest candidates,
//! and the server evaluates the CHECK's own expression on them and on the row values. Rows whose
//! value it refuses take an accepted candidate instead. For a CHECK over several columns, the
//! server evaluates it on every combination of NULLs and sample values, and the nullable columns
//! follow the combinations it accepts; what it decides by values alone is left to the insert
//! (refused rows are dropped and counted).

use postgres::GenericClient;

use super::catalog::Column;
use crate::db::quote_ident;

/// A literal of column `c`'s type for row `n`, or None when we cannot make one.
pub(super) fn value(c: &Column, n: u64, seed: u64) -> Option<String> {
    let cast = |literal: String| format!("{literal}::{}", c.ty);
    if !c.enum_labels.is_empty() {
        let label = &c.enum_labels[((n + seed) % c.enum_labels.len() as u64) as usize];
        return Some(cast(text(label)));
    }
    Some(match (c.category.as_str(), c.base.as_str()) {
        ("A", _) => cast("'{}'".into()),
        // Most integers equal the row number, which is also what serial keys hold: a column
        // that later becomes a foreign key mostly points at rows, as in production; every fifth
        // points nowhere (orphans, as production has too), still unique.
        ("N", "int2" | "int4" | "int8" | "oid") if n.is_multiple_of(5) => {
            let far = if c.base == "int2" {
                20_000
            } else {
                1_000_000_000
            };
            cast(format!("'{}'", if n < far / 2 { n + far } else { n }))
        }
        ("N", "int2" | "int4" | "int8" | "oid") => cast(format!("'{n}'")),
        ("N", _) => cast(format!("'{}'", n % 10)),
        ("S", _) => cast(text(&fit(c, format!("{}{seed}_{n}", c.tag)))),
        ("B", _) => cast(format!("'{}'", n.is_multiple_of(2))),
        ("D", "date") => format!("('2024-01-01'::date + {})::{}", n % 3650, c.ty),
        ("D", "time" | "timetz") => cast("'12:00'".into()),
        ("D", _) => format!(
            "('2024-01-01 00:00:00+00'::timestamptz + {n} * interval '1 minute')::{}",
            c.ty
        ),
        ("T", _) => cast("'1 day'".into()),
        ("U", "uuid") => format!("md5('{seed}_{n}')::uuid::{}", c.ty),
        ("U", "json" | "jsonb") => cast("'{}'".into()),
        ("U", "bytea") => cast("'\\x00'".into()),
        ("I", _) => cast("'10.0.0.1'".into()),
        _ => return None,
    })
}

/// Replaces the values of `cells` (one column's literals, `None` for NULL) that `checks` refuse
/// by accepted candidates, in turn. Unchanged when the server accepts no candidate or cannot
/// evaluate them (the rows are then refused at insert, as before).
pub(super) fn satisfy_checks(
    client: &mut impl GenericClient,
    c: &Column,
    checks: &[String],
    cells: &mut [Option<String>],
) -> Result<(), postgres::Error> {
    let extra = candidates(c, checks);
    let listed: Vec<(usize, &String)> = cells
        .iter()
        .enumerate()
        .filter_map(|(k, v)| v.as_ref().map(|v| (k, v)))
        .chain(extra.iter().enumerate().map(|(j, v)| (cells.len() + j, v)))
        .collect();
    if listed.is_empty() {
        return Ok(());
    }
    let values: Vec<String> = listed.iter().map(|(k, v)| format!("({k}, {v})")).collect();
    // A candidate the type refuses fails the whole query: then nothing is replaced.
    let Some(accepted) = accepted(client, &values, &[c], checks)? else {
        return Ok(());
    };
    let pool: Vec<&String> = accepted
        .iter()
        .filter(|&&i| i >= cells.len())
        .map(|&i| &extra[i - cells.len()])
        .collect();
    if pool.is_empty() {
        return Ok(());
    }
    let mut next = 0;
    for (k, cell) in cells.iter_mut().enumerate() {
        if cell.is_some() && !accepted.contains(&k) {
            *cell = Some(pool[next % pool.len()].clone());
            next += 1;
        }
    }
    Ok(())
}

/// For the nullable columns of CHECKs over several columns of a table: which of them to leave
/// NULL, row after row (a cycle, `true` = NULL), so that the CHECK holds as far as NULLs
/// decide it ("exactly one of templateId and documentId"). The server evaluates each CHECK on
/// every combination of NULLs and sample values; the combinations it accepts are cycled
/// through. A column in several CHECKs follows the first.
pub(super) fn null_patterns(
    client: &mut impl GenericClient,
    columns: &[Column],
    checks: &[(Vec<String>, String)],
    seed: u64,
) -> Result<std::collections::BTreeMap<String, Vec<bool>>, postgres::Error> {
    let mut out = std::collections::BTreeMap::new();
    for (names, expr) in checks {
        let Some(cols) = names
            .iter()
            .map(|n| columns.iter().find(|c| &c.name == n))
            .collect::<Option<Vec<&Column>>>()
        else {
            continue;
        };
        let free: Vec<usize> = (0..cols.len())
            .filter(|&i| !cols[i].not_null && !out.contains_key(&cols[i].name))
            .collect();
        let Some(sample) = cols
            .iter()
            .map(|c| value(c, 1, seed))
            .collect::<Option<Vec<String>>>()
        else {
            continue;
        };
        if free.is_empty() {
            continue;
        }
        let rows: Vec<String> = (0u32..1 << free.len())
            .map(|mask| {
                let mut row = vec![mask.to_string()];
                for (i, c) in cols.iter().enumerate() {
                    let null = free
                        .iter()
                        .position(|&f| f == i)
                        .is_some_and(|bit| mask & (1 << bit) != 0);
                    row.push(if null {
                        format!("NULL::{}", c.ty)
                    } else {
                        sample[i].clone()
                    });
                }
                format!("({})", row.join(", "))
            })
            .collect();
        let masks = match accepted(client, &rows, &cols, std::slice::from_ref(expr))? {
            Some(masks) if !masks.is_empty() => masks,
            _ => continue,
        };
        for (bit, &i) in free.iter().enumerate() {
            let pattern = masks.iter().map(|m| m & (1 << bit) != 0).collect();
            out.insert(cols[i].name.clone(), pattern);
        }
    }
    Ok(out)
}

/// The numbers `i` of `rows` (`(i, value, ...)`, a value per column of `columns`) for which
/// every one of `checks` holds as a CHECK holds (not false), as the server evaluates them. None
/// when it cannot (a value the type refuses): the query ran in a savepoint.
fn accepted(
    client: &mut impl GenericClient,
    rows: &[String],
    columns: &[&Column],
    checks: &[String],
) -> Result<Option<std::collections::BTreeSet<usize>>, postgres::Error> {
    let names: Vec<String> = columns.iter().map(|c| quote_ident(&c.name)).collect();
    let holds: Vec<String> = checks
        .iter()
        .map(|e| format!("({e}) IS NOT FALSE"))
        .collect();
    let sql = format!(
        "SELECT i FROM (VALUES {}) AS t(i, {}) WHERE {}",
        rows.join(", "),
        names.join(", "),
        holds.join(" AND ")
    );
    let mut sp = client.transaction()?;
    let Ok(found) = sp.query(&sql, &[]) else {
        return Ok(None);
    };
    sp.commit()?;
    Ok(Some(
        found.iter().map(|r| r.get::<_, i32>(0) as usize).collect(),
    ))
}

/// Literals of `c`'s type suggested by the constants of `checks`: numbers around each number,
/// strings as written (LIKE wildcards filled), strings of each length named.
fn candidates(c: &Column, checks: &[String]) -> Vec<String> {
    let (numbers, strings) = constants(&checks.join(" "));
    let cast = |literal: String| format!("{literal}::{}", c.ty);
    let mut out = Vec::new();
    if !c.enum_labels.is_empty() {
        for s in strings.iter().filter(|s| c.enum_labels.contains(s)) {
            out.push(cast(text(s)));
        }
        return dedup(out);
    }
    match (c.category.as_str(), c.base.as_str()) {
        ("N", base) => {
            let limit = match base {
                "int2" => i16::MAX as f64,
                "int4" | "oid" => i32::MAX as f64,
                _ => i64::MAX as f64 / 4.0,
            };
            let integer = matches!(base, "int2" | "int4" | "int8" | "oid");
            for x in numbers.iter().chain(&[0.0, 1.0]) {
                for d in [0.0, 1.0, -1.0, 2.0, 10.0, -10.0] {
                    let v = if integer { x.trunc() + d } else { x + d };
                    if v.abs() <= limit {
                        out.push(cast(format!("'{v}'")));
                    }
                }
            }
        }
        ("S", _) => {
            for s in &strings {
                out.push(cast(text(&fit(c, s.clone()))));
                let filled: String = s
                    .chars()
                    .map(|ch| if ch == '%' || ch == '_' { 'x' } else { ch })
                    .collect();
                out.push(cast(text(&fit(c, filled))));
            }
            for &x in &numbers {
                for len in [x, x + 1.0, x - 1.0] {
                    if (1.0..=10_000.0).contains(&len) {
                        out.push(cast(text(&fit(c, "x".repeat(len as usize)))));
                    }
                }
            }
        }
        _ => {}
    }
    dedup(out)
}

/// Numbers and quoted strings written in an expression as PostgreSQL prints it; digits inside
/// names (`col2`, `"a1"`) are not numbers. A string that reads as a number is both.
fn constants(expr: &str) -> (Vec<f64>, Vec<String>) {
    let mut numbers = Vec::new();
    let mut strings = Vec::new();
    let chars: Vec<char> = expr.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let ch = chars[i];
        if ch == '\'' || ch == '"' {
            let mut s = String::new();
            i += 1;
            while i < chars.len() {
                if chars[i] == ch {
                    if chars.get(i + 1) == Some(&ch) {
                        s.push(ch);
                        i += 2;
                        continue;
                    }
                    break;
                }
                s.push(chars[i]);
                i += 1;
            }
            i += 1;
            if ch == '\'' {
                if let Ok(x) = s.trim().parse::<f64>()
                    && x.is_finite()
                {
                    numbers.push(x);
                }
                strings.push(s);
            }
            continue;
        }
        if ch.is_ascii_alphabetic() || ch == '_' {
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            continue;
        }
        if ch.is_ascii_digit() {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            let s: String = chars[start..i].iter().collect();
            if let Ok(x) = s.parse::<f64>() {
                numbers.push(x);
            }
            continue;
        }
        i += 1;
    }
    (numbers, strings)
}

fn dedup(v: Vec<String>) -> Vec<String> {
    let mut seen = std::collections::BTreeSet::new();
    v.into_iter().filter(|s| seen.insert(s.clone())).collect()
}

fn text(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// `s` cut to the column's length, keeping its end (where the row number is).
fn fit(c: &Column, s: String) -> String {
    match c.length {
        Some(len) if s.chars().count() > len => {
            let skip = s.chars().count() - len.max(1);
            s.chars().skip(skip).collect()
        }
        _ => s,
    }
}

#[cfg(test)]
mod tests {
    use super::constants;

    #[test]
    fn constants_are_read_as_postgres_prints_them() {
        let (n, s) = constants(
            "((qty2 >= 1) AND (\"a1\" <= (100)::numeric) AND (status = ANY (ARRAY['open'::text, 'it''s'::text])) AND (char_length(code) = 3) AND (x > '-5'::integer))",
        );
        assert_eq!(n, vec![1.0, 100.0, 3.0, -5.0]);
        assert_eq!(s, vec!["open", "it's", "-5"]);
    }
}
