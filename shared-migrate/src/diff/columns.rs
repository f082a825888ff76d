//! When two columns of the same name differ, as Prisma's differ decides it: arity, default
//! (literals and expressions compared as the database would read them), type (native types
//! and their arguments), autoincrement.

use super::model::*;
use super::steps::{ColumnChanges, TypeChange};

/// What differs between two columns of the same name.
pub(super) fn column_changes(p: &Column, n: &Column) -> ColumnChanges {
    ColumnChanges {
        arity: p.arity != n.arity,
        default: !defaults_match(p, n),
        ty: type_change(p, n),
        autoincrement: p.autoincrement != n.autoincrement,
    }
}

fn defaults_match(p: &Column, n: &Column) -> bool {
    use ColumnDefault::*;
    let is_datetime = |c: &Column| matches!(&c.ty, ColumnType::Native(t) if matches!(t.name.as_str(), "Timestamp" | "Timestamptz" | "Date" | "Time" | "Timetz"));
    match (&p.default, &n.default) {
        (Some(DbGenerated(_)), Some(Value(Literal::List(_))))
        | (Some(Value(Literal::List(_))), Some(DbGenerated(_)))
            if is_datetime(p) || is_datetime(n) =>
        {
            true
        }
        (Some(Value(a)), Some(Value(b))) => literals_match(a, b),
        (Some(Now), Some(Now)) => true,
        (_, Some(DbGenerated(None))) | (Some(DbGenerated(None)), _) => true,
        (Some(DbGenerated(Some(a))), Some(DbGenerated(Some(b)))) => {
            normalize_expression(a).eq_ignore_ascii_case(&normalize_expression(b))
        }
        (Some(Sequence(_)), None) | (None, Some(Sequence(_))) => true,
        (Some(Sequence(_)), Some(Sequence(_))) => true,
        (None, None) => true,
        _ => false,
    }
}

/// An expression as the database stores it and as written may differ in casts and
/// parentheses (`(gen_random_uuid())::text`): compare without them.
fn normalize_expression(e: &str) -> String {
    e.chars().filter(|c| !c.is_whitespace()).collect()
}

fn literals_match(a: &Literal, b: &Literal) -> bool {
    use Literal::*;
    match (a, b) {
        (DateTime(_), _) | (_, DateTime(_)) => true,
        (Json(x), Json(y)) | (String(x), Json(y)) | (Json(x), String(y)) => {
            match (
                serde_json::from_str::<serde_json::Value>(x),
                serde_json::from_str::<serde_json::Value>(y),
            ) {
                (Ok(x), Ok(y)) => x == y,
                _ => true,
            }
        }
        (Number(x), Number(y)) => numbers_match(x, y),
        (String(x) | Enum(x), String(y) | Enum(y)) => x == y,
        (List(x), List(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| literals_match(a, b))
        }
        (Bytes(x), Bytes(y)) => Literal::bytes(x) == Literal::bytes(y),
        (Boolean(x), Boolean(y)) => x == y,
        (Number(x), String(y)) | (String(y), Number(x)) => numbers_match(x, y),
        _ => false,
    }
}

fn numbers_match(x: &str, y: &str) -> bool {
    if x == y {
        return true;
    }
    match (x.parse::<i128>(), y.parse::<i128>()) {
        (Ok(a), Ok(b)) => a == b,
        _ => match (x.parse::<f64>(), y.parse::<f64>()) {
            (Ok(a), Ok(b)) => a == b,
            _ => false,
        },
    }
}

