//! The naming convention of migration folders: `YYYYMMDDHHMMSS_<lower_snake_name>`, a real UTC
//! time, a descriptive name. Shared by `new` (which refuses bad names) and `lint`.

use chrono::NaiveDateTime;

/// Longest migration name Prisma accepts (P3010).
pub(crate) const MAX_NAME_LEN: usize = 200;

/// Words that say nothing about a change (the guide's bad examples and their kin). A name made
/// only of these (and numbers) is not descriptive.
pub(crate) const DEFAULT_VAGUE_WORDS: &[&str] = &[
    "update",
    "updates",
    "fix",
    "fixes",
    "change",
    "changes",
    "changed",
    "misc",
    "stuff",
    "temp",
    "tmp",
    "test",
    "wip",
    "new",
    "migration",
    "migrations",
    "init2",
    "schema",
    "entire",
    "all",
    "various",
    "more",
    "edit",
    "edits",
    "patch",
    "tweak",
    "tweaks",
    "cleanup",
    "sync",
    "db",
    "database",
    "final",
    "latest",
    "again",
    "another",
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NameProblem {
    /// No 14-digit timestamp and `_` at the start.
    NoTimestamp,
    /// The 14 digits are not a real date and time.
    BadTimestamp(String),
    /// The part after the timestamp is not lower snake case.
    NotSnakeCase(String),
    /// Only vague words.
    Vague(String),
    TooLong(usize),
}

impl std::fmt::Display for NameProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NameProblem::NoTimestamp => f.write_str(
                "the name must start with a 14-digit UTC timestamp and `_`: YYYYMMDDHHMMSS_description",
            ),
            NameProblem::BadTimestamp(ts) => write!(f, "`{ts}` is not a real date and time (YYYYMMDDHHMMSS, UTC)"),
            NameProblem::NotSnakeCase(d) => write!(
                f,
                "`{d}` is not lower snake case: use lowercase letters, digits and single `_` (e.g. add_student_grade)"
            ),
            NameProblem::Vague(d) => write!(
                f,
                "`{d}` does not say what changes: name the change, e.g. add_student_grade or create_certificates_table"
            ),
            NameProblem::TooLong(n) => write!(f, "the name is {n} characters long; at most {MAX_NAME_LEN} are allowed (Prisma P3010)"),
        }
    }
}

/// The 14 digits and the description of `<14 digits>_<description>`, the date unchecked.
pub(crate) fn parts(name: &str) -> Option<(&str, &str)> {
    match name.split_at_checked(14) {
        Some((ts, rest)) if ts.bytes().all(|b| b.is_ascii_digit()) => {
            Some((ts, rest.strip_prefix('_')?))
        }
        _ => None,
    }
}

/// Splits a folder name into its timestamp and description, checking the timestamp.
pub(crate) fn split(name: &str) -> Result<(NaiveDateTime, &str), NameProblem> {
    let (ts, rest) = parts(name).ok_or(NameProblem::NoTimestamp)?;
    let time = timestamp(ts).ok_or_else(|| NameProblem::BadTimestamp(ts.to_string()))?;
    Ok((time, rest))
}

/// `YYYYMMDDHHMMSS` (14 ASCII digits) as a date and time, when it is a real one. By hand, not
/// with a format string: lint reads every folder's name, and a parse with a format was a
/// twentieth of linting 10,000 migrations.
fn timestamp(ts: &str) -> Option<NaiveDateTime> {
    let digits = |from: usize, to: usize| ts.get(from..to)?.parse::<u32>().ok();
    let date = chrono::NaiveDate::from_ymd_opt(digits(0, 4)? as i32, digits(4, 6)?, digits(6, 8)?)?;
    let (hour, minute, second) = (digits(8, 10)?, digits(10, 12)?, digits(12, 14)?);
    match second {
        // A leap second, as chrono's `%S` reads it.
        60 => date.and_hms_milli_opt(hour, minute, 59, 1_000),
        _ => date.and_hms_opt(hour, minute, second),
    }
}

/// Checks a description (the part after the timestamp) against the convention.
pub(crate) fn check_description(
    description: &str,
    vague_words: &[String],
) -> Result<(), NameProblem> {
    let snake = !description.is_empty()
        && description.split('_').all(|w| {
            !w.is_empty()
                && w.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
        && description.as_bytes()[0].is_ascii_lowercase();
    if !snake {
        return Err(NameProblem::NotSnakeCase(description.to_string()));
    }
    let descriptive = description
        .split('_')
        .any(|w| !w.bytes().all(|b| b.is_ascii_digit()) && !vague_words.iter().any(|v| v == w));
    if !descriptive {
        return Err(NameProblem::Vague(description.to_string()));
    }
    Ok(())
}

/// Checks a whole folder name.
pub fn check(name: &str, vague_words: &[String]) -> Result<NaiveDateTime, NameProblem> {
    if name.len() > MAX_NAME_LEN {
        return Err(NameProblem::TooLong(name.len()));
    }
    let (time, description) = split(name)?;
    check_description(description, vague_words)?;
    Ok(time)
}

/// The words `vague-name` refuses unless `xtask.toml` says otherwise.
pub fn default_vague_words() -> Vec<String> {
    DEFAULT_VAGUE_WORDS.iter().map(|s| s.to_string()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_guides_good_names() {
        let v = default_vague_words();
        for n in [
            "20250110120000_add_student_grade_field",
            "20250110120000_create_certificates_table",
            "20250110120000_add_wallet_staking_support",
            "20250110120000_init",
        ] {
            assert!(check(n, &v).is_ok(), "{n}");
        }
    }

    #[test]
    fn timestamps_read_as_chronos_format_reads_them() {
        for ts in [
            "20250110120000",
            "20240229235959",
            "20241231235960",
            "20250229000000",
            "20251301000000",
            "20250132000000",
            "20250101240000",
            "20250101006000",
            "00000101000000",
        ] {
            assert_eq!(
                timestamp(ts),
                NaiveDateTime::parse_from_str(ts, "%Y%m%d%H%M%S").ok(),
                "{ts}"
            );
        }
    }

    #[test]
    fn refuses_the_guides_bad_names() {
        let v = default_vague_words();
        for n in [
            "20250110120000_update",
            "20250110120000_fix",
            "20250110120000_changes",
            "20250110120000_update_entire_schema",
            "20250110120000_fix_2",
        ] {
            assert!(matches!(check(n, &v), Err(NameProblem::Vague(_))), "{n}");
        }
        assert_eq!(check("20250110_init", &v), Err(NameProblem::NoTimestamp));
        assert!(matches!(
            check("20251310120000_add_x", &v),
            Err(NameProblem::BadTimestamp(_))
        ));
        assert!(matches!(
            check("20250110120000_AddX", &v),
            Err(NameProblem::NotSnakeCase(_))
        ));
        assert!(matches!(
            check("20250110120000_add__x", &v),
            Err(NameProblem::NotSnakeCase(_))
        ));
        assert!(matches!(
            check(&format!("20250110120000_{}", "a".repeat(190)), &v),
            Err(NameProblem::TooLong(_))
        ));
    }
}
