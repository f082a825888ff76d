//! Parsing tokens into a [`SchemaFile`]. Error tolerant by block: a block that does not parse is
//! reported and skipped to its closing brace, so that one broken model does not hide the
//! datasource (which `migrate` needs) or the other models.

use std::ops::Range;

use super::ast::*;
use super::lexer::{LexError, Spanned, Token, lex};

/// A syntax error at a byte offset of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaSyntaxError {
    pub offset: usize,
    pub message: String,
    /// The block it is in (`datasource db`), when it is in one.
    pub block: Option<(BlockKind, String)>,
}

impl From<LexError> for SchemaSyntaxError {
    fn from(e: LexError) -> SchemaSyntaxError {
        SchemaSyntaxError {
            offset: e.offset,
            message: e.message,
            block: None,
        }
    }
}

/// Parses one file: the blocks that parsed, and an error for each that did not.
pub(super) fn parse(text: &str) -> (SchemaFile, Vec<SchemaSyntaxError>) {
    let tokens = match lex(text) {
        Ok(t) => t,
        Err(e) => {
            // Lex what comes before the bad character, so that blocks above it still count.
            let before = lex(&text[..e.offset]).unwrap_or_default();
            let (file, mut errors) = Parser::new(before, e.offset).file();
            // The bad character is the first thing wrong; what it cut short comes after.
            errors.insert(0, e.into());
            return (file, errors);
        }
    };
    Parser::new(tokens, text.len()).file()
}

struct Parser {
    tokens: Vec<Spanned>,
    pos: usize,
    end: usize,
}

type Result<T> = std::result::Result<T, SchemaSyntaxError>;

