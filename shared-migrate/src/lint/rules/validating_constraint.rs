//! `validating-constraint`: adding a foreign key or CHECK constraint to an existing table
//! checks every row while holding a lock that blocks writes (for a foreign key, on both
//! tables). `NOT VALID` then `VALIDATE CONSTRAINT` splits this into two short steps.

use super::{ActionCx, Rule, Sink};
use crate::lint::RuleLevel;
use crate::sql::ActionKind;

pub(super) struct ValidatingConstraint;

impl Rule for ValidatingConstraint {
    fn name(&self) -> &'static str {
        "validating-constraint"
    }
    fn default_level(&self) -> RuleLevel {
        RuleLevel::Warning
    }
    fn about(&self) -> &'static str {
        "ADD FOREIGN KEY / CHECK on an existing table without NOT VALID (blocks writes while checking rows)"
    }
    fn check_action(&self, cx: &ActionCx, out: &mut Sink) {
        let (table, what) = match &cx.action.kind {
            ActionKind::AddForeignKey {
                table,
                foreign_key,
                not_valid: false,
            } => (
                table,
                format!("foreign key (referencing \"{}\")", foreign_key.references),
            ),
            ActionKind::AddCheck {
                table,
                not_valid: false,
                ..
            } => (table, "CHECK constraint".to_string()),
            _ => return,
        };
        if cx.existing(table) {
            cx.report(
                out,
                format!("adding a {what} to existing table \"{table}\" checks every row while blocking writes to it"),
                "add it with NOT VALID (new rows are checked at once), then ALTER TABLE ... VALIDATE CONSTRAINT in a later migration, which does not block writes",
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{STUDENTS, check};

    #[test]
    fn fires_on_prismas_relation_between_existing_tables() {
        insta::assert_snapshot!(check(&[
            STUDENTS,
            "ALTER TABLE \"courses\" ADD COLUMN \"ownerId\" TEXT;\nCREATE INDEX CONCURRENTLY \"courses_ownerId_idx\" ON \"courses\"(\"ownerId\");\n-- AddForeignKey\nALTER TABLE \"courses\" ADD CONSTRAINT \"courses_ownerId_fkey\" FOREIGN KEY (\"ownerId\") REFERENCES \"students\"(\"id\") ON DELETE SET NULL ON UPDATE CASCADE;\n"
        ]));
    }

    #[test]
    fn quiet_with_not_valid() {
        assert_eq!(
            check(&[
                STUDENTS,
                "ALTER TABLE \"courses\" ADD CONSTRAINT \"courses_title_check\" CHECK (length(\"title\") > 0) NOT VALID;\n"
            ]),
            ""
        );
    }
}
