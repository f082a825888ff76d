//! The data-loss warnings of a migration file's `/* Warnings: ... */` header, as Prisma words
//! them when it cannot count rows (a column dropped, a type changed, a required column added
//! without a default, an enum value removed...).

use super::model::*;
use super::steps::{DiffStep, SchemaDiff, TableChange, TypeChange};

/// Prisma's warnings for the migration file, when it cannot count rows: data-loss warnings
/// first, then steps that fail on a non-empty table.
pub(crate) fn warnings(m: &SchemaDiff) -> Vec<String> {
    let (prev, next) = (m.previous, m.next);
    let mut warn = Vec::new();
    let mut unexecutable = Vec::new();
    for step in &m.steps {
        match step {
            DiffStep::AlterTable(a) => {
                let (pt, nt) = (&prev.tables[a.previous], &next.tables[a.next]);
                for change in &a.changes {
                    match change {
                        TableChange::DropColumn(c) => warn.push(format!(
                            "You are about to drop the column `{}` on the `{}` table. All the data in the column will be lost.",
                            pt.columns[*c].name, pt.name
                        )),
                        TableChange::AddColumn(c) => {
                            let col = &nt.columns[*c];
                            if col.arity == ColumnArity::Required && col.default.is_none() && !col.autoincrement {
                                unexecutable.push(required_without_default(&col.name, &nt.name));
                            }
                        }
                        TableChange::AlterColumn {
                            previous,
                            next: x,
                            changes,
                        } => {
                            let (pc, nc) = (&pt.columns[*previous], &nt.columns[*x]);
                            if changes.arity
                                && pc.arity == ColumnArity::Nullable
                                && nc.arity == ColumnArity::Required
                            {
                                unexecutable.push(format!(
                                    "Made the column `{}` on table `{}` required. This step will fail if there are existing NULL values in that column.",
                                    pc.name, pt.name
                                ));
                            }
                            if changes.arity && pc.arity != ColumnArity::List && nc.arity == ColumnArity::List {
                                unexecutable.push(format!(
                                    "Changed the column `{}` on the `{}` table from a scalar field to a list field. If there are non-null values in that column, this step will fail.",
                                    pc.name, pt.name
                                ));
                            }
                            match changes.ty {
                                Some(TypeChange::RiskyCast) => warn.push(format!(
                                    "You are about to alter the column `{}` on the `{}` table. The data in that column could be lost. The data in that column will be cast from `{}` to `{}`.",
                                    pc.name, pt.name, type_text(pc), type_text(nc)
                                )),
                                Some(TypeChange::NotCastable) => warn.push(format!(
                                    "You are about to alter the column `{}` on the `{}` table. The data in that column will be cast from `{}` to `{}`. This cast may fail. Please make sure the data in the column can be cast.",
                                    pc.name, pt.name, type_text(pc), type_text(nc)
                                )),
                                _ => {}
                            }
                        }
                        TableChange::DropPrimaryKey => warn.push(format!(
                            "The primary key for the `{}` table will be changed. If it partially fails, the table could be left without primary key constraint.",
                            pt.name
                        )),
                        TableChange::DropAndRecreateColumn {
                            previous,
                            next: x,
                            changes,
                        } => {
                            let (pc, nc) = (&pt.columns[*previous], &nt.columns[*x]);
                            if changes.arity
                                && pc.arity == ColumnArity::Nullable
                                && nc.arity == ColumnArity::Required
                                && nc.default.is_none()
                            {
                                unexecutable.push(required_without_default(&pc.name, &pt.name));
                            } else if nc.arity == ColumnArity::Required && nc.default.is_none() {
                                unexecutable.push(format!(
                                    "Changed the type of `{}` on the `{}` table. No cast exists, the column would be dropped and recreated, which cannot be done if there is data, since the column is required.",
                                    pc.name, pt.name
                                ));
                            } else {
                                warn.push(format!(
                                    "The `{}` column on the `{}` table would be dropped and recreated. This will lead to data loss if there is data in the column.",
                                    pc.name, pt.name
                                ));
                            }
                        }
                        TableChange::AddPrimaryKey | TableChange::RenamePrimaryKey => {}
                    }
                }
            }
            DiffStep::DropTable(t) => warn.push(format!(
                "You are about to drop the `{}` table. If the table is not empty, all the data it contains will be lost.",
                prev.tables[*t].name
            )),
            DiffStep::CreateIndex {
                previous_table: Some(_),
                table,
                index,
                recreated: false,
                ..
            } => {
                let t = &next.tables[*table];
                let ix = &t.indexes[*index];
                if ix.unique {
                    let cols: Vec<&str> = ix.columns.iter().map(|c| c.name.as_str()).collect();
                    warn.push(format!(
                        "A unique constraint covering the columns `[{}]` on the table `{}` will be added. If there are existing duplicate values, this will fail.",
                        cols.join(","),
                        t.name
                    ));
                }
            }
            DiffStep::AlterEnum(a) if !a.dropped.is_empty() => warn.push(format!(
                "The values [{}] on the enum `{}` will be removed. If these variants are still used in the database, this will fail.",
                a.dropped.join(","),
                next.enums[a.next].name
            )),
            _ => {}
        }
    }
    warn.extend(unexecutable);
    warn
}

/// A column type as Prisma names it in warnings: `DoublePrecision`, `Decimal(18,8)`.
fn type_text(c: &Column) -> String {
    match &c.ty {
        ColumnType::Native(t) => t.to_string(),
        ColumnType::Enum { name, .. } => name.clone(),
        ColumnType::Unsupported(u) => u.clone(),
    }
}

/// Prisma's warning for a required column that existing rows cannot fill.
fn required_without_default(column: &str, table: &str) -> String {
    format!(
        "Added the required column `{column}` to the `{table}` table without a default value. This is not possible if the table is not empty."
    )
}
