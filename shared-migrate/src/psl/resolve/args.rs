//! The arguments of schema attributes (`@map("x")`, `@default(now())`, `@relation(...)`,
//! `@@index([a, b(sort: Desc)], where: raw("..."))`), read into the data model's values.

use base64::prelude::{BASE64_STANDARD, Engine as _};

use super::{ErrFn, loc};
use crate::error::Error;
use crate::psl::ast::{Attribute, Expr, ExprKind};
use crate::psl::model::{
    Enum, FieldDefault, FieldKind, IndexField, ModelField, ReferentialAction, RelationArgs,
    ScalarType, SortOrder, Value,
};

/// The string argument of an attribute (`@map("x")`, `@@schema("x")`).
pub(super) fn string_arg(
    file: usize,
    a: &Attribute,
    name: &str,
    err: &ErrFn,
) -> Result<String, Error> {
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

pub(super) fn opt_string(
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
pub(super) fn where_arg(file: usize, a: &Attribute, err: &ErrFn) -> Result<Option<String>, Error> {
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

pub(super) fn sort_arg(
    file: usize,
    a: &Attribute,
    err: &ErrFn,
) -> Result<Option<SortOrder>, Error> {
    match a.arg("sort", false) {
        None => Ok(None),
        Some(e) => sort_of(file, e, err).map(Some),
    }
}

pub(super) fn sort_of(file: usize, e: &Expr, err: &ErrFn) -> Result<SortOrder, Error> {
    match e.as_path() {
        Some("Asc") => Ok(SortOrder::Asc),
        Some("Desc") => Ok(SortOrder::Desc),
        _ => Err(err(loc(file, &e.span), "`sort` is `Asc` or `Desc`".into())),
    }
}

pub(super) fn length_arg(a: &Attribute) -> Option<u32> {
    a.arg("length", false).and_then(|e| match &e.kind {
        ExprKind::Number(n) => n.parse().ok(),
        _ => None,
    })
}

/// `[a, b(sort: Desc), c(ops: raw("gin_trgm_ops"))]` of `@@id`, `@@unique`, `@@index`.
pub(super) fn index_fields(
    file: usize,
    a: &Attribute,
    err: &ErrFn,
) -> Result<Vec<IndexField>, Error> {
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

pub(super) fn default_of(
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

pub(super) fn value_of(
    file: usize,
    e: &Expr,
    field: &ModelField,
    enums: &[Enum],
    err: &ErrFn,
) -> Result<Value, Error> {
    Ok(match &e.kind {
        ExprKind::Str(s) if field.kind == FieldKind::Scalar(ScalarType::Bytes) => {
            // Prisma decodes it at validation (standard alphabet, padded), and so do we:
            // what is written and compared is the bytes.
            if BASE64_STANDARD.decode(s).is_err() {
                return Err(err(
                    loc(file, &e.span),
                    format!(
                        "Error parsing attribute \"@default\": Parse error: \"{s}\" is not a valid base64 string: a Bytes default is standard base64 with its padding (\"aGVsbG8=\" is `hello`)"
                    ),
                ));
            }
            Value::String(s.clone())
        }
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

pub(super) fn relation_of(file: usize, a: &Attribute, err: &ErrFn) -> Result<RelationArgs, Error> {
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
