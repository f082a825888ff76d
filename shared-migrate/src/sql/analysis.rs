//! What a migration's SQL does, read once with squawk's PostgreSQL parser and reduced to
//! [`Action`]s (create table, drop column, create index, ...) that lint's rules, `new --revert`
//! and the [`Catalog`](super::Catalog) understand without touching the syntax tree again.

use std::ops::Range;

use serde::{Deserialize, Serialize};
use squawk_syntax::ast::{self, AstNode};
use squawk_syntax::{SourceFile, SyntaxKind, SyntaxNode};

use super::plan::{self, Plan, Statement};

/// A byte range from a rowan text range (rowan's type is not re-exported by squawk).
macro_rules! range {
    ($r:expr) => {{
        let r = $r;
        usize::from(r.start())..usize::from(r.end())
    }};
}

/// One migration file, analysed. Serialisable: lint keeps it in its cache.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct Analysis {
    pub statements: Vec<Statement>,
    /// `--` and `/* */` comments holding `lint:allow`: byte range and text.
    pub comments: Vec<(Range<usize>, String)>,
    /// The first place the parser did not understand, and why.
    pub syntax_error: Option<(Range<usize>, String)>,
    /// Why `cargo xtask migrate` would refuse to run the file, and where.
    pub unrunnable: Option<(Range<usize>, String)>,
    /// Whether `migrate` runs the file as one transaction.
    pub transactional: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Action {
    pub kind: ActionKind,
    /// The part of the statement the action comes from.
    pub range: Range<usize>,
}

