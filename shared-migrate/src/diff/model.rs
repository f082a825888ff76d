//! The PostgreSQL schema as Prisma Migrate sees it: tables, columns with Prisma's native types,
//! primary keys, indexes, foreign keys and enums. Both sides of a comparison are this model:
//! the one schema.prisma asks for ([`super::calculate`]) and the one a database has
//! ([`super::introspect`]). What Prisma does not manage (views, functions, triggers, check
//! constraints, sequences) is not in it.

use std::fmt;

use base64::prelude::{BASE64_STANDARD, Engine as _};

/// Where an object was declared in schema.prisma, for messages (`file:line:col`).
pub(crate) type Origin = Option<crate::error::Location>;

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, Default, PartialEq)]
pub(crate) struct SqlSchema {
    pub enums: Vec<SqlEnum>,
    pub tables: Vec<SqlTable>,
    /// PostgreSQL extensions: installed (a database), or declared by the datasource's
    /// `extensions` (schema.prisma, Prisma's postgresqlExtensions), sorted by name.
    #[serde(default)]
    pub extensions: Vec<SqlExtension>,
    /// Extensions are compared: the datasource declares them (Prisma compares them then).
    #[serde(default)]
    pub manages_extensions: bool,
}

/// An extension; an empty schema or version means "any" (schema.prisma did not say).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, PartialEq, Eq)]
pub(crate) struct SqlExtension {
    pub name: String,
    pub schema: String,
    pub version: String,
    /// `ALTER EXTENSION ... SET SCHEMA` can move it (else it is dropped and created).
    pub relocatable: bool,
}

impl SqlSchema {
    pub(crate) fn table(&self, schema: &Option<String>, name: &str) -> Option<&SqlTable> {
        self.tables
            .iter()
            .find(|t| t.name == name && t.schema == *schema)
    }
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, PartialEq)]
pub(crate) struct SqlEnum {
    /// None: the URL's schema (the default namespace).
    pub schema: Option<String>,
    pub name: String,
    pub values: Vec<String>,
    #[serde(skip)]
    pub origin: Origin,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, PartialEq)]
pub(crate) struct SqlTable {
    pub schema: Option<String>,
    pub name: String,
    pub columns: Vec<Column>,
    pub primary_key: Option<SqlPrimaryKey>,
    pub indexes: Vec<SqlIndex>,
    pub foreign_keys: Vec<SqlForeignKey>,
    #[serde(skip)]
    pub origin: Origin,
    /// The model's name, when schema.prisma made it (for hints in Prisma's words).
    pub prisma_name: Option<String>,
}

impl SqlTable {
    pub(crate) fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, Copy, PartialEq, Eq)]
pub(crate) enum ColumnArity {
    Required,
    Nullable,
    List,
}

/// A column type in Prisma's terms: a PostgreSQL native type (`VarChar(200)`), an enum, or a
/// type Prisma does not know (`Unsupported("tsvector")`).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, PartialEq, Eq)]
pub(crate) enum ColumnType {
    Native(NativeType),
    Enum {
        schema: Option<String>,
        name: String,
    },
    Unsupported(String),
}

/// A known PostgreSQL type and its arguments (`VarChar` `[200]`, `Decimal` `[65, 30]`,
/// `Timestamp` `[3]`); no arguments where none are given.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, PartialEq, Eq)]
pub(crate) struct NativeType {
    /// Prisma's name: `Text`, `VarChar`, `Integer`, `Timestamp`, `JsonB`, ...
    pub name: String,
    pub args: Vec<u32>,
}

impl NativeType {
    pub(crate) fn new(name: &str, args: &[u32]) -> NativeType {
        NativeType {
            name: name.to_string(),
            args: args.to_vec(),
        }
    }

    /// The SQL spelling, as Prisma writes it: `VARCHAR(200)`, `DOUBLE PRECISION`,
    /// `TIMESTAMP(3)`, `DECIMAL(65,30)`.
    pub(crate) fn sql(&self) -> String {
        let base = match self.name.as_str() {
            "Text" => "TEXT",
            "VarChar" => "VARCHAR",
            "Char" => "CHAR",
            "Uuid" => "UUID",
            "Xml" => "XML",
            "Inet" => "INET",
            "Citext" => "CITEXT",
            "Bit" => "BIT",
            "VarBit" => "VARBIT",
            "SmallInt" => "SMALLINT",
            "Integer" => "INTEGER",
            "BigInt" => "BIGINT",
            "Oid" => "OID",
            "Real" => "REAL",
            "DoublePrecision" => "DOUBLE PRECISION",
            "Decimal" => "DECIMAL",
            "Money" => "MONEY",
            "Timestamp" => "TIMESTAMP",
            "Timestamptz" => "TIMESTAMPTZ",
            "Date" => "DATE",
            "Time" => "TIME",
            "Timetz" => "TIMETZ",
            "Json" => "JSON",
            "JsonB" => "JSONB",
            "ByteA" => "BYTEA",
            "Boolean" => "BOOLEAN",
            other => return other.to_string(),
        };
        if self.args.is_empty() {
            base.to_string()
        } else {
            let args: Vec<String> = self.args.iter().map(u32::to_string).collect();
            format!("{base}({})", args.join(","))
        }
    }
}

