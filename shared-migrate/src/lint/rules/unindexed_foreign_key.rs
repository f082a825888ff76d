//! `unindexed-foreign-key`: a foreign key whose columns no index leads with. Every delete or
//! key update of the referenced row then scans the referencing table, and joins are slow.
//! Prisma never creates this index (`@@index([...])` does). Judged on the final schema, so an
//! index added by a later migration counts.

use super::{Place, Rule, ServiceCx, Sink};
use crate::sql::Catalog;

pub(super) struct UnindexedForeignKey;

impl Rule for UnindexedForeignKey {
    fn name(&self) -> &'static str {
        "unindexed-foreign-key"
    }
    fn about(&self) -> &'static str {
        "a foreign key whose columns no index covers (the guide's missing indexes)"
    }
    fn check_service(&self, cx: &ServiceCx, catalog: &Catalog, out: &mut Sink) {
        let mut tables: Vec<_> = catalog.tables.iter().collect();
        tables.sort_by_key(|(name, _)| *name);
        for (name, table) in tables {
            for fk in &table.foreign_keys {
                let columns = &fk.foreign_key.columns;
                if columns.is_empty()
                    || table.covers(columns)
                    || !cx.migrations[fk.migration].in_scope
                {
                    continue;
                }
                let list = columns
                    .iter()
                    .map(|c| format!("\"{c}\""))
                    .collect::<Vec<_>>()
                    .join(", ");
                let fields = columns.join(", ");
                out.report(
                    Place::Migration(fk.migration),
                    Some(fk.range.clone()),
                    format!(
                        "no index covers foreign key \"{name}\"({list}): deleting or updating a \"{}\" row scans all of \"{name}\", and joins on it are slow",
                        fk.foreign_key.references
                    ),
                    &format!("add @@index([{fields}]) to the model, or CREATE INDEX ON \"{name}\"({list}) (CONCURRENTLY if the table has rows)"),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{STUDENTS, check};

    const ENROLLMENTS: &str = "-- CreateTable\nCREATE TABLE \"enrollments\" (\n    \"id\" TEXT NOT NULL,\n    \"studentId\" TEXT NOT NULL,\n    CONSTRAINT \"enrollments_pkey\" PRIMARY KEY (\"id\")\n);\n\n";
    const FK: &str = "-- AddForeignKey\nALTER TABLE \"enrollments\" ADD CONSTRAINT \"enrollments_studentId_fkey\" FOREIGN KEY (\"studentId\") REFERENCES \"students\"(\"id\") ON DELETE RESTRICT ON UPDATE CASCADE;\n";

    #[test]
    fn fires_on_prismas_relation_without_index() {
        insta::assert_snapshot!(check(&[STUDENTS, &format!("{ENROLLMENTS}{FK}")]));
    }

    #[test]
    fn quiet_with_prismas_index() {
        let index = "-- CreateIndex\nCREATE INDEX \"enrollments_studentId_idx\" ON \"enrollments\"(\"studentId\");\n\n";
        assert_eq!(check(&[STUDENTS, &format!("{ENROLLMENTS}{index}{FK}")]), "");
    }

    #[test]
    fn quiet_when_a_later_migration_adds_the_index_or_a_key_leads_with_the_columns() {
        let m = crate::lint::rules::test_support::check_with(
            &Default::default(),
            &[
                ("20250101000000_init", STUDENTS),
                (
                    "20250102000000_add_enrollments",
                    &format!("{ENROLLMENTS}{FK}"),
                ),
                (
                    "20250103000000_index_enrollment_student",
                    "CREATE INDEX CONCURRENTLY \"e_s\" ON \"enrollments\"(\"studentId\");\n",
                ),
            ],
            None,
            false,
        );
        assert_eq!(m, "");
        let composite = "CREATE TABLE \"m\" (\"a\" TEXT NOT NULL, \"b\" TEXT NOT NULL, CONSTRAINT \"m_pkey\" PRIMARY KEY (\"b\", \"a\"));\nALTER TABLE \"m\" ADD CONSTRAINT \"m_a_fkey\" FOREIGN KEY (\"b\") REFERENCES \"students\"(\"id\");\n";
        assert_eq!(check(&[STUDENTS, composite]), "");
    }
}