/// Names are normalised as PostgreSQL does: quoted identifiers verbatim, others lower-cased,
/// schema qualifiers dropped (Prisma's schema is the search path).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum ActionKind {
    CreateTable {
        table: String,
        columns: Vec<ColumnDef>,
        /// Primary key and unique constraints: (constraint name, columns).
        keys: Vec<(Option<String>, Vec<String>)>,
        foreign_keys: Vec<ForeignKey>,
    },
    DropTable {
        table: String,
    },
    RenameTable {
        from: String,
        to: String,
    },
    AddColumn {
        table: String,
        column: ColumnDef,
    },
    DropColumn {
        table: String,
        column: String,
    },
    RenameColumn {
        table: String,
        from: String,
        to: String,
    },
    SetType {
        table: String,
        column: String,
        /// Normalised type text, e.g. `varchar(255)`.
        ty: String,
        /// The type as written, quotes kept (`"Role"`): what SQL naming it needs.
        ty_sql: String,
        /// The `USING` expression, as written.
        using: Option<String>,
    },
    SetNotNull {
        table: String,
        column: String,
    },
    AddForeignKey {
        table: String,
        foreign_key: ForeignKey,
        not_valid: bool,
    },
    AddCheck {
        table: String,
        name: Option<String>,
        /// The CHECK's expression, as written.
        expr: Option<String>,
        not_valid: bool,
    },
    /// `ADD [CONSTRAINT n] PRIMARY KEY / UNIQUE (...)`; `using_index` when built from an
    /// existing index (`USING INDEX`), which takes no long lock.
    AddKey {
        table: String,
        name: Option<String>,
        columns: Vec<String>,
        using_index: bool,
        /// PRIMARY KEY (else UNIQUE).
        primary: bool,
    },
    DropConstraint {
        table: String,
        name: String,
    },
    CreateIndex {
        table: String,
        name: Option<String>,
        /// The leading plain columns; an expression ends the list.
        columns: Vec<String>,
        concurrently: bool,
        /// UNIQUE over plain columns only and without WHERE: the key whose duplicates fail it.
        unique_key: Option<Vec<String>>,
    },
    DropIndex {
        names: Vec<String>,
    },
    /// UPDATE: the table and the columns it sets.
    Update {
        table: String,
        columns: Vec<String>,
    },
    /// DELETE, INSERT, TRUNCATE and other statements that change a table's rows or shape in
    /// ways no rule looks at: they count for the size limit only.
    Touch {
        table: String,
    },
    AddEnumValue {
        ty: String,
        value: String,
    },
    /// `CREATE TYPE "Name" AS ENUM (...)`.
    CreateEnum {
        ty: String,
    },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ColumnDef {
    pub name: String,
    pub ty: String,
    pub not_null: bool,
    pub default: Option<DefaultValue>,
    /// `GENERATED ... AS IDENTITY` / `GENERATED ALWAYS AS (...) STORED`, or a serial type: the
    /// server fills existing rows itself.
    pub generated: bool,
    pub primary_key: bool,
    pub unique: bool,
    pub references: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DefaultValue {
    /// Evaluated once for all existing rows (a constant, `now()`, ...).
    Stable,
    /// Evaluated per row (`gen_random_uuid()`, `nextval(...)`, `random()`, ...).
    Volatile,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ForeignKey {
    pub name: Option<String>,
    pub columns: Vec<String>,
    pub references: String,
    /// The referenced columns; empty: the referenced table's primary key.
    pub referenced: Vec<String>,
    pub range: Range<usize>,
}

impl ActionKind {
    /// The table the action changes, for the size limit.
    pub fn table(&self) -> Option<&str> {
        use ActionKind::*;
        match self {
            CreateTable { table, .. }
            | DropTable { table }
            | AddColumn { table, .. }
            | DropColumn { table, .. }
            | RenameColumn { table, .. }
            | SetType { table, .. }
            | SetNotNull { table, .. }
            | AddForeignKey { table, .. }
            | AddCheck { table, .. }
            | AddKey { table, .. }
            | DropConstraint { table, .. }
            | CreateIndex { table, .. }
            | Update { table, .. }
            | Touch { table } => Some(table),
            RenameTable { from, .. } => Some(from),
            DropIndex { .. } | AddEnumValue { .. } | CreateEnum { .. } => None,
        }
    }
}

/// Reads what `sql` does.
pub(crate) fn analyse(sql: &str) -> Analysis {
    let parse = SourceFile::parse(sql);
    let errors = parse.errors();
    let statements = plan::statements(&parse);
    let plain = statements.iter().map(|(_, s)| s.clone()).collect();
    let first = errors
        .first()
        .map(|e| (usize::from(e.range().start()), e.message()));
    let (transactional, unrunnable) = match Plan::of_statements(sql, plain, first) {
        Ok(plan) => (plan.transactional(), None),
        Err(refusal) => {
            let start = refusal.offset;
            (true, Some((start..line_end(sql, start), refusal.message)))
        }
    };
    let root = parse.syntax_node();
    // Only suppressions need the comments: skip the walk over every token when there are none.
    let comments = if !sql.contains("lint:allow") {
        Vec::new()
    } else {
        root.descendants_with_tokens()
            .filter_map(|e| e.into_token())
            .filter(|t| t.kind() == SyntaxKind::COMMENT)
            .map(|t| (range!(t.text_range()), t.text().to_string()))
            .collect()
    };
    let syntax_error = errors.first().map(|e| {
        let r = range!(e.range());
        (r, e.message().to_string())
    });
    let statements = statements
        .into_iter()
        .map(|(stmt, mut statement)| {
            actions_of(&stmt, &mut statement.actions);
            statement
        })
        .collect();
    Analysis {
        statements,
        comments,
        syntax_error,
        unrunnable,
        transactional,
    }
}

fn actions_of(stmt: &ast::Stmt, out: &mut Vec<Action>) {
    let mut push = |kind: ActionKind, node: &SyntaxNode| {
        out.push(Action {
            kind,
            range: range!(node.text_range()),
        })
    };
    match stmt {
        ast::Stmt::CreateTable(create) => {
            let Some(table) = create
                .table_name()
                .and_then(|t| t.path())
                .and_then(|p| p.segment())
                .map(|s| s.syntax().clone())
                .and_then(|s| ident_in(&s))
            else {
                return;
            };
            let (mut columns, mut keys, mut foreign_keys) = (Vec::new(), Vec::new(), Vec::new());
            for arg in create.table_arg_list().iter().flat_map(|l| l.args()) {
                match arg {
                    ast::TableArg::Column(column) => {
                        if let Some(def) = column_def(
                            column.syntax(),
                            column.name().map(|n| n.syntax().clone()),
                            column.ty(),
                        ) {
                            if def.primary_key || def.unique {
                                keys.push((None, vec![def.name.clone()]));
                            }
                            if let Some(to) = &def.references {
                                foreign_keys.push(ForeignKey {
                                    name: None,
                                    columns: vec![def.name.clone()],
                                    references: to.clone(),
                                    referenced: Vec::new(),
                                    range: range!(column.syntax().text_range()),
                                });
                            }
                            columns.push(def);
                        }
                    }
                    ast::TableArg::TableConstraint(constraint) => {
                        let node = constraint.syntax();
                        match node.kind() {
                            SyntaxKind::PRIMARY_KEY_CONSTRAINT | SyntaxKind::UNIQUE_CONSTRAINT => {
                                keys.push((constraint_name(node), key_columns(node)))
                            }
                            SyntaxKind::FOREIGN_KEY_CONSTRAINT => {
                                if let Some(fk) = foreign_key(node) {
                                    foreign_keys.push(fk);
                                }
                            }
                            _ => {}
                        }
                    }
                    _ => {}
                }
            }
            push(
                ActionKind::CreateTable {
                    table,
                    columns,
                    keys,
                    foreign_keys,
                },
                create.syntax(),
            );
        }
        ast::Stmt::DropTable(drop) => {
            for t in drop.table_name_refs() {
                if let Some(table) = last_ident(t.syntax()) {
                    push(ActionKind::DropTable { table }, drop.syntax());
                }
            }
        }
        ast::Stmt::AlterTable(alter) => {
            let Some(table) = alter
                .table_relation_name()
                .and_then(|r| last_ident(r.syntax()))
            else {
                return;
            };
            for action in alter.actions() {
                if let Some(kind) = alter_table_action(&table, &action) {
                    push(kind, action.syntax());
                } else {
                    push(
                        ActionKind::Touch {
                            table: table.clone(),
                        },
                        action.syntax(),
                    );
                }
            }
        }
        ast::Stmt::CreateIndex(index) => {
            let Some(table) = index
                .table_relation_name()
                .and_then(|r| last_ident(r.syntax()))
            else {
                return;
            };
            let mut columns = Vec::new();
            let items = index
                .partition_item_list()
                .iter()
                .flat_map(|l| l.partition_items())
                .count();
            for item in index
                .partition_item_list()
                .iter()
                .flat_map(|l| l.partition_items())
            {
                // A plain column is a NAME_REF child; anything else is an expression.
                match item.expr() {
                    Some(ast::Expr::NameRef(n)) => match ident_in(n.syntax()) {
                        Some(c) => columns.push(c),
                        None => break,
                    },
                    _ => break,
                }
            }
            let unique_key = (index.unique_token().is_some()
                && index.where_clause().is_none()
                && items == columns.len())
            .then(|| columns.clone());
            push(
                ActionKind::CreateIndex {
                    table,
                    unique_key,
                    name: index.index().and_then(|p| last_ident(p.syntax())),
                    columns,
                    concurrently: index.concurrently_token().is_some(),
                },
                index.syntax(),
            );
        }
        ast::Stmt::DropIndex(drop) => {
            let names = drop
                .index_refs()
                .filter_map(|r| last_ident(r.syntax()))
                .collect();
            push(ActionKind::DropIndex { names }, drop.syntax());
        }
        ast::Stmt::Update(update) => {
            let Some(table) = update.relation_name().and_then(|r| last_ident(r.syntax())) else {
                return;
            };
            let columns = update
                .set_clause()
                .map(|s| {
                    s.syntax()
                        .descendants()
                        .filter(|n| n.kind() == SyntaxKind::COLUMN_TARGET)
                        .filter_map(|n| ident_in(&n))
                        .collect()
                })
                .unwrap_or_default();
            push(ActionKind::Update { table, columns }, update.syntax());
        }
        ast::Stmt::Delete(delete) => {
            if let Some(table) = delete.relation_name().and_then(|r| last_ident(r.syntax())) {
                push(ActionKind::Touch { table }, delete.syntax());
            }
        }
        ast::Stmt::Insert(insert) => {
            if let Some(table) = insert
                .syntax()
                .children()
                .find(|n| n.kind() == SyntaxKind::PATH)
                .and_then(|p| last_ident(&p))
            {
                push(ActionKind::Touch { table }, insert.syntax());
            }
        }
        ast::Stmt::Truncate(truncate) => {
            for t in truncate
                .syntax()
                .descendants()
                .filter(|n| n.kind() == SyntaxKind::RELATION_NAME)
            {
                if let Some(table) = last_ident(&t) {
                    push(ActionKind::Touch { table }, truncate.syntax());
                }
            }
        }
        ast::Stmt::CreateType(create) => {
            if let (Some(ast::CreateTypeKind::EnumType(_)), Some(ty)) = (
                create.kind(),
                create.type_name().and_then(|t| last_ident(t.syntax())),
            ) {
                push(ActionKind::CreateEnum { ty }, create.syntax());
            }
        }
        ast::Stmt::AlterType(alter) => {
            if let (Some(ty), Some(ast::AlterTypeAction::AddValue(add))) = (
                alter.type_name_ref().and_then(|t| last_ident(t.syntax())),
                alter.action(),
            ) && let Some(value) = add.literal().and_then(|l| l.string_value())
            {
                push(ActionKind::AddEnumValue { ty, value }, add.syntax());
            }
        }
        _ => {}
    }
}

fn alter_table_action(table: &str, action: &ast::AlterTableAction) -> Option<ActionKind> {
    let table = table.to_string();
    Some(match action {
        ast::AlterTableAction::AddColumn(add) => ActionKind::AddColumn {
            table,
            column: column_def(
                add.syntax(),
                add.column_name().map(|n| n.syntax().clone()),
                add.ty(),
            )?,
        },
        ast::AlterTableAction::DropColumn(drop) => ActionKind::DropColumn {
            table,
            column: ident_in(drop.column_name_ref()?.syntax())?,
        },
        ast::AlterTableAction::RenameColumn(rename) => ActionKind::RenameColumn {
            table,
            from: ident_in(rename.column_name_ref()?.syntax())?,
            to: ident_in(rename.column_name()?.syntax())?,
        },
        ast::AlterTableAction::TableRenameTo(rename) => ActionKind::RenameTable {
            from: table,
            to: last_ident(rename.table_name()?.syntax())?,
        },
        ast::AlterTableAction::AlterColumn(alter) => {
            let column = ident_in(alter.column_name_ref()?.syntax())?;
            match alter.option()? {
                ast::AlterColumnOption::SetType(set) => ActionKind::SetType {
                    table,
                    column,
                    ty: normalise_type(&set.ty()?.syntax().to_string()),
                    ty_sql: set.ty()?.syntax().to_string().trim().to_string(),
                    using: set
                        .using_expr()
                        .and_then(|u| u.expr())
                        .map(|e| e.syntax().to_string()),
                },
                ast::AlterColumnOption::SetNotNull(_) => ActionKind::SetNotNull { table, column },
                _ => return None,
            }
        }
        ast::AlterTableAction::AddConstraint(add) => {
            let constraint = add.constraint()?;
            let node = constraint.syntax();
            let not_valid = constraint.is_not_valid();
            match node.kind() {
                SyntaxKind::FOREIGN_KEY_CONSTRAINT => ActionKind::AddForeignKey {
                    table,
                    foreign_key: foreign_key(node)?,
                    not_valid,
                },
                SyntaxKind::CHECK_CONSTRAINT => ActionKind::AddCheck {
                    table,
                    name: constraint_name(node),
                    expr: ast::CheckConstraint::cast(node.clone())
                        .and_then(|c| c.expr())
                        .map(|e| e.syntax().to_string()),
                    not_valid,
                },
                SyntaxKind::PRIMARY_KEY_CONSTRAINT | SyntaxKind::UNIQUE_CONSTRAINT => {
                    ActionKind::AddKey {
                        table,
                        name: constraint_name(node),
                        columns: key_columns(node),
                        using_index: node
                            .descendants()
                            .any(|n| n.kind() == SyntaxKind::USING_INDEX),
                        primary: node.kind() == SyntaxKind::PRIMARY_KEY_CONSTRAINT,
                    }
                }
                _ => return None,
            }
        }
        ast::AlterTableAction::DropConstraint(drop) => ActionKind::DropConstraint {
            table,
            name: drop.syntax().children().find_map(|n| ident_in(&n))?,
        },
        _ => return None,
    })
}

/// A column definition (in CREATE TABLE or ADD COLUMN) read from its node.
fn column_def(
    node: &SyntaxNode,
    name: Option<SyntaxNode>,
    ty: Option<ast::Type>,
) -> Option<ColumnDef> {
    let name = ident_in(&name?)?;
    let ty = normalise_type(&ty.map(|t| t.syntax().to_string()).unwrap_or_default());
    let serial = matches!(
        ty.as_str(),
        "serial" | "bigserial" | "smallserial" | "serial4" | "serial8" | "serial2"
    );
    let mut def = ColumnDef {
        name,
        not_null: serial,
        default: serial.then_some(DefaultValue::Volatile),
        generated: serial,
        primary_key: false,
        unique: false,
        references: None,
        ty,
    };
    for child in node.children() {
        match child.kind() {
            SyntaxKind::NOT_NULL_CONSTRAINT => def.not_null = true,
            SyntaxKind::DEFAULT_CONSTRAINT => {
                def.default = Some(if is_volatile(&child) {
                    DefaultValue::Volatile
                } else {
                    DefaultValue::Stable
                })
            }
            SyntaxKind::GENERATED_CONSTRAINT => def.generated = true,
            SyntaxKind::PRIMARY_KEY_CONSTRAINT => {
                def.primary_key = true;
                def.not_null = true;
            }
            SyntaxKind::UNIQUE_CONSTRAINT => def.unique = true,
            SyntaxKind::REFERENCES_CONSTRAINT => {
                def.references = child
                    .children()
                    .find(|n| n.kind() == SyntaxKind::TABLE_NAME_REF)
                    .and_then(|t| last_ident(&t))
            }
            _ => {}
        }
    }
    Some(def)
}

/// Functions PostgreSQL evaluates once per row when filling a new column's default, which
/// forces a table rewrite. Everything else Prisma emits (`CURRENT_TIMESTAMP`, constants,
/// casts) is evaluated once.
const VOLATILE_FUNCTIONS: &[&str] = &[
    "gen_random_uuid",
    "uuid_generate_v1",
    "uuid_generate_v1mc",
    "uuid_generate_v4",
    "random",
    "nextval",
    "clock_timestamp",
    "timeofday",
    "txid_current",
    "gen_random_bytes",
    "setseed",
];

fn is_volatile(default: &SyntaxNode) -> bool {
    default
        .descendants()
        .filter(|n| n.kind() == SyntaxKind::CALL_EXPR)
        .filter_map(|call| {
            call.children()
                .find(|n| matches!(n.kind(), SyntaxKind::NAME_REF | SyntaxKind::FIELD_EXPR))
                .and_then(|n| last_ident(&n))
        })
        .any(|f| VOLATILE_FUNCTIONS.contains(&f.as_str()))
}

fn foreign_key(node: &SyntaxNode) -> Option<ForeignKey> {
    let fk = ast::ForeignKeyConstraint::cast(node.clone())?;
    Some(ForeignKey {
        name: constraint_name(node),
        columns: fk
            .from_columns()
            .map(|l| idents_of_kind(l.syntax(), SyntaxKind::COLUMN_NAME_REF))
            .unwrap_or_default(),
        references: last_ident(fk.table_name_ref()?.syntax())?,
        referenced: fk
            .to_columns()
            .map(|l| idents_of_kind(l.syntax(), SyntaxKind::COLUMN_NAME_REF))
            .unwrap_or_default(),
        range: range!(node.text_range()),
    })
}

fn constraint_name(node: &SyntaxNode) -> Option<String> {
    node.children()
        .find(|n| n.kind() == SyntaxKind::CONSTRAINT_NAME_CLAUSE)
        .and_then(|c| last_ident(&c))
}

fn key_columns(node: &SyntaxNode) -> Vec<String> {
    node.children()
        .find(|n| n.kind() == SyntaxKind::INDEX_PARAMETERS)
        .map(|p| idents_of_kind(&p, SyntaxKind::COLUMN_NAME_REF))
        .unwrap_or_default()
}

fn idents_of_kind(node: &SyntaxNode, kind: SyntaxKind) -> Vec<String> {
    node.descendants()
        .filter(|n| n.kind() == kind)
        .filter_map(|n| ident_in(&n))
        .collect()
}

/// The identifier directly inside `node` (its first token that is a name).
fn ident_in(node: &SyntaxNode) -> Option<String> {
    node.descendants_with_tokens()
        .filter_map(|e| e.into_token())
        .find(|t| t.kind() == SyntaxKind::IDENT || t.kind().is_keyword())
        .map(|t| normalise_ident(t.text()))
}

/// The last identifier in `node`: the object name of a possibly schema-qualified path.
fn last_ident(node: &SyntaxNode) -> Option<String> {
    node.descendants_with_tokens()
        .filter_map(|e| e.into_token())
        .filter(|t| t.kind() == SyntaxKind::IDENT || t.kind().is_keyword())
        .last()
        .map(|t| normalise_ident(t.text()))
}

/// `"studentId"` stays `studentId`; `Students` becomes `students`, as PostgreSQL folds it.
pub(crate) fn normalise_ident(text: &str) -> String {
    match text.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
        Some(quoted) => quoted.replace("\"\"", "\""),
        None => text.to_lowercase(),
    }
}

/// A type as comparable text: lower case, no quotes or spaces (`DECIMAL(18, 8)` ->
/// `decimal(18,8)`), with PostgreSQL's spellings of the same type made one.
pub(crate) fn normalise_type(text: &str) -> String {
    // Quoted names keep their case; PostgreSQL folds the rest.
    let mut t = String::with_capacity(text.len());
    let mut quoted = false;
    for c in text.chars() {
        match c {
            '"' => quoted = !quoted,
            c if quoted => t.push(c),
            c if c.is_whitespace() => {
                if !t.is_empty() && !t.ends_with(' ') {
                    t.push(' ');
                }
            }
            c => {
                // No space around punctuation: `numeric (18, 8)` -> `numeric(18,8)`.
                if matches!(c, '(' | ')' | ',' | '[' | ']') && t.ends_with(' ') {
                    t.pop();
                }
                t.extend(c.to_lowercase());
            }
        }
    }
    let t = t
        .trim_end()
        .replace("( ", "(")
        .replace(", ", ",")
        .replace("[ ", "[");
    for (alias, canonical) in [
        ("character varying", "varchar"),
        ("decimal", "numeric"),
        ("int4", "integer"),
        ("int", "integer"),
        ("int8", "bigint"),
        ("int2", "smallint"),
        ("bool", "boolean"),
        ("float8", "double precision"),
        ("float4", "real"),
    ] {
        if let Some(rest) = t.strip_prefix(alias)
            && (rest.is_empty() || rest.starts_with(['(', '[']))
        {
            return format!("{canonical}{rest}");
        }
    }
    t
}

fn line_end(sql: &str, from: usize) -> usize {
    sql[from..].find('\n').map_or(sql.len(), |i| from + i)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(sql: &str) -> Vec<String> {
        analyse(sql)
            .statements
            .iter()
            .flat_map(|s| s.actions.iter().map(|a| format!("{:?}", a.kind)))
            .collect()
    }

    #[test]
    fn reads_prisma_create_table() {
        let k = kinds(
            r#"CREATE TABLE "certificates" (
    "id" TEXT NOT NULL,
    "studentId" TEXT NOT NULL,
    "issuedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "certificates_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "certificates_studentId_idx" ON "public"."certificates"("studentId");
ALTER TABLE "certificates" ADD CONSTRAINT "certificates_studentId_fkey" FOREIGN KEY ("studentId") REFERENCES "students"("id") ON DELETE RESTRICT ON UPDATE CASCADE;"#,
        );
        assert_eq!(k.len(), 3, "{k:#?}");
        assert!(
            k[0].contains(r#"keys: [(Some("certificates_pkey"), ["id"])]"#),
            "{}",
            k[0]
        );
        assert!(k[0].contains(r#"ty: "timestamp(3)""#), "{}", k[0]);
        assert!(
            k[1].contains(r#"columns: ["studentId"], concurrently: false"#),
            "{}",
            k[1]
        );
        assert!(
            k[2].contains(r#"columns: ["studentId"], references: "students""#),
            "{}",
            k[2]
        );
    }

    #[test]
    fn normalises_names_and_types() {
        assert_eq!(normalise_ident(r#""Student""#), "Student");
        assert_eq!(normalise_ident("Student"), "student");
        assert_eq!(normalise_type("DECIMAL(18, 8)"), "numeric(18,8)");
        assert_eq!(normalise_type("character varying(10)"), "varchar(10)");
        assert_eq!(normalise_type("INTEGER"), "integer");
        assert_eq!(normalise_type("interval"), "interval");
        assert_eq!(normalise_type("DOUBLE  PRECISION"), "double precision");
        assert_eq!(normalise_type("\"TransactionType\"[]"), "TransactionType[]");
        assert_eq!(normalise_type("numeric ( 18 , 8 )"), "numeric(18,8)");
    }

    #[test]
    fn volatile_defaults() {
        let k = kinds(
            r#"ALTER TABLE "a" ADD COLUMN "x" UUID NOT NULL DEFAULT gen_random_uuid(), ADD COLUMN "y" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP, ADD COLUMN "z" SERIAL;"#,
        );
        assert!(k[0].contains("Volatile"), "{}", k[0]);
        assert!(k[1].contains("Stable"), "{}", k[1]);
        assert!(
            k[2].contains("Volatile") && k[2].contains("generated: true"),
            "{}",
            k[2]
        );
    }
}