impl fmt::Display for NativeType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.args.is_empty() {
            f.write_str(&self.name)
        } else {
            let args: Vec<String> = self.args.iter().map(u32::to_string).collect();
            write!(f, "{}({})", self.name, args.join(","))
        }
    }
}

impl fmt::Display for ColumnType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ColumnType::Native(n) => write!(f, "{n}"),
            ColumnType::Enum { name, .. } => write!(f, "enum {name}"),
            ColumnType::Unsupported(u) => write!(f, "Unsupported(\"{u}\")"),
        }
    }
}

/// A literal default value, typed the way Prisma compares them.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, PartialEq)]
pub(crate) enum Literal {
    String(String),
    /// A number as written (`42`, `1.5`), compared numerically.
    Number(String),
    Boolean(bool),
    Enum(String),
    Json(String),
    /// A date-time literal: Prisma cannot compare these and never reports them.
    DateTime(String),
    /// Standard base64, as Prisma writes a `Bytes` default: schema.prisma's are checked when
    /// read, a database's (`'\x68656c6c6f'::bytea`) encoded from its hex.
    Bytes(String),
    List(Vec<Literal>),
}

impl Literal {
    /// The bytes of a [`Literal::Bytes`] (empty when it does not decode, which a literal
    /// made by this crate always does).
    pub(crate) fn bytes(b64: &str) -> Vec<u8> {
        BASE64_STANDARD.decode(b64).unwrap_or_default()
    }

    /// A `bytea` as PostgreSQL prints it (`\x68656c6c6f`, else its escape form's text) as
    /// a [`Literal::Bytes`].
    pub(crate) fn bytea(printed: &str) -> Literal {
        let bytes = printed
            .strip_prefix("\\x")
            .and_then(|h| hex::decode(h).ok())
            .unwrap_or_else(|| printed.as_bytes().to_vec());
        Literal::Bytes(BASE64_STANDARD.encode(bytes))
    }
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, PartialEq)]
pub(crate) enum ColumnDefault {
    Now,
    Value(Literal),
    /// An expression Prisma does not interpret (`gen_random_uuid()`); `None`: `dbgenerated()`
    /// with no expression, which matches anything.
    DbGenerated(Option<String>),
    /// The sequence of a serial column.
    Sequence(String),
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, PartialEq)]
pub(crate) struct Column {
    pub name: String,
    pub ty: ColumnType,
    pub arity: ColumnArity,
    pub default: Option<ColumnDefault>,
    /// SERIAL / BIGSERIAL / SMALLSERIAL: a sequence owned by the column.
    pub autoincrement: bool,
    #[serde(skip)]
    pub origin: Origin,
    /// The field's name, when schema.prisma made it.
    pub prisma_name: Option<String>,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, Copy, PartialEq, Eq)]
pub(crate) enum Sort {
    Asc,
    Desc,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, PartialEq)]
pub(crate) struct IndexColumn {
    pub name: String,
    pub sort: Option<Sort>,
    /// The operator class, when known (always from a database; from schema.prisma when
    /// `ops:` names one).
    pub ops: Option<String>,
    /// Whether `ops` is the default class for the column's type and the index method.
    pub ops_default: bool,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, PartialEq)]
pub(crate) struct SqlPrimaryKey {
    pub name: String,
    pub columns: Vec<IndexColumn>,
    /// Place among all indexes of the schema (Prisma orders its steps by it).
    pub id: usize,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, PartialEq)]
pub(crate) struct SqlIndex {
    pub name: String,
    pub unique: bool,
    pub columns: Vec<IndexColumn>,
    /// `BTree` (the default), `Hash`, `Gin`, `Gist`, `SpGist`, `Brin`.
    pub algorithm: String,
    /// Place among all indexes of the schema (Prisma orders its steps by it).
    pub id: usize,
    #[serde(skip)]
    pub origin: Origin,
    /// A partial index's condition (Prisma 7.4's `partialIndexes` preview: `where: raw("...")`),
    /// as schema.prisma writes it or as PostgreSQL prints it back (`pg_get_expr`).
    pub predicate: Option<String>,
}

