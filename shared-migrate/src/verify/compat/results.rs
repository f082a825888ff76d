//! Which tests passed, read from what the test runner printed: TAP (`node --test` when its
//! output is not a terminal, tap, mocha's tap reporter), or a spec-style list (`✔ name`,
//! `✖ name`: node's spec reporter, jest, vitest). Neither found: only the suite's exit status
//! counts.

use std::collections::BTreeMap;

/// Each test's name (with its suites: `suite > test`) and whether it passed; empty when the
/// output names no test.
pub(super) fn parse(output: &str) -> BTreeMap<String, bool> {
    let tap = parse_tap(output);
    if !tap.is_empty() {
        return leaves(tap);
    }
    parse_spec(output)
}

fn parse_tap(output: &str) -> BTreeMap<String, bool> {
    let mut found = BTreeMap::new();
    // The suites enclosing the next result, by indentation (4 spaces a level, as node writes).
    let mut stack: Vec<String> = Vec::new();
    for line in output.lines() {
        let trimmed = line.trim_start();
        let depth = (line.len() - trimmed.len()) / 4;
        if let Some(name) = trimmed.strip_prefix("# Subtest: ") {
            stack.truncate(depth);
            stack.push(name.trim().to_string());
            continue;
        }
        let (passed, rest) = if let Some(r) = trimmed.strip_prefix("not ok ") {
            (false, r)
        } else if let Some(r) = trimmed.strip_prefix("ok ") {
            (true, r)
        } else {
            continue;
        };
        // `<n> - <name> # SKIP ...`
        let Some((number, after)) = rest.split_once(' ') else {
            continue;
        };
        if !number.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let (name, directive) = match after.split_once(" # ") {
            Some((n, d)) => (n, d.to_ascii_uppercase()),
            None => (after, String::new()),
        };
        let name = name.trim_start_matches("- ").trim();
        let skipped = directive.starts_with("SKIP") || directive.starts_with("TODO");
        stack.truncate(depth);
        let mut full: Vec<&str> = stack.iter().map(String::as_str).collect();
        full.push(name);
        found.insert(full.join(" > "), passed || skipped);
    }
    found
}

/// Drops the results of suites whose tests are listed (a suite fails when one of them does:
/// the test is what to name).
fn leaves(all: BTreeMap<String, bool>) -> BTreeMap<String, bool> {
    let names: Vec<String> = all.keys().cloned().collect();
    all.into_iter()
        .filter(|(name, _)| {
            let prefix = format!("{name} > ");
            !names.iter().any(|n| n.starts_with(&prefix))
        })
        .collect()
}

fn parse_spec(output: &str) -> BTreeMap<String, bool> {
    let mut found = BTreeMap::new();
    for line in output.lines() {
        let t = line.trim();
        let (passed, rest) = match t.chars().next() {
            Some('✔' | '✓' | '√') => (true, &t[t.chars().next().map_or(0, char::len_utf8)..]),
            Some('✖' | '✕' | '×' | '✗') => {
                (false, &t[t.chars().next().map_or(0, char::len_utf8)..])
            }
            _ => continue,
        };
        let mut name = rest.trim();
        // A trailing duration: `(1.2ms)`, `(12 ms)`.
        if let Some(open) = name.rfind(" (")
            && name.ends_with(')')
            && name[open + 2..name.len() - 1]
                .trim_end_matches("ms")
                .trim()
                .parse::<f64>()
                .is_ok()
        {
            name = &name[..open];
        }
        if name.is_empty() || name.starts_with("failing tests") {
            continue;
        }
        // A test listed again in the summary keeps its failure.
        let entry = found.entry(name.to_string()).or_insert(passed);
        *entry &= passed;
    }
    found
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn tap_from_node_names_each_test_with_its_suite() {
        let out = "TAP version 13\n# Subtest: passes\nok 1 - passes\n  ---\n  duration_ms: 1.6\n  ...\n\
                   # Subtest: fails\nnot ok 2 - fails\n  ---\n  error: '1 == 2'\n  ...\n\
                   # Subtest: group\n    # Subtest: inner ok\n    ok 1 - inner ok\n    # Subtest: inner bad\n    not ok 2 - inner bad\n    1..2\n\
                   not ok 3 - group\n# Subtest: later\nok 4 - later # SKIP not now\n1..4\n# pass 2\n";
        let found = parse(out);
        let list: Vec<String> = found.iter().map(|(k, v)| format!("{k}: {v}")).collect();
        assert_eq!(
            list,
            [
                "fails: false",
                "group > inner bad: false",
                "group > inner ok: true",
                "later: true",
                "passes: true"
            ]
        );
    }

    #[test]
    fn spec_lists_from_node_jest_and_vitest() {
        let out = "▶ students\n  ✔ email is unique (1.2ms)\n  ✖ the seed loaded (3.4ms)\n\
                   ✓ jest passes (5 ms)\n✕ jest fails (2 ms)\n× vitest fails\n\
                   ✖ failing tests:\n✖ the seed loaded (3.4ms)\n";
        let found = parse(out);
        assert_eq!(found.get("email is unique"), Some(&true));
        assert_eq!(found.get("the seed loaded"), Some(&false));
        assert_eq!(found.get("jest passes"), Some(&true));
        assert_eq!(found.get("jest fails"), Some(&false));
        assert_eq!(found.get("vitest fails"), Some(&false));
        assert_eq!(found.len(), 5);
        assert!(parse("all good\n").is_empty());
    }
}