impl Parser {
    fn new(tokens: Vec<Spanned>, end: usize) -> Parser {
        Parser {
            tokens,
            pos: 0,
            end,
        }
    }

    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos).map(|s| &s.token)
    }

    fn peek_at(&self, ahead: usize) -> Option<&Token> {
        self.tokens.get(self.pos + ahead).map(|s| &s.token)
    }

    fn offset(&self) -> usize {
        self.tokens.get(self.pos).map_or(self.end, |s| s.span.start)
    }

    fn last_end(&self) -> usize {
        self.pos
            .checked_sub(1)
            .and_then(|i| self.tokens.get(i))
            .map_or(0, |s| s.span.end)
    }

    fn bump(&mut self) -> Option<Spanned> {
        let t = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    fn error(&self, message: impl Into<String>) -> SchemaSyntaxError {
        SchemaSyntaxError {
            offset: self.offset(),
            message: message.into(),
            block: None,
        }
    }

    fn found(&self) -> String {
        self.peek()
            .map_or_else(|| "the end of the file".into(), Token::describe)
    }

    fn expect(&mut self, want: Token, what: &str) -> Result<Range<usize>> {
        if self.peek() == Some(&want) {
            Ok(self.bump().expect("peeked").span)
        } else {
            Err(self.error(format!("expected {what}, found {}", self.found())))
        }
    }

    fn ident(&mut self, what: &str) -> Result<Ident> {
        match self.peek() {
            Some(Token::Ident(_)) => {
                let s = self.bump().expect("peeked");
                let Token::Ident(name) = s.token else {
                    unreachable!()
                };
                Ok(Ident { name, span: s.span })
            }
            _ => Err(self.error(format!("expected {what}, found {}", self.found()))),
        }
    }

    fn skip_newlines(&mut self) {
        while self.peek() == Some(&Token::Newline) {
            self.pos += 1;
        }
    }

    /// Doc comments (and blank lines between them) before an item.
    fn docs(&mut self) -> Vec<String> {
        let mut docs = Vec::new();
        loop {
            match self.peek() {
                Some(Token::Newline) => self.pos += 1,
                Some(Token::Doc(_)) => {
                    if let Some(Spanned {
                        token: Token::Doc(d),
                        ..
                    }) = self.bump()
                    {
                        docs.push(d);
                    }
                }
                _ => return docs,
            }
        }
    }

    fn file(mut self) -> (SchemaFile, Vec<SchemaSyntaxError>) {
        let mut blocks = Vec::new();
        let mut errors = Vec::new();
        loop {
            let doc = self.docs();
            if self.peek().is_none() {
                break;
            }
            let start = self.pos;
            match self.block(doc) {
                Ok(b) => blocks.push(b),
                Err(e) => {
                    errors.push(e);
                    self.recover(start);
                }
            }
        }
        (SchemaFile { blocks }, errors)
    }

    /// After an error in the block that began at token `start`: skip to the brace that closes
    /// it (or, if it never opened one, to the next line).
    fn recover(&mut self, start: usize) {
        self.pos = start;
        let mut depth = 0usize;
        while let Some(t) = self.bump() {
            match t.token {
                Token::LBrace => depth += 1,
                Token::RBrace if depth <= 1 => return,
                Token::RBrace => depth -= 1,
                Token::Newline if depth == 0 => return,
                _ => {}
            }
        }
    }

    fn block(&mut self, doc: Vec<String>) -> Result<Block> {
        let keyword = self.ident("a block (`model`, `enum`, `datasource`, `generator`, `view`)")?;
        let kind = match keyword.name.as_str() {
            "datasource" => BlockKind::Datasource,
            "generator" => BlockKind::Generator,
            "model" => BlockKind::Model,
            "view" => BlockKind::View,
            "enum" => BlockKind::Enum,
            "type" => BlockKind::Type,
            other => {
                return Err(SchemaSyntaxError {
                    offset: keyword.span.start,
                    message: format!(
                        "unknown block type `{other}`: expected `model`, `enum`, `view`, `type`, `datasource` or `generator`"
                    ),
                    block: None,
                });
            }
        };
        let name = self.ident(&format!("the name of the {}", kind.keyword()))?;
        let in_block = |mut e: SchemaSyntaxError| {
            e.block = Some((kind, name.name.clone()));
            e
        };
        self.expect(Token::LBrace, "`{`").map_err(in_block)?;
        let mut items = Vec::new();
        loop {
            let item_doc = self.docs();
            match self.peek() {
                Some(Token::RBrace) => {
                    let end = self.bump().expect("peeked").span.end;
                    return Ok(Block {
                        kind,
                        name,
                        doc,
                        items,
                        span: keyword.span.start..end,
                    });
                }
                None => {
                    return Err(in_block(SchemaSyntaxError {
                        offset: keyword.span.start,
                        message: format!(
                            "the {} `{}` is never closed: add `}}`",
                            kind.keyword(),
                            name.name
                        ),
                        block: None,
                    }));
                }
                _ => {}
            }
            let item = self.item(kind, item_doc).map_err(in_block)?;
            items.push(item);
            self.end_of_line().map_err(in_block)?;
        }
    }

    fn end_of_line(&mut self) -> Result<()> {
        match self.peek() {
            Some(Token::Newline) => {
                self.pos += 1;
                Ok(())
            }
            Some(Token::RBrace) | None => Ok(()),
            Some(Token::Doc(_)) => Ok(()),
            _ => Err(self.error(format!(
                "expected the end of the line, found {}",
                self.found()
            ))),
        }
    }

    fn item(&mut self, kind: BlockKind, doc: Vec<String>) -> Result<Item> {
        if self.peek() == Some(&Token::AtAt) {
            let start = self.offset();
            self.pos += 1;
            return Ok(Item::BlockAttribute(self.attribute_body(start)?));
        }
        match kind {
            BlockKind::Datasource | BlockKind::Generator => {
                let key = self.ident("a setting name")?;
                self.expect(Token::Equals, &format!("`=` after `{}`", key.name))?;
                let value = self.expr()?;
                Ok(Item::Property { key, value })
            }
            BlockKind::Enum => {
                let name = self.ident("an enum value")?;
                let attributes = self.attributes()?;
                Ok(Item::EnumValue {
                    name,
                    attributes,
                    doc,
                })
            }
            BlockKind::Model | BlockKind::View | BlockKind::Type => {
                let name = self.ident("a field name")?;
                let start = name.span.start;
                let ty = self.field_type(&name.name)?;
                let attributes = self.attributes()?;
                Ok(Item::Field(Field {
                    name,
                    ty,
                    attributes,
                    doc,
                    span: start..self.last_end(),
                }))
            }
        }
    }

    fn field_type(&mut self, field: &str) -> Result<FieldType> {
        if matches!(self.peek(), Some(Token::Newline | Token::RBrace) | None) {
            return Err(self.error(format!(
                "the field `{field}` has no type: write e.g. `{field} String`"
            )));
        }
        let name = self.ident(&format!("the type of the field `{field}`"))?;
        let mut unsupported = None;
        if name.name == "Unsupported" && self.peek() == Some(&Token::LParen) {
            self.pos += 1;
            match self.bump() {
                Some(Spanned {
                    token: Token::Str(s),
                    ..
                }) => unsupported = Some(s),
                _ => {
                    self.pos -= 1;
                    return Err(self.error("expected a string: `Unsupported(\"type\")`"));
                }
            }
            self.expect(Token::RParen, "`)`")?;
        }
        let arity = match self.peek() {
            Some(Token::Question) => {
                self.pos += 1;
                Arity::Optional
            }
            Some(Token::LBracket) => {
                self.pos += 1;
                self.expect(Token::RBracket, "`]` (a list type is written `Type[]`)")?;
                if self.peek() == Some(&Token::Question) {
                    return Err(self.error(
                        "optional lists are not supported: write `Type[]` (a list can be empty)",
                    ));
                }
                Arity::List
            }
            _ => Arity::Required,
        };
        Ok(FieldType {
            name,
            unsupported,
            arity,
        })
    }

    fn attributes(&mut self) -> Result<Vec<Attribute>> {
        let mut out = Vec::new();
        loop {
            match self.peek() {
                Some(Token::At) => {
                    let start = self.offset();
                    self.pos += 1;
                    out.push(self.attribute_body(start)?);
                }
                Some(Token::AtAt) => {
                    return Err(self.error(
                        "a block attribute (`@@...`) must be on a line of its own, after the fields",
                    ));
                }
                _ => return Ok(out),
            }
        }
    }

    /// After `@` or `@@` (at `start`): `name(.name)*` and optional arguments.
    fn attribute_body(&mut self, start: usize) -> Result<Attribute> {
        let name = self.path("an attribute name")?;
        let args = if self.peek() == Some(&Token::LParen) {
            self.args()?
        } else {
            Vec::new()
        };
        Ok(Attribute {
            name,
            args,
            span: start..self.last_end(),
        })
    }

    fn path(&mut self, what: &str) -> Result<String> {
        let mut name = self.ident(what)?.name;
        while self.peek() == Some(&Token::Dot) {
            self.pos += 1;
            name.push('.');
            name.push_str(&self.ident("a name after `.`")?.name);
        }
        Ok(name)
    }

    /// `( arg, name: arg, ... )`; newlines are allowed inside.
    fn args(&mut self) -> Result<Vec<Arg>> {
        let open = self.expect(Token::LParen, "`(`")?;
        let mut args = Vec::new();
        loop {
            self.skip_newlines();
            if self.peek() == Some(&Token::RParen) {
                self.pos += 1;
                return Ok(args);
            }
            if self.peek().is_none() {
                return Err(SchemaSyntaxError {
                    offset: open.start,
                    message: "`(` is never closed".into(),
                    block: None,
                });
            }
            let name = if matches!(self.peek(), Some(Token::Ident(_)))
                && self.peek_at(1) == Some(&Token::Colon)
            {
                let n = self.ident("an argument name")?;
                self.pos += 1;
                Some(n)
            } else {
                None
            };
            self.skip_newlines();
            let value = self.expr()?;
            args.push(Arg { name, value });
            self.skip_newlines();
            match self.peek() {
                Some(Token::Comma) => self.pos += 1,
                Some(Token::RParen) => {}
                _ => {
                    return Err(self.error(format!("expected `,` or `)`, found {}", self.found())));
                }
            }
        }
    }

    fn expr(&mut self) -> Result<Expr> {
        let start = self.offset();
        let kind = match self.peek() {
            Some(Token::Str(_)) => match self.bump().map(|s| s.token) {
                Some(Token::Str(s)) => ExprKind::Str(s),
                _ => unreachable!(),
            },
            Some(Token::Number(_)) => match self.bump().map(|s| s.token) {
                Some(Token::Number(n)) => ExprKind::Number(n),
                _ => unreachable!(),
            },
            Some(Token::LBracket) => {
                self.pos += 1;
                let mut items = Vec::new();
                loop {
                    self.skip_newlines();
                    if self.peek() == Some(&Token::RBracket) {
                        self.pos += 1;
                        break;
                    }
                    if self.peek().is_none() {
                        return Err(SchemaSyntaxError {
                            offset: start,
                            message: "`[` is never closed".into(),
                            block: None,
                        });
                    }
                    items.push(self.expr()?);
                    self.skip_newlines();
                    match self.peek() {
                        Some(Token::Comma) => self.pos += 1,
                        Some(Token::RBracket) => {}
                        _ => {
                            return Err(
                                self.error(format!("expected `,` or `]`, found {}", self.found()))
                            );
                        }
                    }
                }
                ExprKind::Array(items)
            }
            Some(Token::Ident(_)) => {
                let name = self.path("a value")?;
                if self.peek() == Some(&Token::LParen) {
                    ExprKind::Call {
                        name,
                        args: self.args()?,
                    }
                } else {
                    ExprKind::Path(name)
                }
            }
            _ => {
                return Err(self.error(format!("expected a value, found {}", self.found())));
            }
        };
        Ok(Expr {
            kind,
            span: start..self.last_end(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCHEMA: &str = r#"
/// The datasource
datasource db {
  provider  = "postgresql"
  url       = env("EDU_DB")
  directUrl = env("EDU_DIRECT")
  schemas   = ["edu", "audit"]
}

generator client {
  provider        = "prisma-client-js"
  previewFeatures = ["multiSchema"]
}

/// A student
model Student {
  id        Int      @id @default(autoincrement())
  email     String   @unique @db.VarChar(200)
  tags      String[]
  grade     Decimal? @db.Decimal(5, 2)
  blob      Unsupported("tsvector")?
  createdAt DateTime @default(now()) @map("created_at")

  @@index([email(sort: Desc), grade], type: BTree)
  @@map("students")
  @@schema("edu")
}

enum Role {
  ADMIN @map("admin")
  USER
}
"#;

    #[test]
    fn parses_every_kind_of_item() {
        let (file, errors) = parse(SCHEMA);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(file.blocks.len(), 4);
        let ds = &file.blocks[0];
        assert_eq!(ds.kind, BlockKind::Datasource);
        assert_eq!(ds.doc, vec!["The datasource".to_string()]);
        let Item::Property { key, value } = &ds.items[1] else {
            panic!()
        };
        assert_eq!(key.name, "url");
        let ExprKind::Call { name, args } = &value.kind else {
            panic!()
        };
        assert_eq!(
            (name.as_str(), args[0].value.as_str()),
            ("env", Some("EDU_DB"))
        );
        assert_eq!(&SCHEMA[value.span.clone()], "env(\"EDU_DB\")");
        let model = &file.blocks[2];
        let fields: Vec<&Field> = model
            .items
            .iter()
            .filter_map(|i| match i {
                Item::Field(f) => Some(f),
                _ => None,
            })
            .collect();
        assert_eq!(fields.len(), 6);
        assert_eq!(fields[2].ty.arity, Arity::List);
        assert_eq!(fields[3].ty.arity, Arity::Optional);
        assert_eq!(fields[3].attributes[0].name, "db.Decimal");
        assert_eq!(fields[4].ty.unsupported.as_deref(), Some("tsvector"));
        let index = model
            .items
            .iter()
            .find_map(|i| match i {
                Item::BlockAttribute(a) if a.name == "index" => Some(a),
                _ => None,
            })
            .unwrap();
        assert_eq!(index.arg("type", false).unwrap().as_path(), Some("BTree"));
        assert_eq!(index.arg("fields", true).unwrap().elements().len(), 2);
    }

    #[test]
    fn a_broken_model_does_not_hide_the_datasource() {
        let text = "model A {\n  id Int @id(\n}\n\ndatasource db {\n  url = env(\"X\")\n}\n";
        let (file, errors) = parse(text);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].block, Some((BlockKind::Model, "A".into())));
        assert_eq!(file.blocks.len(), 1);
        assert_eq!(file.blocks[0].kind, BlockKind::Datasource);
    }

    #[test]
    fn errors_point_at_the_token() {
        let text = "datasource db {\n  url env(\"X\")\n}\n";
        let (_, errors) = parse(text);
        assert_eq!(errors[0].offset, text.find("env").unwrap());
        assert!(errors[0].message.contains("expected `=` after `url`"));
    }
}
