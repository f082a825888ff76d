//! `migration-name`: folders are named `YYYYMMDDHHMMSS_<lower_snake_name>`, at most 200
//! characters (Prisma's limit).

use super::{MigrationCx, Place, Rule, Sink};
use crate::workspace::naming::{self, NameProblem};

pub(super) struct MigrationName;

impl Rule for MigrationName {
    fn name(&self) -> &'static str {
        "migration-name"
    }
    fn about(&self) -> &'static str {
        "folder name not `YYYYMMDDHHMMSS_lower_snake_name`, or longer than 200 characters"
    }
    fn check_migration(&self, cx: &MigrationCx, out: &mut Sink) {
        let name = &cx.migration.name;
        let problem = if name.len() > naming::MAX_NAME_LEN {
            Some(NameProblem::TooLong(name.len()))
        } else {
            match naming::split(name) {
                Err(NameProblem::NoTimestamp) => Some(NameProblem::NoTimestamp),
                Ok((_, description)) => naming::check_description(description, &[]).err(),
                // A bad timestamp is migration-timestamp's.
                Err(_) => {
                    naming::parts(name).and_then(|(_, d)| naming::check_description(d, &[]).err())
                }
            }
        };
        if let Some(problem) = problem {
            out.report(
                Place::Migration(cx.index),
                None,
                format!("migration `{name}`: {problem}"),
                "rename the folder before it is applied anywhere (`cargo xtask new` makes a correct name); once applied, a rename makes it a new migration",
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::test_support::check_with;

    fn check(name: &str) -> String {
        check_with(&Default::default(), &[(name, "SELECT 1;\n")], None, false)
    }

    #[test]
    fn fires_on_bad_names() {
        insta::assert_snapshot!(
            [
                check("add_students"),
                check("20250110120000_AddStudents"),
                check(&format!("20250110120000_{}", "add_".repeat(50))),
            ]
            .join("\n\n")
        );
    }

    #[test]
    fn quiet_on_good_names() {
        assert_eq!(check("20250110120000_add_student_grade_field"), "");
        assert_eq!(check("20250110120000_init"), "");
    }
}