/// Prisma's type comparison: enums by name; lists and scalars never cast into each other
/// (except to text); known types by how safely one casts to the other.
pub(super) fn type_change(p: &Column, n: &Column) -> Option<TypeChange> {
    use TypeChange::*;
    match (&p.ty, &n.ty) {
        (
            ColumnType::Enum {
                name: a,
                schema: sa,
            },
            ColumnType::Enum {
                name: b,
                schema: sb,
            },
        ) => {
            return if a == b && sa == sb {
                None
            } else {
                Some(NotCastable)
            };
        }
        (ColumnType::Enum { .. }, _) | (_, ColumnType::Enum { .. }) => return Some(NotCastable),
        _ => {}
    }
    let list_to_scalar = p.arity == ColumnArity::List && n.arity != ColumnArity::List;
    let scalar_to_list = p.arity != ColumnArity::List && n.arity == ColumnArity::List;
    let next_native = match &n.ty {
        ColumnType::Native(t) => Some(t),
        _ => None,
    };
    if list_to_scalar {
        match next_native.map(|t| (t.name.as_str(), t.args.as_slice())) {
            Some(("Text", _)) | Some(("VarChar", [])) => return Some(SafeCast),
            Some(("VarChar", _)) | Some(("Char", _)) => return Some(RiskyCast),
            _ => return Some(NotCastable),
        }
    }
    if scalar_to_list {
        return Some(NotCastable);
    }
    match (&p.ty, &n.ty) {
        (ColumnType::Native(a), ColumnType::Native(b)) => native_change(a, b),
        (ColumnType::Unsupported(a), ColumnType::Unsupported(b)) => {
            (!same_unsupported(a, b)).then_some(RiskyCast)
        }
        _ => Some(RiskyCast),
    }
}

fn same_unsupported(a: &str, b: &str) -> bool {
    let norm = |s: &str| {
        s.to_ascii_lowercase()
            .split_whitespace()
            .collect::<String>()
    };
    norm(a) == norm(b)
}