/// Two conditions of partial indexes are the same when they read the same once the spelling
/// PostgreSQL adds when it stores one is taken away: the outer parentheses, casts of literals
/// (`'active'::text`), quotes around names, case of keywords and blanks. Prisma compares the
/// text schema.prisma holds with the text the database prints, so one written differently
/// (`IN (...)`, which PostgreSQL prints as `= ANY (ARRAY[...])`) reads as changed, as it does for
/// Prisma.
pub(crate) fn same_predicate(a: Option<&str>, b: Option<&str>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => normalize_predicate(a) == normalize_predicate(b),
        _ => false,
    }
}

/// A condition without the one pair of parentheses PostgreSQL puts around what it prints back,
/// for messages: `(a IS NULL)` → `a IS NULL`; `(a) OR (b)` stays.
pub(crate) fn bare_predicate(text: &str) -> &str {
    let t = text.trim();
    let Some(inner) = t.strip_prefix('(').and_then(|t| t.strip_suffix(')')) else {
        return t;
    };
    let mut depth = 0i32;
    for c in inner.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            _ => {}
        }
        if depth < 0 {
            return t;
        }
    }
    inner
}

fn normalize_predicate(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            // A string literal stays as written, quotes and case included.
            '\'' => {
                out.push(c);
                while let Some(d) = chars.next() {
                    out.push(d);
                    if d == '\'' {
                        if chars.peek() == Some(&'\'') {
                            out.push(chars.next().unwrap_or('\''));
                        } else {
                            break;
                        }
                    }
                }
            }
            // `::text`, `::"Kind"`, `::character varying`, `::text[]`: PostgreSQL's casts.
            ':' if chars.peek() == Some(&':') => {
                chars.next();
                if chars.peek() == Some(&'"') {
                    chars.next();
                    chars.by_ref().find(|d| *d == '"');
                }
                while chars
                    .peek()
                    .is_some_and(|d| d.is_alphanumeric() || *d == '_' || *d == '.')
                {
                    chars.next();
                }
                let rest: String = chars.clone().collect();
                if let Some(tail) = [
                    " varying",
                    " precision",
                    " without time zone",
                    " with time zone",
                ]
                .iter()
                .find(|t| rest.starts_with(**t))
                {
                    chars.nth(tail.len() - 1);
                }
                if rest.starts_with("[]") {
                    chars.nth(1);
                }
            }
            '(' | ')' | '"' => {}
            c if c.is_whitespace() => {}
            c => out.extend(c.to_lowercase()),
        }
    }
    out
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, Copy, PartialEq, Eq)]
pub(crate) enum FkAction {
    Cascade,
    Restrict,
    NoAction,
    SetNull,
    SetDefault,
}

impl FkAction {
    pub(crate) fn sql(self) -> &'static str {
        match self {
            FkAction::Cascade => "CASCADE",
            FkAction::Restrict => "RESTRICT",
            FkAction::NoAction => "NO ACTION",
            FkAction::SetNull => "SET NULL",
            FkAction::SetDefault => "SET DEFAULT",
        }
    }
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, PartialEq)]
pub(crate) struct SqlForeignKey {
    pub name: String,
    pub columns: Vec<String>,
    pub referenced_schema: Option<String>,
    pub referenced_table: String,
    pub referenced_columns: Vec<String>,
    pub on_delete: FkAction,
    pub on_update: FkAction,
    /// Place among all foreign keys of the schema (Prisma orders its steps by it).
    pub id: usize,
    #[serde(skip)]
    pub origin: Origin,
}

/// Orders names as a database in the `en_US.UTF-8` collation does (where Prisma's shadow
/// databases usually are, and so the order of Prisma's steps): letters and digits first,
/// case and punctuation ignored, then lower case before upper case, then punctuation.
pub(crate) fn collation_key(name: &str) -> (String, Vec<bool>, Vec<u8>) {
    let base: String = name
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect();
    let case: Vec<bool> = name
        .chars()
        .filter(|c| c.is_alphanumeric())
        .map(char::is_uppercase)
        .collect();
    (base, case, name.as_bytes().to_vec())
}

