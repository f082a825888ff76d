//! The Prisma schema language, read without Node: `schema.prisma` (or the `.prisma` files of a
//! multi-file schema folder) into a syntax tree with positions ([`lexer`] → [`parser`] →
//! [`ast`]), the datasource block in it ([`datasource`]), and the data model it describes
//! ([`model`]: models, fields, relations, indexes, checked). Pure: the caller reads the files.

pub mod ast;
mod datasource;
mod lexer;
pub mod model;
mod parser;

use std::path::{Path, PathBuf};

pub use ast::{Arity, Attribute, Block, BlockKind, Expr, ExprKind, Field, FieldType, Item};
pub use datasource::{DatasourceBlock, Setting, SettingValue, datasource};
pub use model::{
    Datamodel, FieldDefault, FieldKind, IndexField, IndexKind, Loc, Model, ModelField, ModelIndex,
    NativeTypeAttr, ReferentialAction, ScalarType, SortOrder, Value, datamodel,
};
pub use parser::SchemaSyntaxError;

use crate::error::{Error, Location, snippet};

/// One schema file, parsed.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub path: PathBuf,
    pub text: String,
    pub ast: ast::SchemaFile,
    /// Blocks that did not parse (skipped in `ast`).
    pub errors: Vec<SchemaSyntaxError>,
}

impl SourceFile {
    pub fn parse(path: &Path, text: String) -> SourceFile {
        let (ast, errors) = parser::parse(&text);
        SourceFile {
            path: path.to_path_buf(),
            text,
            ast,
            errors,
        }
    }

    /// `file:line:col` of a byte offset.
    pub fn location(&self, offset: usize) -> Location {
        Location::of_offset(&self.path, self.text.as_bytes(), offset)
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
