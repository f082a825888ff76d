//! The data model a schema describes: its models, fields, enums, relations and indexes, as
//! `resolve/` reads them from the syntax tree, and how a relation's two
//! sides pair up.

use super::ast::Arity;

/// A place in one of the schema files: which file, which byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Loc {
    pub file: usize,
    pub offset: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ScalarType {
    String,
    Boolean,
    Int,
    BigInt,
    Float,
    Decimal,
    DateTime,
    Json,
    Bytes,
}

impl ScalarType {
    pub(super) fn parse(name: &str) -> Option<ScalarType> {
        Some(match name {
            "String" => ScalarType::String,
            "Boolean" => ScalarType::Boolean,
            "Int" => ScalarType::Int,
            "BigInt" => ScalarType::BigInt,
            "Float" => ScalarType::Float,
            "Decimal" => ScalarType::Decimal,
            "DateTime" => ScalarType::DateTime,
            "Json" => ScalarType::Json,
            "Bytes" => ScalarType::Bytes,
            _ => return None,
        })
    }
}

/// What a field holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FieldKind {
    Scalar(ScalarType),
    /// An enum, by index into [`Datamodel::enums`].
    Enum(usize),
    /// A relation to a model, by index into [`Datamodel::models`].
    Relation(usize),
    /// `Unsupported("type")`
    Unsupported(String),
}

/// `@db.VarChar(200)`: the name and its arguments as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NativeTypeAttr {
    pub name: String,
    pub args: Vec<String>,
}