/// How safely a value of type `p` casts to type `n` (None: the same type).
fn native_change(p: &NativeType, n: &NativeType) -> Option<TypeChange> {
    use TypeChange::*;
    if p == n {
        return None;
    }
    let one = |t: &NativeType| t.args.first().copied();
    let two = |t: &NativeType| match t.args.as_slice() {
        [a, b] => Some((*a, *b)),
        _ => None,
    };
    let next_is_char = n.name == "Char";
    let nlen = one(n);
    let nn = n.name.as_str();
    let string_len = |limit: u32| -> TypeChange {
        match nlen {
            Some(len) if len < limit => RiskyCast,
            None if next_is_char => RiskyCast,
            _ => SafeCast,
        }
    };
    // Same precision-less time types.
    if p.name == n.name
        && matches!(
            p.name.as_str(),
            "Timestamp" | "Timestamptz" | "Time" | "Timetz"
        )
        && (n.args.is_empty() || p.args.is_empty() || p.args == n.args)
    {
        return None;
    }
    Some(match p.name.as_str() {
        "Inet" => match nn {
            "Citext" | "Text" | "VarChar" => SafeCast,
            _ => NotCastable,
        },
        "Money" => match nn {
            "Citext" | "Text" | "VarChar" => SafeCast,
            _ => RiskyCast,
        },
        "Citext" => match nn {
            "Text" | "VarChar" => SafeCast,
            _ => RiskyCast,
        },
        "Oid" => match nn {
            "Text" | "VarChar" | "BigInt" | "Integer" => SafeCast,
            _ => NotCastable,
        },
        "SmallInt" | "Integer" | "BigInt" => {
            let (digits, chars) = match p.name.as_str() {
                "SmallInt" => (3, 4),
                "Integer" => (10, 11),
                _ => (19, 20),
            };
            match nn {
                "SmallInt" => RiskyCast,
                "Integer" if p.name == "BigInt" => RiskyCast,
                "Integer" | "BigInt" | "Real" | "DoublePrecision" | "Text" => SafeCast,
                "Decimal" => match two(n) {
                    Some((pr, s)) if pr.saturating_sub(s) < digits => RiskyCast,
                    _ => SafeCast,
                },
                "VarChar" | "Char" => string_len(chars),
                _ => NotCastable,
            }
        }
        "Decimal" => {
            let old = two(p);
            match nn {
                "SmallInt" | "Integer" | "BigInt" => {
                    let max = match nn {
                        "SmallInt" => 2,
                        "Integer" => 9,
                        _ => 18,
                    };
                    match old {
                        None => RiskyCast,
                        Some((_, s)) if s > 0 => RiskyCast,
                        Some((pr, _)) if pr > max => RiskyCast,
                        _ => SafeCast,
                    }
                }
                "Decimal" => match (old, two(n)) {
                    (Some(_), None) => SafeCast,
                    (None, Some(_)) => RiskyCast,
                    (Some((po, so)), Some((pn, sn)))
                        if po.saturating_sub(so) > pn.saturating_sub(sn) || so > sn =>
                    {
                        RiskyCast
                    }
                    _ => SafeCast,
                },
                "Real" | "DoublePrecision" => RiskyCast,
                "VarChar" | "Char" => match (nlen, old) {
                    (Some(len), Some((pr, 0))) if pr + 1 > len => RiskyCast,
                    (Some(len), Some((pr, s))) if s > 0 && pr + 2 > len => RiskyCast,
                    (Some(len), None) if len < 131073 => RiskyCast,
                    (None, _) if next_is_char => RiskyCast,
                    _ => SafeCast,
                },
                "Text" => SafeCast,
                _ => NotCastable,
            }
        }
        "Real" | "DoublePrecision" => match nn {
            "SmallInt" | "Integer" | "BigInt" | "Decimal" => RiskyCast,
            "Real" if p.name == "DoublePrecision" => RiskyCast,
            "Real" | "DoublePrecision" | "Text" => SafeCast,
            "VarChar" | "Char" => string_len(if p.name == "Real" { 47 } else { 317 }),
            _ => NotCastable,
        },
        "VarChar" | "Char" => match nn {
            "Text" => SafeCast,
            "VarChar" | "Char" => match (one(p), nlen) {
                (None, None) if next_is_char => RiskyCast,
                (None, Some(_)) if p.name == "VarChar" => RiskyCast,
                (None, _) => SafeCast,
                (Some(1), None) => SafeCast,
                (Some(_), None) if next_is_char => RiskyCast,
                (Some(_), None) => SafeCast,
                (Some(o), Some(nw)) if o > nw => RiskyCast,
                _ => SafeCast,
            },
            _ => NotCastable,
        },
        "Text" => match nn {
            "Citext" => SafeCast,
            "VarChar" if n.args.is_empty() => SafeCast,
            "VarChar" | "Char" => RiskyCast,
            _ => NotCastable,
        },
        "ByteA" => match nn {
            "Text" => SafeCast,
            "VarChar" if n.args.is_empty() => SafeCast,
            "VarChar" | "Char" if nlen.is_some_and(|l| l > 2) => RiskyCast,
            _ => NotCastable,
        },
        "Timestamp" | "Timestamptz" | "Date" | "Time" | "Timetz" => {
            let min_len = match p.name.as_str() {
                "Timestamp" => 22,
                "Time" => 13,
                "Timetz" => 18,
                _ => 27,
            };
            match nn {
                "Text" => SafeCast,
                "VarChar" if n.args.is_empty() => SafeCast,
                "Char" | "VarChar" if nlen.is_some_and(|l| l > min_len) => SafeCast,
                "Timestamp" | "Timestamptz" if p.name != "Time" && p.name != "Timetz" => SafeCast,
                "Date" if p.name.starts_with("Timestamp") => SafeCast,
                "Time" | "Timetz" if p.name != "Date" => SafeCast,
                _ => NotCastable,
            }
        }
        "Boolean" => match nn {
            "Text" | "VarChar" => SafeCast,
            "Char" if nlen.is_some_and(|l| l > 4) => SafeCast,
            "Char" if nlen.is_some_and(|l| l > 3) => RiskyCast,
            _ => NotCastable,
        },
        "Bit" | "VarBit" => match nn {
            "Text" => SafeCast,
            "VarChar" | "VarBit" | "Char" | "Bit" => RiskyCast,
            _ => NotCastable,
        },
        "Uuid" => match nn {
            "Text" => SafeCast,
            "VarChar" if n.args.is_empty() => SafeCast,
            "VarChar" | "Char" if nlen.is_some_and(|l| l > 31) => SafeCast,
            _ => NotCastable,
        },
        "Xml" | "Json" | "JsonB" => match nn {
            "Text" => SafeCast,
            "JsonB" | "Json" if p.name != "Xml" => SafeCast,
            "VarChar" if n.args.is_empty() => SafeCast,
            "VarChar" | "Char" => RiskyCast,
            _ => NotCastable,
        },
        _ => RiskyCast,
    })
}
