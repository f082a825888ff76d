//! The Prisma schema language, read without Node: `schema.prisma` (or the `.prisma` files of a
//! multi-file schema folder) into a syntax tree with positions ([`lexer`] → [`parser`] →
//! [`ast`]), the datasource block in it ([`datasource`]), and the data model it describes
//! ([`model`]: models, fields, relations, indexes), resolved and checked by `resolve/`. Pure:
//! the caller reads the files.

pub(crate) mod ast;
mod datasource;
mod lexer;
pub(crate) mod model;
mod parser;
mod resolve;

use std::path::{Path, PathBuf};

pub(crate) use ast::{Arity, BlockKind};
pub(crate) use datasource::{Setting, SettingValue, datasource};
pub(crate) use model::{
    Datamodel, FieldDefault, FieldKind, IndexField, IndexKind, Loc, Model, ModelField,
    NativeTypeAttr, ReferentialAction, ScalarType, SortOrder, Value,
};
pub(crate) use parser::SchemaSyntaxError;
pub(crate) use resolve::datamodel;

use crate::error::{Error, Location, snippet};

/// One schema file, parsed.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub path: PathBuf,
    pub text: String,
    pub ast: ast::SchemaFile,
    /// Blocks that did not parse (skipped in `ast`).
    pub errors: Vec<SchemaSyntaxError>,
    /// The offset each line starts at: every field's origin is located, so each lookup is a
    /// binary search rather than a scan from the start.
    line_starts: Vec<usize>,
}

impl SourceFile {
    pub fn parse(path: &Path, text: String) -> SourceFile {
        let (ast, errors) = parser::parse(&text);
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        SourceFile {
            path: path.to_path_buf(),
            text,
            ast,
            errors,
            line_starts,
        }
    }

    /// `file:line:col` of a byte offset (columns count characters, as [`Location::of_offset`]).
    pub fn location(&self, offset: usize) -> Location {
        let offset = offset.min(self.text.len());
        let line = self.line_starts.partition_point(|&s| s <= offset);
        let start = self.line_starts[line - 1];
        let column = String::from_utf8_lossy(&self.text.as_bytes()[start..offset])
            .chars()
            .count()
            + 1;
        Location {
            path: self.path.clone(),
            line,
            column,
        }
    }

    /// An error at `offset`, with the line and a caret under it.
    pub fn error_at(&self, offset: usize, message: impl Into<String>) -> Error {
        let at = self.location(offset);
        Error::Schema {
            snippet: snippet(&self.text, &at),
            at,
            message: message.into(),
        }
    }

    /// The first syntax error, if any, as an [`Error`].
    pub fn first_error(&self) -> Option<Error> {
        self.errors
            .first()
            .map(|e| self.error_at(e.offset, e.message.clone()))
    }
}

#[cfg(test)]
mod location_tests {
    use super::*;

    #[test]
    fn a_location_is_the_same_as_scanning_from_the_start() {
        let text = "model A {\n  id Int @id\n}\n\nmodel Bé {\n  ñame String\n}";
        let file = SourceFile::parse(Path::new("s.prisma"), text.to_string());
        for offset in 0..=text.len() {
            if !text.is_char_boundary(offset) {
                continue;
            }
            assert_eq!(
                file.location(offset),
                Location::of_offset(Path::new("s.prisma"), text.as_bytes(), offset),
                "at {offset}"
            );
        }
    }
}
