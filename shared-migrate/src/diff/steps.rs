//! What a difference between two schemas is made of: Prisma Migrate's steps (create, drop,
//! alter a table, an enum, an index, a foreign key...), as [`compare`](super::compare) finds
//! them and [`summary`](super::summary), [`script`](super::script) and
//! [`located`](super::located) tell them.

use super::model::*;

/// The steps from `previous` to `next`.
#[derive(Debug, Clone)]
pub(crate) struct SchemaDiff<'a> {
    pub previous: &'a SqlSchema,
    pub next: &'a SqlSchema,
    pub steps: Vec<DiffStep>,
}

impl SchemaDiff<'_> {
    pub(crate) fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }
}

/// A table, an index or a foreign key, by position: (table, item) in its schema.
pub(crate) type At = (usize, usize);

/// Prisma's migration steps; the order of the variants is the order of the steps.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum DiffStep {
    CreateSchema(String),
    /// An extension of `previous`.
    DropExtension(usize),
    /// An extension of `next`.
    CreateExtension(usize),
    AlterExtension {
        previous: usize,
        next: usize,
        version: bool,
        schema: bool,
    },
    CreateEnum(usize),
    AlterEnum(AlterEnum),
    DropForeignKey {
        id: usize,
        at: At,
    },
    DropIndex {
        id: usize,
        at: At,
    },
    AlterTable(AlterTable),
    DropTable(usize),
    DropEnum(usize),
    CreateTable(usize),
    CreateIndex {
        previous_table: Option<usize>,
        table: usize,
        id: usize,
        index: usize,
        recreated: bool,
    },
    RenameForeignKey {
        previous: At,
        next: At,
    },
    AddForeignKey {
        id: usize,
        at: At,
    },
    RenameIndex {
        previous: At,
        next: At,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct AlterEnum {
    pub previous: usize,
    pub next: usize,
    pub created: Vec<String>,
    pub dropped: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct AlterTable {
    pub previous: usize,
    pub next: usize,
    pub changes: Vec<TableChange>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum TableChange {
    /// A column of `next`.
    AddColumn(usize),
    AlterColumn {
        previous: usize,
        next: usize,
        changes: ColumnChanges,
    },
    /// A column of `previous`.
    DropColumn(usize),
    /// The type change cannot be cast: the column is dropped and added again.
    DropAndRecreateColumn {
        previous: usize,
        next: usize,
        changes: ColumnChanges,
    },
    DropPrimaryKey,
    AddPrimaryKey,
    RenamePrimaryKey,
}

/// How a type change can be made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum TypeChange {
    RiskyCast,
    SafeCast,
    NotCastable,
}

/// What differs in a column, in Prisma's order (arity, default, type, autoincrement).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct ColumnChanges {
    pub arity: bool,
    pub default: bool,
    pub ty: Option<TypeChange>,
    pub autoincrement: bool,
}

impl ColumnChanges {
    pub(crate) fn any(&self) -> bool {
        self.arity || self.default || self.ty.is_some() || self.autoincrement
    }
}
