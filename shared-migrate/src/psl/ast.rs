//! The syntax tree of a Prisma schema file, every node with the bytes it was read from, so
//! that later checks can point at file:line:col.

use std::ops::Range;

/// One `.prisma` file.
#[derive(Debug, Clone)]
pub struct SchemaFile {
    pub blocks: Vec<Block>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockKind {
    Datasource,
    Generator,
    Model,
    View,
    Enum,
    /// `type`: a composite type (MongoDB only; read so a schema that has one still parses).
    Type,
}

impl BlockKind {
    pub fn keyword(self) -> &'static str {
        match self {
            BlockKind::Datasource => "datasource",
            BlockKind::Generator => "generator",
            BlockKind::Model => "model",
            BlockKind::View => "view",
            BlockKind::Enum => "enum",
            BlockKind::Type => "type",
        }
    }
}

/// A name as written, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ident {
    pub name: String,
    pub span: Range<usize>,
}

/// `datasource db { ... }`, `model User { ... }`, ...
#[derive(Debug, Clone)]
pub struct Block {
    pub kind: BlockKind,
    pub name: Ident,
    /// `///` lines above the block.
    pub doc: Vec<String>,
    pub items: Vec<Item>,
    /// From the keyword to the closing brace.
    pub span: Range<usize>,
}

#[derive(Debug, Clone)]
pub enum Item {
    /// `key = value` in a datasource or generator.
    Property { key: Ident, value: Expr },
    /// A model, view or type field: `name Type? @attr(...)`.
    Field(Field),
    /// An enum value: `ADMIN @map("admin")`.
    EnumValue {
        name: Ident,
        attributes: Vec<Attribute>,
        doc: Vec<String>,
    },
    /// `@@id(...)`, `@@map(...)`, ...
    BlockAttribute(Attribute),
}

#[derive(Debug, Clone)]
pub struct Field {
    pub name: Ident,
    pub ty: FieldType,
    pub attributes: Vec<Attribute>,
    pub doc: Vec<String>,
    pub span: Range<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arity {
    Required,
    /// `?`
    Optional,
    /// `[]`
    List,
}

#[derive(Debug, Clone)]
pub struct FieldType {
    /// `String`, `User`, or `Unsupported`.
    pub name: Ident,
    /// The argument of `Unsupported("...")`.
    pub unsupported: Option<String>,
    pub arity: Arity,
}

/// `@id`, `@db.VarChar(200)`, `@@index([a, b(sort: Desc)], type: Gin)`.
#[derive(Debug, Clone)]
pub struct Attribute {
    /// Without the `@`/`@@`: `id`, `db.VarChar`, `index`.
    pub name: String,
    pub args: Vec<Arg>,
    pub span: Range<usize>,
}

impl Attribute {
    /// The argument named `name`, else (with `positional`) the first unnamed one.
    pub fn arg(&self, name: &str, positional: bool) -> Option<&Expr> {
        self.args
            .iter()
            .find(|a| a.name.as_ref().is_some_and(|n| n.name == name))
            .or_else(|| {
                positional
                    .then(|| self.args.iter().find(|a| a.name.is_none()))
                    .flatten()
            })
            .map(|a| &a.value)
    }
}

/// `value` or `name: value` inside parentheses.
#[derive(Debug, Clone)]
pub struct Arg {
    pub name: Option<Ident>,
    pub value: Expr,
}

#[derive(Debug, Clone)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Range<usize>,
}

#[derive(Debug, Clone)]
pub enum ExprKind {
    Str(String),
    Number(String),
    /// A constant or a reference: `true`, `Desc`, `Cascade`, `title`, `db.Text`.
    Path(String),
    /// `env("X")`, `now()`, `dbgenerated("...")`, `title(sort: Desc)`.
    Call {
        name: String,
        args: Vec<Arg>,
    },
    Array(Vec<Expr>),
}

impl Expr {
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            ExprKind::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_path(&self) -> Option<&str> {
        match &self.kind {
            ExprKind::Path(p) => Some(p),
            _ => None,
        }
    }

    /// The elements of an array, or the expression itself (Prisma accepts `fields: a` for
    /// `fields: [a]` in some places).
    pub fn elements(&self) -> Vec<&Expr> {
        match &self.kind {
            ExprKind::Array(items) => items.iter().collect(),
            _ => vec![self],
        }
    }

    /// How it reads in a message.
    pub fn describe(&self) -> &'static str {
        match self.kind {
            ExprKind::Str(_) => "a string",
            ExprKind::Number(_) => "a number",
            ExprKind::Path(_) => "a name",
            ExprKind::Call { .. } => "a function call",
            ExprKind::Array(_) => "a list",
        }
    }
}
