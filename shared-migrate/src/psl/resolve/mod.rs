//! From the syntax tree of every schema file to the [data model](super::model): blocks
//! resolved by name across files, attributes read (`args.rs`), references checked. Reference
//! errors (an unknown type, a relation without its other side, an index on a field that does
//! not exist) are reported at their file:line:col, like a syntax error.

mod args;

use self::args::{
    default_of, index_fields, length_arg, opt_string, relation_of, sort_arg, string_arg, where_arg,
};
use super::SourceFile;
use super::ast::{self, Attribute, BlockKind, ExprKind, Item};
use super::model::{
    Datamodel, Enum, EnumValue, FieldKind, IndexField, IndexKind, Loc, Model, ModelField,
    ModelIndex, NativeTypeAttr, PrimaryKey, ScalarType, opposite,
};
use crate::error::Error;

/// Reads the data model of `files`; the first syntax or reference error is returned, located.
pub(crate) fn datamodel(files: &[SourceFile]) -> Result<Datamodel, Error> {
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

pub(super) type ErrFn<'a> = dyn Fn(Loc, String) -> Error + 'a;

pub(super) fn loc(file: usize, span: &std::ops::Range<usize>) -> Loc {
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

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::psl::model::{FieldDefault, ReferentialAction, SortOrder, Value};

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
