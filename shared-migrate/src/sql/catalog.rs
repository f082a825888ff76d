//! The schema a service's migrations build, replayed action by action, so that a rule can ask
//! what existed before a statement: was this table created earlier (then an index on it blocks
//! writes), what type did this column have, which indexes cover these columns.

use std::collections::HashMap;
use std::ops::Range;

use super::analysis::{ActionKind, ForeignKey};

#[derive(Debug, Default, Clone)]
pub struct Catalog {
    pub tables: HashMap<String, Table>,
    /// Index name -> table, for DROP INDEX (index names are unique per schema).
    index_tables: HashMap<String, String>,
}

#[derive(Debug, Default, Clone)]
pub struct Table {
    /// Column name -> normalised type.
    pub columns: HashMap<String, String>,
    /// The migration (position in the service's history) that created the table; `None` for
    /// a table made outside the history.
    pub created_in: Option<usize>,
    /// Every index, unique or not, with its leading columns (keys included).
    pub indexes: Vec<Index>,
    pub foreign_keys: Vec<RecordedForeignKey>,
}

#[derive(Debug, Clone)]
pub struct Index {
    pub name: Option<String>,
    pub columns: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct RecordedForeignKey {
    pub foreign_key: ForeignKey,
    /// Where it was added: migration position and byte range in that file.
    pub migration: usize,
    pub range: Range<usize>,
}

impl Table {
    /// Whether an index lets PostgreSQL find the rows of `columns` quickly: its leading
    /// columns are exactly these, in any order.
    pub fn covers(&self, columns: &[String]) -> bool {
        self.indexes.iter().any(|index| {
            index.columns.len() >= columns.len()
                && columns
                    .iter()
                    .all(|c| index.columns[..columns.len()].contains(c))
        })
    }
}

impl Catalog {
    /// Whether `table` existed before migration `migration` (a table unknown to the history,
    /// made outside it, counts as existing).
    pub fn existed_before(&self, table: &str, migration: usize) -> bool {
        self.tables
            .get(table)
            .and_then(|t| t.created_in)
            .is_none_or(|created| created < migration)
    }

    pub fn column_type(&self, table: &str, column: &str) -> Option<&str> {
        self.tables
            .get(table)?
            .columns
            .get(column)
            .map(String::as_str)
    }

    /// Applies one action of migration `migration`.
    pub fn apply(&mut self, kind: &ActionKind, migration: usize, range: &Range<usize>) {
        match kind {
            ActionKind::CreateTable {
                table,
                columns,
                keys,
                foreign_keys,
            } => {
                let mut t = Table {
                    created_in: Some(migration),
                    columns: columns
                        .iter()
                        .map(|c| (c.name.clone(), c.ty.clone()))
                        .collect(),
                    ..Table::default()
                };
                for (name, cols) in keys {
                    t.indexes.push(Index {
                        name: name.clone(),
                        columns: cols.clone(),
                    });
                }
                for fk in foreign_keys {
                    t.foreign_keys.push(RecordedForeignKey {
                        foreign_key: fk.clone(),
                        migration,
                        range: fk.range.clone(),
                    });
                }
                self.tables.insert(table.clone(), t);
            }
            ActionKind::DropTable { table } => {
                self.tables.remove(table);
                self.index_tables.retain(|_, t| t != table);
            }
            ActionKind::RenameTable { from, to } => {
                if let Some(t) = self.tables.remove(from) {
                    self.tables.insert(to.clone(), t);
                }
                for t in self.index_tables.values_mut() {
                    if t == from {
                        t.clone_from(to);
                    }
                }
            }
            ActionKind::AddColumn { table, column } => {
                let t = self.table(table);
                t.columns.insert(column.name.clone(), column.ty.clone());
                if column.primary_key || column.unique {
                    t.indexes.push(Index {
                        name: None,
                        columns: vec![column.name.clone()],
                    });
                }
                if let Some(to) = &column.references {
                    t.foreign_keys.push(RecordedForeignKey {
                        foreign_key: ForeignKey {
                            name: None,
                            columns: vec![column.name.clone()],
                            references: to.clone(),
                            referenced: Vec::new(),
                            range: range.clone(),
                        },
                        migration,
                        range: range.clone(),
                    });
                }
            }
            ActionKind::DropColumn { table, column } => {
                let t = self.table(table);
                t.columns.remove(column);
                // PostgreSQL drops the indexes and constraints that use the column.
                t.indexes.retain(|i| !i.columns.contains(column));
                t.foreign_keys
                    .retain(|f| !f.foreign_key.columns.contains(column));
            }
            ActionKind::RenameColumn { table, from, to } => {
                let t = self.table(table);
                if let Some(ty) = t.columns.remove(from) {
                    t.columns.insert(to.clone(), ty);
                }
                let rename = |c: &mut String| {
                    if c == from {
                        c.clone_from(to)
                    }
                };
                t.indexes
                    .iter_mut()
                    .for_each(|i| i.columns.iter_mut().for_each(rename));
                t.foreign_keys
                    .iter_mut()
                    .for_each(|f| f.foreign_key.columns.iter_mut().for_each(rename));
            }
            ActionKind::SetType {
                table, column, ty, ..
            } => {
                self.table(table).columns.insert(column.clone(), ty.clone());
            }
            ActionKind::AddForeignKey {
                table, foreign_key, ..
            } => self.table(table).foreign_keys.push(RecordedForeignKey {
                foreign_key: foreign_key.clone(),
                migration,
                range: range.clone(),
            }),
            ActionKind::AddKey {
                table,
                name,
                columns,
                ..
            } => self.table(table).indexes.push(Index {
                name: name.clone(),
                columns: columns.clone(),
            }),
            ActionKind::DropConstraint { table, name } => {
                let t = self.table(table);
                t.foreign_keys
                    .retain(|f| f.foreign_key.name.as_deref() != Some(name));
                t.indexes.retain(|i| i.name.as_deref() != Some(name));
            }
            ActionKind::CreateIndex {
                table,
                name,
                columns,
                ..
            } => {
                if let Some(name) = name {
                    self.index_tables.insert(name.clone(), table.clone());
                }
                self.table(table).indexes.push(Index {
                    name: name.clone(),
                    columns: columns.clone(),
                });
            }
            ActionKind::DropIndex { names } => {
                for name in names {
                    if let Some(table) = self.index_tables.remove(name)
                        && let Some(t) = self.tables.get_mut(&table)
                    {
                        t.indexes.retain(|i| i.name.as_ref() != Some(name));
                    }
                }
            }
            ActionKind::SetNotNull { .. }
            | ActionKind::AddCheck { .. }
            | ActionKind::Update { .. }
            | ActionKind::Touch { .. }
            | ActionKind::AddEnumValue { .. }
            | ActionKind::CreateEnum { .. } => {}
        }
    }

    /// The table, created as "made outside the history" if unknown.
    fn table(&mut self, name: &str) -> &mut Table {
        self.tables.entry(name.to_string()).or_default()
    }
}
