//! `vague-name`: a name made only of words that say nothing (`update`, `fix`, `changes`, ...;
//! the guide's bad examples, configurable with `vague_words` / `extra_vague_words`).

use super::{MigrationCx, Place, Rule, Sink};
use crate::workspace::naming::{self, NameProblem};

pub(super) struct VagueName;

impl Rule for VagueName {
    fn name(&self) -> &'static str {
        "vague-name"
    }
    fn about(&self) -> &'static str {
        "name made only of vague words (update, fix, changes, ...)"
    }
    fn check_migration(&self, cx: &MigrationCx, out: &mut Sink) {
        let name = &cx.migration.name;
        let Some(description) = name
            .get(15..)
            .filter(|_| name.as_bytes().get(14) == Some(&b'_'))
        else {
            return;
        };
        if let Err(problem @ NameProblem::Vague(_)) =
            naming::check_description(description, &cx.service.config.vague_words)
        {
            out.report(
                Place::Migration(cx.index),
                None,
                format!("migration `{name}`: {problem}"),
                "rename the folder after what it changes before it is applied anywhere; the words refused are [lint] vague_words in xtask.toml",
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::config::LintConfig;
    use crate::lint::rules::test_support::check_with;

    fn check(config: &LintConfig, name: &str) -> String {
        check_with(config, &[(name, "SELECT 1;\n")], None, false)
    }

    #[test]
    fn fires_on_the_guides_bad_names() {
        let c = LintConfig::default();
        insta::assert_snapshot!(
            [
                check(&c, "20250110120000_update"),
                check(&c, "20250110120000_fix"),
                check(&c, "20250110120000_changes"),
            ]
            .join("\n\n")
        );
    }

    #[test]
    fn quiet_on_the_guides_good_names_and_configurable() {
        let mut c = LintConfig::default();
        assert_eq!(check(&c, "20250110120000_add_student_grade_field"), "");
        c.vague_words.push("add".into());
        c.vague_words.push("grade".into());
        c.vague_words.push("student".into());
        c.vague_words.push("field".into());
        assert!(check(&c, "20250110120000_add_student_grade_field").contains("vague-name"));
    }
}
