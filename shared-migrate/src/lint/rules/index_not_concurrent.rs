//! `index-not-concurrent`: building an index on an existing table without CONCURRENTLY blocks
//! every write to the table until the build ends. Prisma never writes CONCURRENTLY.

use super::{ActionCx, Rule, Sink};
use crate::sql::ActionKind;

pub(super) struct IndexNotConcurrent;

impl Rule for IndexNotConcurrent {
    fn name(&self) -> &'static str {
        "index-not-concurrent"
    }
    fn about(&self) -> &'static str {
        "CREATE INDEX, or ADD PRIMARY KEY/UNIQUE, on an existing table without CONCURRENTLY (blocks writes)"
    }
    fn check_action(&self, cx: &ActionCx, out: &mut Sink) {
        match &cx.action.kind {
            ActionKind::CreateIndex {
                table,
                concurrently: false,
                ..
            } if cx.existing(table) => cx.report(
                out,
                format!("building an index on existing table \"{table}\" without CONCURRENTLY blocks writes to it until the build ends"),
                "write CREATE INDEX CONCURRENTLY (edit the generated migration: `prisma migrate dev --create-only`); `cargo xtask migrate` runs such a file statement by statement, outside a transaction, so keep other changes in their own migration",
            ),
            ActionKind::AddKey {
                table,
                using_index: false,
                ..
            } if cx.existing(table) => cx.report(
                out,
                format!("adding a primary key or unique constraint to existing table \"{table}\" builds its index while blocking writes"),
                "build the index first with CREATE UNIQUE INDEX CONCURRENTLY, then ADD CONSTRAINT ... PRIMARY KEY/UNIQUE USING INDEX <index>",
            ),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{STUDENTS, check};

    #[test]
    fn fires_on_prismas_index_on_an_existing_table() {
        insta::assert_snapshot!(check(&[
            STUDENTS,
            "-- CreateIndex\nCREATE UNIQUE INDEX \"students_email_key\" ON \"students\"(\"email\");\n"
        ]));
    }

    #[test]
    fn quiet_with_concurrently_or_on_a_new_table() {
        assert_eq!(
            check(&[
                STUDENTS,
                "CREATE UNIQUE INDEX CONCURRENTLY \"students_email_key\" ON \"students\"(\"email\");\n"
            ]),
            ""
        );
        assert_eq!(
            check(&[
                "CREATE TABLE \"t\" (\"id\" TEXT NOT NULL, CONSTRAINT \"t_pkey\" PRIMARY KEY (\"id\"));\nCREATE INDEX \"t_id_idx\" ON \"t\"(\"id\");\n"
            ]),
            ""
        );
    }
}