/// The PostgreSQL operator class a schema's `ops:` names: `raw("gin_trgm_ops")` as written,
/// Prisma's constants in snake case (`ArrayOps` → `array_ops`, `Int4MinMaxOps` →
/// `int4_minmax_ops`, `JsonbPathOps` → `jsonb_path_ops`).
pub(crate) fn operator_class(ops: &str) -> String {
    if ops.contains('_') || ops.chars().all(|c| !c.is_uppercase()) {
        return ops.to_string();
    }
    let ops = ops
        .replace("MinMaxMulti", "Minmaxmulti")
        .replace("MinMax", "Minmax");
    let mut out = String::new();
    for (i, c) in ops.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            out.push('_');
        }
        out.extend(c.to_lowercase());
    }
    out.replace("minmaxmulti", "minmax_multi")
}

/// PostgreSQL's limit on identifiers, in bytes.
pub(crate) const MAX_IDENTIFIER: usize = 63;

/// `s` cut to at most `max` bytes, on a character boundary.
pub(crate) fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut i = max;
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    &s[..i]
}

/// Prisma's default constraint names (its `ConstraintNames`): built from database names, the
/// part before the suffix cut so that the whole fits in 63 bytes.
pub(crate) fn primary_key_name(table: &str) -> String {
    format!("{}_pkey", truncate(table, MAX_IDENTIFIER - 5))
}

pub(crate) fn index_name(table: &str, columns: &[&str], unique: bool) -> String {
    let suffix = if unique { "_key" } else { "_idx" };
    let joined = format!("{table}_{}", columns.join("_"));
    format!(
        "{}{suffix}",
        truncate(&joined, MAX_IDENTIFIER - suffix.len())
    )
}

pub(crate) fn foreign_key_name(table: &str, columns: &[&str]) -> String {
    let joined = format!("{table}_{}", columns.join("_"));
    format!("{}_fkey", truncate(&joined, MAX_IDENTIFIER - 5))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_fit_in_63_bytes_on_a_character_boundary() {
        assert_eq!(primary_key_name("students"), "students_pkey");
        assert_eq!(
            index_name("Event", &["userId", "createdAt"], false),
            "Event_userId_createdAt_idx"
        );
        assert_eq!(
            index_name("Enrollment", &["email"], true),
            "Enrollment_email_key"
        );
        assert_eq!(
            foreign_key_name("Post", &["authorId"]),
            "Post_authorId_fkey"
        );
        let long = "a".repeat(70);
        assert_eq!(primary_key_name(&long).len(), 63);
        assert_eq!(index_name(&long, &["b"], true).len(), 63);
        assert_eq!(
            foreign_key_name(&long, &["b"]),
            format!("{}_fkey", "a".repeat(58))
        );
        // A two-byte character at the cut is not split.
        let accented = format!("{}é", "a".repeat(57));
        assert_eq!(
            primary_key_name(&accented),
            format!("{}_pkey", "a".repeat(57))
        );
    }

    #[test]
    fn predicates_compare_as_postgresql_prints_them_back() {
        let same = |a, b| same_predicate(Some(a), Some(b));
        assert!(same("status = 'active'", "(status = 'active'::text)"));
        assert!(same("\"deletedAt\" IS NULL", "(\"deletedAt\" IS NULL)"));
        assert!(same(
            "kind = 'A' AND note IS NOT NULL",
            "((kind = 'A'::\"Kind\") AND (note IS NOT NULL))"
        ));
        assert!(same(
            "name <> 'x'",
            "((name)::text <> ('x'::character varying)::text)"
        ));
        assert!(same("tags = '{}'", "(tags = '{}'::text[])"));
        assert!(same("\"archivedAt\" is null", "(\"archivedAt\" IS NULL)"));
        // A literal's case is its value.
        assert!(!same("status = 'Active'", "(status = 'active'::text)"));
        assert!(!same("status = 'active'", "(status = 'verified'::text)"));
        assert!(same_predicate(None, None));
        assert_eq!(bare_predicate("(a IS NULL)"), "a IS NULL");
        assert_eq!(bare_predicate("(a) OR (b)"), "(a) OR (b)");
        assert!(!same_predicate(Some("a IS NULL"), None));
    }

    #[test]
    fn native_types_are_written_as_prisma_writes_them() {
        assert_eq!(
            NativeType::new("DoublePrecision", &[]).sql(),
            "DOUBLE PRECISION"
        );
        assert_eq!(
            NativeType::new("Decimal", &[65, 30]).sql(),
            "DECIMAL(65,30)"
        );
        assert_eq!(NativeType::new("Timestamp", &[3]).sql(), "TIMESTAMP(3)");
    }
}