/// A literal default value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    String(String),
    Number(String),
    Boolean(bool),
    /// An enum value, by its database name.
    Enum(String),
    List(Vec<Value>),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum FieldDefault {
    Autoincrement,
    Now,
    /// `dbgenerated("expr")`, or `dbgenerated()` (no expression: never compared).
    DbGenerated(Option<String>),
    /// `uuid()`, `cuid()`, `nanoid()`, `ulid()`: made by the client, nothing in the database.
    Generated,
    Value(Value),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReferentialAction {
    Cascade,
    Restrict,
    NoAction,
    SetNull,
    SetDefault,
}

impl ReferentialAction {
    pub(super) fn parse(name: &str) -> Option<ReferentialAction> {
        Some(match name {
            "Cascade" => ReferentialAction::Cascade,
            "Restrict" => ReferentialAction::Restrict,
            "NoAction" => ReferentialAction::NoAction,
            "SetNull" => ReferentialAction::SetNull,
            "SetDefault" => ReferentialAction::SetDefault,
            _ => return None,
        })
    }
}

/// `@relation(...)` on a relation field.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct RelationArgs {
    pub name: Option<String>,
    /// ModelField names of this model (the foreign key's columns).
    pub fields: Vec<String>,
    /// ModelField names of the other model.
    pub references: Vec<String>,
    pub on_delete: Option<ReferentialAction>,
    pub on_update: Option<ReferentialAction>,
    pub map: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ModelField {
    pub name: String,
    /// `@map`, else the name.
    pub db_name: String,
    pub arity: Arity,
    pub kind: FieldKind,
    pub native: Option<NativeTypeAttr>,
    pub default: Option<FieldDefault>,
    pub updated_at: bool,
    pub relation: Option<RelationArgs>,
    pub at: Loc,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SortOrder {
    Asc,
    Desc,
}

/// A field in an index, id or unique, with its options.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct IndexField {
    /// The field's name in the model.
    pub field: String,
    pub sort: Option<SortOrder>,
    pub length: Option<u32>,
    /// `ops: raw("...")` or a named operator class.
    pub ops: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IndexKind {
    Unique,
    Normal,
    Fulltext,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ModelIndex {
    pub kind: IndexKind,
    pub fields: Vec<IndexField>,
    /// `map:`, the database name.
    pub map: Option<String>,
    /// `type:` (`BTree`, `Hash`, `Gin`, `Gist`, `SpGist`, `Brin`).
    pub algorithm: Option<String>,
    /// `where: raw("...")`: a partial index (Prisma 7.4's `partialIndexes` preview).
    pub predicate: Option<String>,
    pub at: Loc,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PrimaryKey {
    pub fields: Vec<IndexField>,
    pub map: Option<String>,
    pub at: Loc,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Model {
    pub name: String,
    /// `@@map`, else the name.
    pub db_name: String,
    /// `@@schema`, for multi-schema projects.
    pub schema: Option<String>,
    pub fields: Vec<ModelField>,
    pub primary_key: Option<PrimaryKey>,
    /// Unique constraints and indexes, in Prisma's order: field attributes first, in field
    /// order, then block attributes.
    pub indexes: Vec<ModelIndex>,
    /// A `view` block: Prisma Migrate does not manage views.
    pub is_view: bool,
    pub at: Loc,
}

impl Model {
    pub(crate) fn field(&self, name: &str) -> Option<&ModelField> {
        self.fields.iter().find(|f| f.name == name)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct EnumValue {
    pub name: String,
    /// `@map`, else the name.
    pub db_name: String,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Enum {
    pub name: String,
    pub db_name: String,
    pub schema: Option<String>,
    pub values: Vec<EnumValue>,
    pub at: Loc,
}

/// Everything the schema files declare.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Datamodel {
    pub models: Vec<Model>,
    pub enums: Vec<Enum>,
    /// The generators' `previewFeatures` (`partialIndexes` makes partial indexes Prisma's).
    pub preview_features: Vec<String>,
}

impl Datamodel {
    pub(crate) fn has_preview(&self, feature: &str) -> bool {
        self.preview_features.iter().any(|f| f == feature)
    }
}

/// The relation name of a relation field (`@relation("Name")`), if any.
pub(crate) fn relation_name(f: &ModelField) -> Option<&str> {
    f.relation.as_ref().and_then(|r| r.name.as_deref())
}

/// Whether Prisma's parser records the relation of `f` at `f` (prisma-engines 2ba551f3,
/// `ingest_relation`): relations are numbered in the order of the fields they are recorded at,
/// and those numbers order the foreign keys, their AddForeignKey steps and the join tables.
/// The side that holds `fields` (or the only side) records it; an implicit many-to-many, at the
/// model first by name (a self relation: the field first by name); a one-to-one with neither
/// side holding `fields`, at the first of model and field names.
pub(crate) fn records_relation(dm: &Datamodel, m: &Model, f: &ModelField) -> bool {
    let FieldKind::Relation(target) = f.kind else {
        return false;
    };
    let Some(o) = opposite(dm, m, f) else {
        return true;
    };
    let other = &dm.models[target];
    let first = || [m.name.as_str(), f.name.as_str()] <= [other.name.as_str(), o.name.as_str()];
    let has_fields = |x: &ModelField| x.relation.as_ref().is_some_and(|r| !r.fields.is_empty());
    match (f.arity, o.arity) {
        (Arity::List, Arity::List) => {
            m.name < other.name || (m.name == other.name && f.name <= o.name)
        }
        (Arity::List, _) => false,
        (Arity::Required, Arity::Optional) => true,
        (Arity::Required, Arity::Required) => first(),
        (Arity::Optional, Arity::Required) => false,
        (Arity::Optional, Arity::Optional) => has_fields(f) || (!has_fields(o) && first()),
        (_, Arity::List) => true,
    }
}

/// The other side of relation field `f` of model `m`: a relation field of the target model
/// pointing back with the same relation name (for a self relation, another field).
pub(crate) fn opposite<'d>(dm: &'d Datamodel, m: &Model, f: &ModelField) -> Option<&'d ModelField> {
    let FieldKind::Relation(target) = f.kind else {
        return None;
    };
    let me = dm.models.iter().position(|x| x.name == m.name)?;
    dm.models[target].fields.iter().find(|o| {
        o.kind == FieldKind::Relation(me)
            && relation_name(o) == relation_name(f)
            && !(target == me && o.name == f.name)
    })
}
