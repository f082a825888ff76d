//! The data model a schema describes: its models, fields, enums, relations and indexes,
//! resolved and checked from the syntax tree of every schema file. Reference errors (an unknown
//! type, a relation without its other side, an index on a field that does not exist) are
//! reported at their file:line:col, like a syntax error.

use super::SourceFile;
use super::ast::{self, Arity, Attribute, BlockKind, Expr, ExprKind, Item};
use crate::error::Error;

/// A place in one of the schema files: which file, which byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Loc {
    pub file: usize,
    pub offset: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScalarType {
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
    fn parse(name: &str) -> Option<ScalarType> {
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
pub enum FieldKind {
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
pub struct NativeTypeAttr {
    pub name: String,
    pub args: Vec<String>,
}

/// A literal default value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    String(String),
    Number(String),
    Boolean(bool),
    /// An enum value, by its database name.
    Enum(String),
    List(Vec<Value>),
}

#[derive(Debug, Clone, PartialEq)]
pub enum FieldDefault {
    Autoincrement,
    Now,
    /// `dbgenerated("expr")`, or `dbgenerated()` (no expression: never compared).
    DbGenerated(Option<String>),
    /// `uuid()`, `cuid()`, `nanoid()`, `ulid()`: made by the client, nothing in the database.
    Generated,
    Value(Value),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReferentialAction {
    Cascade,
    Restrict,
    NoAction,
    SetNull,
    SetDefault,
}

impl ReferentialAction {
    fn parse(name: &str) -> Option<ReferentialAction> {
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
pub struct RelationArgs {
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
pub struct ModelField {
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
pub enum SortOrder {
    Asc,
    Desc,
}

/// A field in an index, id or unique, with its options.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexField {
    /// The field's name in the model.
    pub field: String,
    pub sort: Option<SortOrder>,
    pub length: Option<u32>,
    /// `ops: raw("...")` or a named operator class.
    pub ops: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndexKind {
    Unique,
    Normal,
    Fulltext,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ModelIndex {
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
pub struct PrimaryKey {
    pub fields: Vec<IndexField>,
    pub map: Option<String>,
    pub at: Loc,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Model {
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
    pub fn field(&self, name: &str) -> Option<&ModelField> {
        self.fields.iter().find(|f| f.name == name)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct EnumValue {
    pub name: String,
    /// `@map`, else the name.
    pub db_name: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Enum {
    pub name: String,
    pub db_name: String,
    pub schema: Option<String>,
    pub values: Vec<EnumValue>,
    pub at: Loc,
}

/// Everything the schema files declare.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Datamodel {
    pub models: Vec<Model>,
    pub enums: Vec<Enum>,
    /// The generators' `previewFeatures` (`partialIndexes` makes partial indexes Prisma's).
    pub preview_features: Vec<String>,
}

impl Datamodel {
    pub fn has_preview(&self, feature: &str) -> bool {
        self.preview_features.iter().any(|f| f == feature)
    }
}

/// Reads the data model of `files`; the first syntax or reference error is returned, located.
pub fn datamodel(files: &[SourceFile]) -> Result<Datamodel, Error> {
    for f in files {
        if let Some(e) = f.first_error() {
            return Err(e);
        }
    }
    let err = |loc: Loc, message: String| files[loc.file].error_at(loc.offset, message);
    // The datasource's name prefixes native types (`@db.VarChar`).
    let ds_name = files
        .iter()
        .flat_map(|f| f.ast.blocks.iter())
        .find(|b| b.kind == BlockKind::Datasource)
        .map_or("db".to_string(), |b| b.name.name.clone());
    // Names first, so that fields can refer to blocks declared later (or in other files).
    let mut model_blocks = Vec::new();
    let mut enum_blocks = Vec::new();
    let mut names: Vec<(String, Loc)> = Vec::new();
    for (i, f) in files.iter().enumerate() {
        for b in &f.ast.blocks {
            let loc = Loc {
                file: i,
                offset: b.name.span.start,
            };
            match b.kind {
                BlockKind::Model | BlockKind::View | BlockKind::Enum | BlockKind::Type => {
                    if let Some((_, first)) = names.iter().find(|(n, _)| *n == b.name.name) {
                        return Err(err(
                            loc,
                            format!(
                                "`{}` is declared twice (first at {}): rename one of them",
                                b.name.name,
                                files[first.file].location(first.offset)
                            ),
                        ));
                    }
                    names.push((b.name.name.clone(), loc));
                }
                _ => {}
            }
            match b.kind {
                BlockKind::Model | BlockKind::View => model_blocks.push((i, b)),
                BlockKind::Enum => enum_blocks.push((i, b)),
                BlockKind::Type => {
                    return Err(err(
                        Loc {
                            file: i,
                            offset: b.span.start,
                        },
                        "composite types (`type`) are only supported on MongoDB, not on PostgreSQL"
                            .into(),
                    ));
                }
                _ => {}
            }
        }
    }
    let mut dm = Datamodel::default();
    for b in files.iter().flat_map(|f| f.ast.blocks.iter()) {
        if b.kind != BlockKind::Generator {
            continue;
        }
        for item in &b.items {
            if let Item::Property { key, value } = item
                && key.name == "previewFeatures"
            {
                for e in value.elements() {
                    if let Some(name) = e.as_str()
                        && !dm.preview_features.iter().any(|f| f == name)
                    {
                        dm.preview_features.push(name.to_string());
                    }
                }
            }
        }
    }
    for (file, b) in &enum_blocks {
        dm.enums.push(read_enum(*file, b, &err)?);
    }
    let model_names: Vec<&str> = model_blocks
        .iter()
        .map(|(_, b)| b.name.name.as_str())
        .collect();
    for (file, b) in &model_blocks {
        let model = read_model(*file, b, &model_names, &dm.enums, &ds_name, &err)?;
        dm.models.push(model);
    }
    check_references(&dm, &err)?;
    // Prisma refuses `where:` without the preview feature; so do we, rather than guess.
    if !dm.has_preview("partialIndexes")
        && let Some(ix) = dm
            .models
            .iter()
            .flat_map(|m| &m.indexes)
            .find(|ix| ix.predicate.is_some())
    {
        return Err(err(
            ix.at,
            "a partial index (`where:`) needs Prisma 7.4+ and `previewFeatures = [\"partialIndexes\"]` \
             in the generator block"
                .into(),
        ));
    }
    Ok(dm)
}

type ErrFn<'a> = dyn Fn(Loc, String) -> Error + 'a;

fn loc(file: usize, span: &std::ops::Range<usize>) -> Loc {
    Loc {
        file,
        offset: span.start,
    }
}

fn read_enum(file: usize, b: &ast::Block, err: &ErrFn) -> Result<Enum, Error> {
    let mut e = Enum {
        name: b.name.name.clone(),
        db_name: b.name.name.clone(),
        schema: None,
        values: Vec::new(),
        at: loc(file, &b.name.span),
    };
    for item in &b.items {
        match item {
            Item::EnumValue {
                name, attributes, ..
            } => {
                let mut db_name = name.name.clone();
                for a in attributes {
                    if a.name == "map" {
                        db_name = string_arg(file, a, "name", err)?;
                    }
                }
                e.values.push(EnumValue {
                    name: name.name.clone(),
                    db_name,
                });
            }
            Item::BlockAttribute(a) => match a.name.as_str() {
                "map" => e.db_name = string_arg(file, a, "name", err)?,
                "schema" => e.schema = Some(string_arg(file, a, "name", err)?),
                _ => {}
            },
            _ => {}
        }
    }
    if e.values.is_empty() {
        return Err(err(
            e.at,
            format!(
                "the enum `{}` has no values: an enum needs at least one",
                e.name
            ),
        ));
    }
    Ok(e)
}

/// The string argument of an attribute (`@map("x")`, `@@schema("x")`).
fn string_arg(file: usize, a: &Attribute, name: &str, err: &ErrFn) -> Result<String, Error> {
    match a.arg(name, true) {
        Some(e) => e.as_str().map(str::to_string).ok_or_else(|| {
            err(
                loc(file, &e.span),
                format!("@{} takes a string, found {}", a.name, e.describe()),
            )
        }),
        None => Err(err(
            loc(file, &a.span),
            format!("@{} needs a string argument", a.name),
        )),
    }
}

fn read_model(
    file: usize,
    b: &ast::Block,
    model_names: &[&str],
    enums: &[Enum],
    ds_name: &str,
    err: &ErrFn,
) -> Result<Model, Error> {
    let mut m = Model {
        name: b.name.name.clone(),
        db_name: b.name.name.clone(),
        schema: None,
        fields: Vec::new(),
        primary_key: None,
        indexes: Vec::new(),
        is_view: b.kind == BlockKind::View,
        at: loc(file, &b.name.span),
    };
    let mut block_attrs = Vec::new();
    for item in &b.items {
        match item {
            Item::Field(f) => {
                if m.fields.iter().any(|x| x.name == f.name.name) {
                    return Err(err(
                        loc(file, &f.name.span),
                        format!(
                            "the field `{}` is declared twice in {} `{}`",
                            f.name.name,
                            b.kind.keyword(),
                            m.name
                        ),
                    ));
                }
                let (field, attrs) = read_field(file, f, model_names, enums, ds_name, err)?;
                for a in attrs {
                    let one = |sort, length| IndexField {
                        field: field.name.clone(),
                        sort,
                        length,
                        ops: None,
                    };
                    match a.name.as_str() {
                        "id" => {
                            m.primary_key = Some(PrimaryKey {
                                fields: vec![one(sort_arg(file, a, err)?, length_arg(a))],
                                map: opt_string(file, a, "map", err)?,
                                at: loc(file, &a.span),
                            })
                        }
                        "unique" => m.indexes.push(ModelIndex {
                            kind: IndexKind::Unique,
                            fields: vec![one(sort_arg(file, a, err)?, length_arg(a))],
                            map: opt_string(file, a, "map", err)?,
                            algorithm: None,
                            predicate: where_arg(file, a, err)?,
                            at: loc(file, &a.span),
                        }),
                        _ => {}
                    }
                }
                m.fields.push(field);
            }
            Item::BlockAttribute(a) => block_attrs.push(a),
            _ => {}
        }
    }
    let fields_unique = m.indexes.len();
    for a in block_attrs {
        let at = loc(file, &a.span);
        match a.name.as_str() {
            "map" => m.db_name = string_arg(file, a, "name", err)?,
            "schema" => m.schema = Some(string_arg(file, a, "name", err)?),
            "id" => {
                if m.primary_key.is_some() {
                    return Err(err(
                        at,
                        format!("the model `{}` has both @id and @@id: keep one", m.name),
                    ));
                }
                m.primary_key = Some(PrimaryKey {
                    fields: index_fields(file, a, err)?,
                    map: opt_string(file, a, "map", err)?,
                    at,
                });
            }
            "unique" | "index" | "fulltext" => {
                let kind = match a.name.as_str() {
                    "unique" => IndexKind::Unique,
                    "index" => IndexKind::Normal,
                    _ => IndexKind::Fulltext,
                };
                // `name` is the client's name for @@unique; on @@index it was the database
                // name before `map` existed.
                let map = match opt_string(file, a, "map", err)? {
                    Some(m) => Some(m),
                    None if kind != IndexKind::Unique => opt_string(file, a, "name", err)?,
                    None => None,
                };
                m.indexes.push(ModelIndex {
                    kind,
                    fields: index_fields(file, a, err)?,
                    map,
                    algorithm: a
                        .arg("type", false)
                        .and_then(|e| e.as_path())
                        .map(str::to_string),
                    predicate: where_arg(file, a, err)?,
                    at,
                });
            }
            _ => {}
        }
    }
    // Prisma's parser reads a model's attributes kind by kind: the fields' @unique, then every
    // @@index, then every @@unique, then @@fulltext (prisma-engines 2ba551f3,
    // `resolve_model_attributes`); that order numbers the indexes, and the numbers order the
    // CreateIndex steps of a migration.
    m.indexes[fields_unique..].sort_by_key(|ix| match ix.kind {
        IndexKind::Normal => 0,
        IndexKind::Unique => 1,
        IndexKind::Fulltext => 2,
    });
    Ok(m)
}

fn opt_string(
    file: usize,
    a: &Attribute,
    name: &str,
    err: &ErrFn,
) -> Result<Option<String>, Error> {
    match a.arg(name, false) {
        None => Ok(None),
        Some(e) => e.as_str().map(|s| Some(s.to_string())).ok_or_else(|| {
            err(
                loc(file, &e.span),
                format!("`{name}` takes a string, found {}", e.describe()),
            )
        }),
    }
}

/// `where: raw("deleted_at IS NULL")`: the condition of a partial index, as written.
fn where_arg(file: usize, a: &Attribute, err: &ErrFn) -> Result<Option<String>, Error> {
    let Some(e) = a.arg("where", false) else {
        return Ok(None);
    };
    match &e.kind {
        ExprKind::Call { name, args } if name == "raw" => {
            match args.first().and_then(|a| a.value.as_str()) {
                Some(text) if !text.trim().is_empty() => Ok(Some(text.to_string())),
                _ => Err(err(
                    loc(file, &e.span),
                    "`where: raw(...)` takes the condition as a string: \
                     where: raw(\"\\\"deletedAt\\\" IS NULL\")"
                        .into(),
                )),
            }
        }
        _ => Err(err(
            loc(file, &e.span),
            format!(
                "`where` takes the condition as raw SQL, found {}: write it as \
                 where: raw(\"\\\"deletedAt\\\" IS NULL\") (the object form is not read by this tool)",
                e.describe()
            ),
        )),
    }
}

fn sort_arg(file: usize, a: &Attribute, err: &ErrFn) -> Result<Option<SortOrder>, Error> {
    match a.arg("sort", false) {
        None => Ok(None),
        Some(e) => sort_of(file, e, err).map(Some),
    }
}

fn sort_of(file: usize, e: &Expr, err: &ErrFn) -> Result<SortOrder, Error> {
    match e.as_path() {
        Some("Asc") => Ok(SortOrder::Asc),
        Some("Desc") => Ok(SortOrder::Desc),
        _ => Err(err(loc(file, &e.span), "`sort` is `Asc` or `Desc`".into())),
    }
}

fn length_arg(a: &Attribute) -> Option<u32> {
    a.arg("length", false).and_then(|e| match &e.kind {
        ExprKind::Number(n) => n.parse().ok(),
        _ => None,
    })
}

/// `[a, b(sort: Desc), c(ops: raw("gin_trgm_ops"))]` of `@@id`, `@@unique`, `@@index`.
fn index_fields(file: usize, a: &Attribute, err: &ErrFn) -> Result<Vec<IndexField>, Error> {
    let Some(list) = a.arg("fields", true) else {
        return Err(err(
            loc(file, &a.span),
            format!("@@{} needs a list of fields: @@{}([a, b])", a.name, a.name),
        ));
    };
    let mut out = Vec::new();
    for e in list.elements() {
        let f = match &e.kind {
            ExprKind::Path(name) => IndexField {
                field: name.clone(),
                sort: None,
                length: None,
                ops: None,
            },
            ExprKind::Call { name, args } => {
                let mut f = IndexField {
                    field: name.clone(),
                    sort: None,
                    length: None,
                    ops: None,
                };
                for arg in args {
                    match arg.name.as_ref().map(|n| n.name.as_str()) {
                        Some("sort") => f.sort = Some(sort_of(file, &arg.value, err)?),
                        Some("length") => {
                            if let ExprKind::Number(n) = &arg.value.kind {
                                f.length = n.parse().ok();
                            }
                        }
                        Some("ops") => {
                            f.ops = Some(match &arg.value.kind {
                                ExprKind::Call { name, args } if name == "raw" => args
                                    .first()
                                    .and_then(|a| a.value.as_str())
                                    .unwrap_or_default()
                                    .to_string(),
                                ExprKind::Path(p) => p.clone(),
                                _ => String::new(),
                            })
                        }
                        _ => {}
                    }
                }
                f
            }
            _ => {
                return Err(err(
                    loc(file, &e.span),
                    format!("expected a field name, found {}", e.describe()),
                ));
            }
        };
        out.push(f);
    }
    Ok(out)
}

/// A field and the attributes that concern the model (`@id`, `@unique`).
fn read_field<'b>(
    file: usize,
    f: &'b ast::Field,
    model_names: &[&str],
    enums: &[Enum],
    ds_name: &str,
    err: &ErrFn,
) -> Result<(ModelField, Vec<&'b Attribute>), Error> {
    let at = loc(file, &f.name.span);
    let ty = &f.ty;
    let kind = if let Some(u) = &ty.unsupported {
        FieldKind::Unsupported(u.clone())
    } else if let Some(s) = ScalarType::parse(&ty.name.name) {
        FieldKind::Scalar(s)
    } else if let Some(i) = enums.iter().position(|e| e.name == ty.name.name) {
        FieldKind::Enum(i)
    } else if let Some(i) = model_names.iter().position(|m| *m == ty.name.name) {
        FieldKind::Relation(i)
    } else {
        return Err(err(
            loc(file, &ty.name.span),
            format!(
                "type `{}` is neither a built-in type nor a model or enum of the schema",
                ty.name.name
            ),
        ));
    };
    let mut field = ModelField {
        name: f.name.name.clone(),
        db_name: f.name.name.clone(),
        arity: ty.arity,
        kind,
        native: None,
        default: None,
        updated_at: false,
        relation: None,
        at,
    };
    let mut model_level = Vec::new();
    for a in &f.attributes {
        let a_at = loc(file, &a.span);
        match a.name.as_str() {
            "map" => field.db_name = string_arg(file, a, "name", err)?,
            "updatedAt" => field.updated_at = true,
            "id" | "unique" => model_level.push(a),
            "default" => field.default = Some(default_of(file, a, &field, enums, err)?),
            "relation" => field.relation = Some(relation_of(file, a, err)?),
            name => {
                if let Some(native) = name.strip_prefix(ds_name).and_then(|n| n.strip_prefix('.')) {
                    field.native = Some(NativeTypeAttr {
                        name: native.to_string(),
                        args: a
                            .args
                            .iter()
                            .map(|arg| match &arg.value.kind {
                                ExprKind::Number(n) => n.clone(),
                                ExprKind::Str(s) => s.clone(),
                                ExprKind::Path(p) => p.clone(),
                                _ => String::new(),
                            })
                            .collect(),
                    });
                }
            }
        }
        let _ = a_at;
    }
    if field.relation.is_some() && !matches!(field.kind, FieldKind::Relation(_)) {
        return Err(err(
            at,
            format!(
                "@relation is on `{}`, whose type is not a model",
                field.name
            ),
        ));
    }
    Ok((field, model_level))
}

fn default_of(
    file: usize,
    a: &Attribute,
    field: &ModelField,
    enums: &[Enum],
    err: &ErrFn,
) -> Result<FieldDefault, Error> {
    let Some(e) = a.arg("value", true) else {
        return Err(err(loc(file, &a.span), "@default needs a value".into()));
    };
    let bad = |what: &str| err(loc(file, &e.span), what.to_string());
    Ok(match &e.kind {
        ExprKind::Call { name, args } => match name.as_str() {
            "autoincrement" => FieldDefault::Autoincrement,
            "now" => FieldDefault::Now,
            "dbgenerated" => FieldDefault::DbGenerated(
                args.first()
                    .and_then(|a| a.value.as_str())
                    .map(str::to_string),
            ),
            "uuid" | "cuid" | "nanoid" | "ulid" => FieldDefault::Generated,
            "sequence" => {
                return Err(bad(
                    "sequence() is for CockroachDB: use autoincrement() on PostgreSQL",
                ));
            }
            other => return Err(bad(&format!("unknown function `{other}()` in @default"))),
        },
        _ => FieldDefault::Value(value_of(file, e, field, enums, err)?),
    })
}

fn value_of(
    file: usize,
    e: &Expr,
    field: &ModelField,
    enums: &[Enum],
    err: &ErrFn,
) -> Result<Value, Error> {
    Ok(match &e.kind {
        ExprKind::Str(s) => Value::String(s.clone()),
        ExprKind::Number(n) => Value::Number(n.clone()),
        ExprKind::Path(p) if p == "true" || p == "false" => Value::Boolean(p == "true"),
        ExprKind::Path(p) => match &field.kind {
            FieldKind::Enum(i) => {
                let en = &enums[*i];
                let v = en.values.iter().find(|v| v.name == *p).ok_or_else(|| {
                    err(
                        loc(file, &e.span),
                        format!("`{p}` is not a value of the enum `{}`", en.name),
                    )
                })?;
                Value::Enum(v.db_name.clone())
            }
            _ => {
                return Err(err(
                    loc(file, &e.span),
                    format!(
                        "`{p}` is not a valid default for the field `{}`",
                        field.name
                    ),
                ));
            }
        },
        ExprKind::Array(items) => Value::List(
            items
                .iter()
                .map(|i| value_of(file, i, field, enums, err))
                .collect::<Result<_, _>>()?,
        ),
        ExprKind::Call { .. } => {
            return Err(err(
                loc(file, &e.span),
                "a function call is not a value here".into(),
            ));
        }
    })
}

fn relation_of(file: usize, a: &Attribute, err: &ErrFn) -> Result<RelationArgs, Error> {
    let names = |key: &str| -> Result<Vec<String>, Error> {
        match a.arg(key, false) {
            None => Ok(Vec::new()),
            Some(e) => e
                .elements()
                .into_iter()
                .map(|x| {
                    x.as_path().map(str::to_string).ok_or_else(|| {
                        err(
                            loc(file, &x.span),
                            format!("`{key}` lists field names: {key}: [a, b]"),
                        )
                    })
                })
                .collect(),
        }
    };
    let action = |key: &str| -> Result<Option<ReferentialAction>, Error> {
        match a.arg(key, false) {
            None => Ok(None),
            Some(e) => e
                .as_path()
                .and_then(ReferentialAction::parse)
                .map(Some)
                .ok_or_else(|| {
                    err(
                        loc(file, &e.span),
                        format!(
                            "`{key}` is one of Cascade, Restrict, NoAction, SetNull, SetDefault"
                        ),
                    )
                }),
        }
    };
    Ok(RelationArgs {
        name: match a.arg("name", true) {
            Some(e) => e.as_str().map(str::to_string),
            None => None,
        },
        fields: names("fields")?,
        references: names("references")?,
        on_delete: action("onDelete")?,
        on_update: action("onUpdate")?,
        map: opt_string(file, a, "map", err)?,
    })
}

/// Fields named in indexes and relations exist; relations have their other side.
fn check_references(dm: &Datamodel, err: &ErrFn) -> Result<(), Error> {
    for m in &dm.models {
        let check = |names: &mut dyn Iterator<Item = &str>, at: Loc, what: &str| {
            for n in names {
                if m.field(n).is_none() {
                    return Err(err(
                        at,
                        format!(
                            "{what} names `{n}`, which is not a field of the model `{}`",
                            m.name
                        ),
                    ));
                }
            }
            Ok(())
        };
        if let Some(pk) = &m.primary_key {
            check(
                &mut pk.fields.iter().map(|f| f.field.as_str()),
                pk.at,
                "the id",
            )?;
        }
        for ix in &m.indexes {
            check(
                &mut ix.fields.iter().map(|f| f.field.as_str()),
                ix.at,
                "the index",
            )?;
        }
        for f in &m.fields {
            let FieldKind::Relation(target) = f.kind else {
                continue;
            };
            let other = &dm.models[target];
            let rel = f.relation.clone().unwrap_or_default();
            check(
                &mut rel.fields.iter().map(String::as_str),
                f.at,
                "@relation's `fields`",
            )?;
            for r in &rel.references {
                if other.field(r).is_none() {
                    return Err(err(
                        f.at,
                        format!(
                            "@relation's `references` names `{r}`, which is not a field of the model `{}`",
                            other.name
                        ),
                    ));
                }
            }
            if rel.fields.len() != rel.references.len() {
                return Err(err(
                    f.at,
                    "@relation's `fields` and `references` must list as many fields".into(),
                ));
            }
            if m.is_view || other.is_view {
                continue;
            }
            if opposite(dm, m, f).is_none() {
                return Err(err(
                    f.at,
                    format!(
                        "the relation field `{}` on the model `{}` is missing an opposite relation field on the model `{}`: add one (e.g. `{} {}[]`)",
                        f.name,
                        m.name,
                        other.name,
                        m.name.to_lowercase(),
                        m.name
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// The relation name of a relation field (`@relation("Name")`), if any.
pub fn relation_name(f: &ModelField) -> Option<&str> {
    f.relation.as_ref().and_then(|r| r.name.as_deref())
}

/// Whether Prisma's parser records the relation of `f` at `f` (prisma-engines 2ba551f3,
/// `ingest_relation`): relations are numbered in the order of the fields they are recorded at,
/// and those numbers order the foreign keys, their AddForeignKey steps and the join tables.
/// The side that holds `fields` (or the only side) records it; an implicit many-to-many, at the
/// model first by name (a self relation: the field first by name); a one-to-one with neither
/// side holding `fields`, at the first of model and field names.
pub fn records_relation(dm: &Datamodel, m: &Model, f: &ModelField) -> bool {
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
pub fn opposite<'d>(dm: &'d Datamodel, m: &Model, f: &ModelField) -> Option<&'d ModelField> {
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

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn read(text: &str) -> Result<Datamodel, Error> {
        datamodel(&[SourceFile::parse(
            Path::new("schema.prisma"),
            text.to_string(),
        )])
    }

    #[test]
    fn resolves_models_enums_relations_and_indexes() {
        let dm = read(
            r#"
datasource db {
  provider = "postgresql"
  url      = env("DATABASE_URL")
}
enum Role {
  ADMIN @map("admin")
  USER
}
model User {
  id    Int    @id @default(autoincrement())
  email String @unique @db.VarChar(200)
  role  Role   @default(USER)
  posts Post[]
  @@map("users")
}
model Post {
  id       Int  @id
  authorId Int
  author   User @relation(fields: [authorId], references: [id], onDelete: Cascade)
  @@index([authorId(sort: Desc)], map: "by_author")
}
"#,
        )
        .unwrap();
        let user = &dm.models[0];
        assert_eq!(user.db_name, "users");
        assert_eq!(user.fields[1].native.as_ref().unwrap().args, ["200"]);
        assert_eq!(user.indexes[0].kind, IndexKind::Unique);
        assert_eq!(
            user.fields[2].default,
            Some(FieldDefault::Value(Value::Enum("USER".into())))
        );
        let post = &dm.models[1];
        let rel = post.fields[2].relation.as_ref().unwrap();
        assert_eq!(
            (rel.fields.clone(), rel.on_delete),
            (
                vec!["authorId".to_string()],
                Some(ReferentialAction::Cascade)
            )
        );
        assert_eq!(post.indexes[0].fields[0].sort, Some(SortOrder::Desc));
        assert!(opposite(&dm, post, &post.fields[2]).is_some());
    }

    #[test]
    fn reference_errors_are_located() {
        let e = read("model A {\n  id Int @id\n  b  Bee\n}\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("schema.prisma:3:6: type `Bee` is neither"),
            "{e}"
        );
        let e = read("model A {\n  id Int @id\n  @@index([nope])\n}\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("schema.prisma:3:3: the index names `nope`"),
            "{e}"
        );
        let e = read("model A {\n  id Int @id\n  b B\n}\nmodel B {\n  id Int @id\n}\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("missing an opposite relation field on the model `B`"),
            "{e}"
        );
    }
}
