//! Small text helpers every layer uses: counts with their noun, shell quoting for the commands we
//! suggest, SQL on one line, "did you mean", durations as people write them, and GitHub's
//! workflow commands.

use std::borrow::Cow;
use std::time::Duration;

/// `1 migration`, `2 migrations`.
pub fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

/// `word` as one argument of a POSIX shell command line, for the commands we suggest: as is
/// when safe, else in single quotes. Folder names may hold spaces, quotes or `;`. A whitelist
/// (not shell-words' list of special characters, which leaves `{`, `}` and `!` bare: brace and
/// history expansion in bash).
pub(crate) fn shell_word(word: &str) -> Cow<'_, str> {
    let safe = |c: char| c.is_ascii_alphanumeric() || "_-./:=@%+,".contains(c);
    if !word.is_empty() && word.chars().all(safe) {
        word.into()
    } else {
        format!("'{}'", word.replace('\'', r"'\''")).into()
    }
}

/// SQL on one line, without `--` comments, cut to `max` characters (ending in `...`), for
/// messages and summaries.
pub(crate) fn one_line(sql: &str, max: usize) -> String {
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

/// `; did you mean `x`?` when a candidate contains `name` (or the reverse) or is a few edits
/// away from it, else the three nearest candidates; empty without candidates. Appended to
/// "no such migration" messages.
pub(crate) fn suggest<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> String {
    let list: Vec<&str> = candidates.collect();
    if let Some(c) = list.iter().find(|c| c.contains(name) || name.contains(**c)) {
        return format!("; did you mean `{c}`?");
    }
    let mut near: Vec<(usize, &str)> = list
        .iter()
        .map(|c| (strsim::levenshtein(name, c), *c))
        .collect();
    near.sort();
    match near.first() {
        None => String::new(),
        Some(&(d, c)) if d <= (name.chars().count() / 5).max(2) => {
            format!("; did you mean `{c}`?")
        }
        Some(_) => {
            let nearest: Vec<&str> = near.iter().take(3).map(|&(_, c)| c).collect();
            format!("; nearest: {}", nearest.join(", "))
        }
    }
}

/// Parses a duration such as `10s`, `2m`, `500ms`, `1.5s` or `30` (seconds). Kept by hand:
/// humantime refuses fractions and bare seconds, which configurations already use.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(s.len());
    let (number, unit) = s.split_at(split);
    let n: f64 = number
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a duration: write e.g. 10s, 2m or 500ms"))?;
    let secs = match unit {
        "" | "s" => n,
        "ms" => n / 1000.0,
        "m" | "min" => n * 60.0,
        "h" => n * 3600.0,
        _ => return Err(format!("unknown unit `{unit}` in `{s}`: use ms, s, m or h")),
    };
    if !(0.0..=7.0 * 86_400.0).contains(&secs) {
        return Err(format!("`{s}` is out of range"));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// A duration the way [`parse_duration`] reads it back: `10s`, `500ms`, `2m`.
pub fn duration_text(d: Duration) -> String {
    let ms = d.as_millis();
    if ms.is_multiple_of(60_000) && ms > 0 {
        format!("{}m", ms / 60_000)
    } else if ms.is_multiple_of(1000) {
        format!("{}s", ms / 1000)
    } else {
        format!("{ms}ms")
    }
}

/// One GitHub Actions workflow command (`::error file=a.sql,line=3,title=x::message`): every
/// property and the message escaped as GitHub documents, so a service name or path holding a
/// newline, `::` or `,` cannot end the command and start another (`::add-mask::`, `::error`).
/// Every GitHub output goes through here.
pub(crate) fn github_command(
    command: &str,
    properties: &[(&str, String)],
    message: &str,
) -> String {
    let data = |s: &str| {
        s.replace('%', "%25")
            .replace('\r', "%0D")
            .replace('\n', "%0A")
    };
    let property = |s: &str| data(s).replace(':', "%3A").replace(',', "%2C");
    let properties: Vec<String> = properties
        .iter()
        .map(|(k, v)| format!("{k}={}", property(v)))
        .collect();
    let sep = if properties.is_empty() { "" } else { " " };
    format!(
        "::{command}{sep}{}::{}\n",
        properties.join(","),
        data(message)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_misspelt_name_is_suggested_by_its_edits() {
        let names = [
            "20250101000000_init",
            "20250102000000_add_users",
            "20250103000000_add_posts",
        ];
        assert_eq!(
            suggest("20250102000000_add_usres", names.into_iter()),
            "; did you mean `20250102000000_add_users`?"
        );
        assert_eq!(
            suggest("20240101000000_drop_everything", names.into_iter()),
            "; nearest: 20250102000000_add_users, 20250101000000_init, 20250103000000_add_posts"
        );
        assert_eq!(suggest("x", std::iter::empty()), "");
    }

    #[test]
    fn suggested_commands_quote_what_a_shell_would_split_or_run() {
        assert_eq!(shell_word("20250101000000_add_a"), "20250101000000_add_a");
        assert_eq!(shell_word("with space"), "'with space'");
        assert_eq!(shell_word("it's"), r"'it'\''s'");
        assert_eq!(shell_word("x; rm -rf ~"), "'x; rm -rf ~'");
        assert_eq!(shell_word("$(id)"), "'$(id)'");
        assert_eq!(shell_word(""), "''");
    }

    #[test]
    fn github_commands_cannot_be_broken_out_of() {
        let evil = "svc\n::add-mask::x,title=y:z%";
        let line = github_command("error", &[("title", evil.into())], evil);
        assert_eq!(
            line,
            "::error title=svc%0A%3A%3Aadd-mask%3A%3Ax%2Ctitle=y%3Az%25::svc%0A::add-mask::x,title=y:z%25\n"
        );
        assert_eq!(line.matches('\n').count(), 1);
        assert_eq!(
            github_command("notice", &[], "a\r\nb"),
            "::notice::a%0D%0Ab\n"
        );
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("30"), Ok(Duration::from_secs(30)));
        assert!(parse_duration("ten").is_err() && parse_duration("5y").is_err());
        for text in ["10s", "500ms", "2m", "10m"] {
            assert_eq!(duration_text(parse_duration(text).unwrap()), text);
        }
    }
}
