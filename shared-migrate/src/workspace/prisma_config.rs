//! Prisma 7's `prisma.config.ts`, read statically (no Node): the object given to
//! `export default defineConfig({...})` (or `export default {...}`, or a `const` exported by
//! name), and in it `schema`, `migrations.path`, `datasource.url` and `datasource.directUrl`.
//!
//! Values it understands: string and plain template literals, `env("NAME")` (from
//! `prisma/config`), `process.env.NAME` / `process.env["NAME"]` (with `!`, or with
//! `?? "default"`), `path.join`/`path.resolve`/`join`/`resolve` of those, `__dirname`,
//! `import.meta.dirname`, `process.cwd()`, and `const` names declared at the top of the file.
//! Anything else is kept as [`ConfigValue::Dynamic`]: an error only if it is needed, naming the
//! line and what to set instead.

use std::collections::HashMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

use crate::error::{Error, Location, snippet, utf8_text};

/// The file names Prisma looks for in a project directory, in its order.
pub(crate) const FILE_NAMES: &[&str] = &[
    "prisma.config.ts",
    "prisma.config.mts",
    "prisma.config.cts",
    "prisma.config.js",
    "prisma.config.mjs",
    "prisma.config.cjs",
    ".config/prisma.ts",
    ".config/prisma.mts",
    ".config/prisma.cts",
    ".config/prisma.js",
    ".config/prisma.mjs",
    ".config/prisma.cjs",
];

/// A value of the configuration as far as it can be known without running it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ConfigValue {
    Str(String),
    /// An environment variable, then the others `||` / `??` fall back to in order, then the
    /// default a string at the end gives.
    Env {
        var: String,
        default: Option<String>,
        fallbacks: Vec<String>,
    },
    /// Written in a form only running the file would tell: its source text.
    Dynamic(String),
}

/// A value and where it is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Located {
    pub value: ConfigValue,
    pub at: Location,
    /// The line, for error messages.
    pub snippet: String,
}

impl Located {
    /// The value as a path relative to `base`, or an error saying to write a literal.
    pub(crate) fn path(&self, key: &str, base: &Path) -> Result<PathBuf, Error> {
        match &self.value {
            ConfigValue::Str(s) => Ok(normalise(&base.join(s))),
            other => Err(self.not_static(
                key,
                match other {
                    ConfigValue::Env { var, .. } => {
                        format!("it depends on the environment variable {var}")
                    }
                    _ => "it is computed when the file runs".to_string(),
                },
                "write it as a string literal (relative to the config file's directory)",
            )),
        }
    }

    /// An error: `key` cannot be read statically, and what to do instead.
    pub(crate) fn not_static(&self, key: &str, why: String, instead: &str) -> Error {
        Error::Schema {
            at: self.at.clone(),
            message: format!("`{key}` cannot be read without running the file ({why}): {instead}"),
            snippet: self.snippet.clone(),
        }
    }
}

/// What `prisma.config.ts` says that matters here.
#[derive(Debug, Clone, Default)]
pub(crate) struct PrismaConfig {
    pub path: PathBuf,
    pub schema: Option<Located>,
    pub migrations_path: Option<Located>,
    pub url: Option<Located>,
    pub direct_url: Option<Located>,
    pub shadow_url: Option<Located>,
    /// `migrations.seed`: the seed command (Prisma 7; read by 6.x too).
    pub seed: Option<Located>,
    /// `tables.external` and `enums.external`: objects another tool manages, left out of
    /// drift and generation (names, `schema.name` when qualified).
    pub external_tables: Vec<String>,
    pub external_enums: Vec<String>,
    /// The `.env` files the file's own code loads (Prisma 7 loads none itself):
    /// `import "dotenv/config"`, dotenv's `config({ path })`, `process.loadEnvFile(path)`.
    /// Relative paths start where Prisma runs, the package directory.
    pub env_files: Vec<PathBuf>,
}

impl PrismaConfig {
    /// The config file of the project in `dir`, if it has one.
    pub(crate) fn find(dir: &Path) -> Option<PathBuf> {
        FILE_NAMES.iter().map(|n| dir.join(n)).find(|p| p.is_file())
    }

    pub(crate) fn read(path: &Path) -> Result<PrismaConfig, Error> {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        let text = utf8_text(path, bytes)?;
        parse(path, &text)
    }
}

pub(crate) fn parse(path: &Path, text: &str) -> Result<PrismaConfig, Error> {
    let tokens = lex(text);
    let dir = path.parent().unwrap_or(Path::new(".")).to_path_buf();
    let mut reader = Reader {
        tokens: &tokens,
        pos: 0,
        text,
        path,
        dir,
        consts: HashMap::new(),
    };
    let value = reader.exported()?;
    let env_files = reader.env_files();
    let mut config = PrismaConfig {
        path: path.to_path_buf(),
        env_files,
        ..PrismaConfig::default()
    };
    let Some(value) = value else {
        return Err(Error::Schema {
            at: Location::of_offset(path, text.as_bytes(), 0),
            message: "no `export default defineConfig({...})` (or `module.exports = ...`) found: Prisma reads its configuration from the default export".into(),
            snippet: snippet(text, &Location::of_offset(path, text.as_bytes(), 0)),
        });
    };
    let located = |v: &Node| reader.located(v);
    if let Value::Object(fields) = &value.kind {
        for (key, v) in fields {
            match (key.as_str(), &v.kind) {
                ("schema", _) => config.schema = Some(located(v)),
                ("migrations", Value::Object(m)) => {
                    if let Some((_, p)) = m.iter().find(|(k, _)| k == "path") {
                        config.migrations_path = Some(located(p));
                    }
                    if let Some((_, p)) = m.iter().find(|(k, _)| k == "seed") {
                        config.seed = Some(located(p));
                    }
                }
                ("datasource", Value::Object(d)) => {
                    for (k, v) in d {
                        match k.as_str() {
                            "url" => config.url = Some(located(v)),
                            "directUrl" => config.direct_url = Some(located(v)),
                            "shadowDatabaseUrl" => config.shadow_url = Some(located(v)),
                            _ => {}
                        }
                    }
                }
                ("tables" | "enums", Value::Object(o)) => {
                    if let Some((_, list)) = o.iter().find(|(k, _)| k == "external")
                        && let Value::List(names) = &list.kind
                    {
                        match key.as_str() {
                            "tables" => config.external_tables = names.clone(),
                            _ => config.external_enums = names.clone(),
                        }
                    }
                }
                ("migrations" | "datasource", _) => {
                    let l = located(v);
                    return Err(l.not_static(
                        key,
                        "it is not an object literal".into(),
                        "write it as `{ ... }` in the file",
                    ));
                }
                _ => {}
            }
        }
    } else {
        let l = located(&value);
        return Err(l.not_static(
            "export default",
            "it is not an object literal".into(),
            "export `defineConfig({ ... })` with the settings written out",
        ));
    }
    Ok(config)
}

/// `a/./b/../c` as `a/c`, without asking the file system: what Node's `path.resolve` gives,
/// and what messages should show.
fn normalise(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for c in path.components() {
        match (c, out.components().next_back()) {
            (Component::CurDir, _) => {}
            (Component::ParentDir, Some(Component::Normal(_))) => {
                out.pop();
            }
            // Above the root is the root.
            (Component::ParentDir, Some(Component::RootDir)) => {}
            (other, _) => out.push(other),
        }
    }
    out
}

// --- tokens ---------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Str(String),
    /// A template literal; `None` when it has `${...}` substitutions.
    Template(Option<String>),
    Number,
    Punct(&'static str),
    Other(char),
}

#[derive(Debug, Clone)]
struct Token {
    tok: Tok,
    span: Range<usize>,
}

const PUNCTS: &[&str] = &[
    "...", "??", "||", "&&", "=>", "?.", "===", "!==", "==", "!=", "{", "}", "(", ")", "[", "]",
    ",", ":", ";", ".", "=", "<", ">", "?", "!", "+", "*", "/", "-", "|", "&",
];

fn lex(text: &str) -> Vec<Token> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let start = i;
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        if text[i..].starts_with("//") {
            i = text[i..].find('\n').map_or(text.len(), |n| i + n);
            continue;
        }
        if text[i..].starts_with("/*") {
            i = text[i + 2..]
                .find("*/")
                .map_or(text.len(), |n| i + 2 + n + 2);
            continue;
        }
        let tok = if c == b'"' || c == b'\'' {
            let (value, end) = quoted(text, i, c as char);
            i = end;
            Tok::Str(value)
        } else if c == b'`' {
            let (value, end) = quoted(text, i, '`');
            i = end;
            let raw = &text[start..end];
            Tok::Template((!raw.contains("${")).then_some(value))
        } else if c.is_ascii_alphabetic() || c == b'_' || c == b'$' {
            while i < bytes.len()
                && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_' || bytes[i] == b'$')
            {
                i += 1;
            }
            Tok::Ident(text[start..i].to_string())
        } else if c.is_ascii_digit() {
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'.') {
                i += 1;
            }
            Tok::Number
        } else if let Some(p) = PUNCTS.iter().find(|p| text[i..].starts_with(**p)) {
            i += p.len();
            Tok::Punct(p)
        } else {
            let ch = text[i..].chars().next().unwrap_or(' ');
            i += ch.len_utf8();
            Tok::Other(ch)
        };
        out.push(Token {
            tok,
            span: start..i,
        });
    }
    out
}

/// A quoted literal starting at `start` (the quote): its value and the byte after it.
fn quoted(text: &str, start: usize, quote: char) -> (String, usize) {
    let mut value = String::new();
    let mut chars = text[start + 1..].char_indices();
    while let Some((i, c)) = chars.next() {
        if c == quote {
            return (value, start + 1 + i + 1);
        }
        if c == '\\' {
            match chars.next() {
                Some((_, 'n')) => value.push('\n'),
                Some((_, 't')) => value.push('\t'),
                Some((_, other)) => value.push(other),
                None => break,
            }
        } else {
            value.push(c);
        }
    }
    (value, text.len())
}

// --- values ---------------------------------------------------------------------------------

#[derive(Debug, Clone)]
enum Value {
    Str(String),
    Env {
        var: String,
        default: Option<String>,
        fallbacks: Vec<String>,
    },
    Object(Vec<(String, Node)>),
    /// An array literal of strings (`tables.external`); anything else in it is dropped.
    List(Vec<String>),
    /// A directory: `__dirname`, `import.meta.dirname`, `process.cwd()`.
    Dir,
    Dynamic,
}

#[derive(Debug, Clone)]
struct Node {
    kind: Value,
    span: Range<usize>,
}

struct Reader<'a> {
    tokens: &'a [Token],
    pos: usize,
    text: &'a str,
    path: &'a Path,
    dir: PathBuf,
    /// Top-level `const NAME = ...`.
    consts: HashMap<String, Node>,
}

impl Reader<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.tokens.get(self.pos).map(|t| &t.tok)
    }

    fn peek_at(&self, n: usize) -> Option<&Tok> {
        self.tokens.get(self.pos + n).map(|t| &t.tok)
    }

    fn is(&self, p: &str) -> bool {
        matches!(self.peek(), Some(Tok::Punct(q)) if *q == p)
    }

    fn is_ident(&self, name: &str) -> bool {
        matches!(self.peek(), Some(Tok::Ident(n)) if n == name)
    }

    fn start(&self) -> usize {
        self.tokens
            .get(self.pos)
            .map_or(self.text.len(), |t| t.span.start)
    }

    fn last_end(&self) -> usize {
        self.pos
            .checked_sub(1)
            .and_then(|i| self.tokens.get(i))
            .map_or(0, |t| t.span.end)
    }

    fn located(&self, node: &Node) -> Located {
        let at = Location::of_offset(self.path, self.text.as_bytes(), node.span.start);
        let value = match &node.kind {
            Value::Str(s) => ConfigValue::Str(s.clone()),
            Value::Env {
                var,
                default,
                fallbacks,
            } => ConfigValue::Env {
                fallbacks: fallbacks.clone(),
                var: var.clone(),
                default: default.clone(),
            },
            _ => ConfigValue::Dynamic(self.text[node.span.clone()].to_string()),
        };
        Located {
            value,
            snippet: snippet(self.text, &at),
            at,
        }
    }

    /// Walks the top level: records `const`s, returns the default export's value.
    fn exported(&mut self) -> Result<Option<Node>, Error> {
        let mut depth = 0usize;
        while let Some(tok) = self.peek().cloned() {
            match tok {
                Tok::Punct("{" | "(" | "[") => {
                    depth += 1;
                    self.pos += 1;
                }
                Tok::Punct("}" | ")" | "]") => {
                    depth = depth.saturating_sub(1);
                    self.pos += 1;
                }
                Tok::Ident(word) if depth == 0 => match word.as_str() {
                    "const" | "let" | "var" => {
                        self.pos += 1;
                        if let Some(Tok::Ident(name)) = self.peek().cloned() {
                            self.pos += 1;
                            if self.is(":") {
                                self.pos += 1;
                                self.skip_type();
                            }
                            if self.is("=") {
                                self.pos += 1;
                                let value = self.expr();
                                self.consts.insert(name, value);
                            }
                        }
                    }
                    "export" if matches!(self.peek_at(1), Some(Tok::Ident(d)) if d == "default") => {
                        self.pos += 2;
                        return Ok(Some(self.expr()));
                    }
                    "module"
                        if self.peek_at(1) == Some(&Tok::Punct("."))
                            && matches!(self.peek_at(2), Some(Tok::Ident(e)) if e == "exports")
                            && self.peek_at(3) == Some(&Tok::Punct("=")) =>
                    {
                        self.pos += 4;
                        return Ok(Some(self.expr()));
                    }
                    _ => self.pos += 1,
                },
                _ => self.pos += 1,
            }
        }
        Ok(None)
    }

    /// Skips a type annotation: up to `=`, `,`, `)`, `;` or `}` outside brackets.
    fn skip_type(&mut self) {
        let mut depth = 0usize;
        while let Some(tok) = self.peek() {
            match tok {
                Tok::Punct("<" | "(" | "[" | "{") => depth += 1,
                Tok::Punct(">" | ")" | "]" | "}") if depth > 0 => depth -= 1,
                Tok::Punct("=" | "," | ")" | ";" | "}") if depth == 0 => return,
                _ => {}
            }
            self.pos += 1;
        }
    }

    /// An expression, with `as T`, `satisfies T`, `!` and `?? default` after it.
    fn expr(&mut self) -> Node {
        let start = self.start();
        let mut node = self.primary();
        loop {
            if self.is("!") {
                self.pos += 1;
            } else if self.is_ident("as") || self.is_ident("satisfies") {
                self.pos += 1;
                self.skip_type();
            } else if self.is("??") || self.is("||") {
                self.pos += 1;
                let fallback = self.primary();
                node.kind = match (node.kind, fallback.kind) {
                    (
                        Value::Env {
                            var,
                            default: None,
                            fallbacks,
                        },
                        Value::Str(d),
                    ) => Value::Env {
                        var,
                        default: Some(d),
                        fallbacks,
                    },
                    // `process.env.A || process.env.B`: the first that is set.
                    (
                        Value::Env {
                            var,
                            default: None,
                            mut fallbacks,
                        },
                        Value::Env {
                            var: next,
                            default,
                            fallbacks: more,
                        },
                    ) => {
                        fallbacks.push(next);
                        fallbacks.extend(more);
                        Value::Env {
                            var,
                            default,
                            fallbacks,
                        }
                    }
                    _ => Value::Dynamic,
                };
            } else if matches!(
                self.peek(),
                Some(Tok::Punct("," | "}" | ")" | "]" | ";")) | None
            ) {
                break;
            } else {
                // An operator we do not evaluate: the rest of the expression is dynamic.
                self.skip_rest();
                node.kind = Value::Dynamic;
                break;
            }
        }
        node.span = start..self.last_end().max(start);
        node
    }

    /// The `.env` files the file loads, wherever in it (see [`PrismaConfig::env_files`]). A
    /// path only running the file would tell counts as the loader's default, `.env`.
    fn env_files(&mut self) -> Vec<PathBuf> {
        // Prisma runs in the package directory; `.config/prisma.ts` sits one below it.
        let package = match self.dir.file_name() {
            Some(n) if n == ".config" => self.dir.parent().unwrap_or(&self.dir).to_path_buf(),
            _ => self.dir.clone(),
        };
        let is_module =
            |t: &Tok, names: &[&str]| matches!(t, Tok::Str(s) if names.contains(&s.as_str()));
        let imports_dotenv = self
            .tokens
            .iter()
            .any(|t| is_module(&t.tok, &["dotenv", "@dotenvx/dotenvx"]));
        let mut found = Vec::new();
        let ident = |i: usize| match self.tokens.get(i).map(|t| &t.tok) {
            Some(Tok::Ident(n)) => Some(n.clone()),
            _ => None,
        };
        for i in 0..self.tokens.len() {
            let tok = &self.tokens[i].tok;
            let after = self.tokens.get(i + 1).map(|t| &t.tok);
            // `import "dotenv/config"`, `require("dotenv/config")` (or dotenvx's)
            if is_module(tok, &["dotenv/config", "@dotenvx/dotenvx/config"]) {
                let before = i
                    .checked_sub(1)
                    .and_then(|j| self.tokens.get(j))
                    .map(|t| &t.tok);
                let side_effect = matches!(before, Some(Tok::Ident(w)) if w == "import")
                    || matches!(before, Some(Tok::Punct("(")));
                if side_effect {
                    found.push(package.join(".env"));
                }
                continue;
            }
            let Some(name) = ident(i) else { continue };
            if after != Some(&Tok::Punct("(")) {
                continue;
            }
            let receiver = i
                .checked_sub(1)
                .filter(|&j| self.tokens[j].tok == Tok::Punct("."))
                .map(|j| j.checked_sub(1).map(|k| &self.tokens[k].tok));
            let loader = match name.as_str() {
                // process.loadEnvFile(path?), or imported from node:process
                "loadEnvFile" => true,
                // dotenv.config(), require("dotenv").config(), or `config` imported from it
                "config" => match receiver {
                    None => imports_dotenv,
                    Some(Some(Tok::Ident(r))) => r == "dotenv" || r == "dotenvx",
                    Some(Some(Tok::Punct(")"))) => imports_dotenv,
                    Some(_) => false,
                },
                _ => false,
            };
            if !loader {
                continue;
            }
            self.pos = i + 2;
            let mut paths = Vec::new();
            if !self.is(")") {
                let arg = self.expr();
                let value = match arg.kind {
                    Value::Object(fields) => fields
                        .into_iter()
                        .find(|(k, _)| k == "path")
                        .map(|(_, v)| v.kind),
                    other => Some(other),
                };
                match value {
                    Some(Value::Str(p)) => paths.push(p),
                    Some(Value::List(list)) => paths.extend(list),
                    _ => {}
                }
            }
            if paths.is_empty() {
                paths.push(".env".into());
            }
            found.extend(paths.into_iter().map(|p| normalise(&package.join(p))));
        }
        found.dedup();
        found
    }

    fn skip_rest(&mut self) {
        let mut depth = 0usize;
        while let Some(tok) = self.peek() {
            match tok {
                Tok::Punct("(" | "[" | "{") => depth += 1,
                Tok::Punct(")" | "]" | "}") if depth == 0 => return,
                Tok::Punct(")" | "]" | "}") => depth -= 1,
                Tok::Punct("," | ";") if depth == 0 => return,
                _ => {}
            }
            self.pos += 1;
        }
    }

    fn primary(&mut self) -> Node {
        let start = self.start();
        let kind = match self.peek().cloned() {
            Some(Tok::Str(s)) | Some(Tok::Template(Some(s))) => {
                self.pos += 1;
                Value::Str(s)
            }
            Some(Tok::Punct("{")) => self.object(),
            Some(Tok::Punct("[")) => self.list(),
            Some(Tok::Punct("(")) => {
                // A parenthesised expression, or an arrow function's parameters.
                self.pos += 1;
                let inner = self.expr();
                if self.is(")") {
                    self.pos += 1;
                }
                if self.is("=>") {
                    self.skip_rest();
                    Value::Dynamic
                } else {
                    inner.kind
                }
            }
            Some(Tok::Ident(_)) => self.reference(),
            _ => {
                self.skip_rest();
                Value::Dynamic
            }
        };
        Node {
            kind,
            span: start..self.last_end().max(start),
        }
    }

    /// A name, a member chain, or a call.
    fn reference(&mut self) -> Value {
        let mut path = Vec::new();
        while let Some(Tok::Ident(name)) = self.peek().cloned() {
            self.pos += 1;
            path.push(name);
            if self.is(".") || self.is("?.") {
                self.pos += 1;
            } else if self.is("[") {
                // process.env["NAME"]
                if let (Some(Tok::Str(key)), Some(Tok::Punct("]"))) =
                    (self.peek_at(1).cloned(), self.peek_at(2))
                {
                    self.pos += 3;
                    path.push(key);
                }
                break;
            } else {
                break;
            }
        }
        if self.is("<") {
            // Type arguments: env<Env>("X"), defineConfig<...>(...)
            self.pos += 1;
            let mut depth = 1;
            while depth > 0 && self.peek().is_some() {
                match self.peek() {
                    Some(Tok::Punct("<")) => depth += 1,
                    Some(Tok::Punct(">")) => depth -= 1,
                    _ => {}
                }
                self.pos += 1;
            }
        }
        let dotted = path.join(".");
        if self.is("(") {
            self.pos += 1;
            let mut args = Vec::new();
            while !self.is(")") && self.peek().is_some() {
                let before = self.pos;
                args.push(self.expr());
                if self.is(",") {
                    self.pos += 1;
                } else if self.pos == before {
                    // Not an argument (`f(]`): give up on the call.
                    break;
                }
            }
            self.pos += 1;
            return self.call(&dotted, args);
        }
        match path.as_slice() {
            [p, e, var] if p == "process" && e == "env" => Value::Env {
                var: var.clone(),
                default: None,
                fallbacks: Vec::new(),
            },
            [d] if d == "__dirname" => Value::Dir,
            [i, m, d] if i == "import" && m == "meta" && d == "dirname" => Value::Dir,
            [name] => self
                .consts
                .get(name)
                .map_or(Value::Dynamic, |n| n.kind.clone()),
            _ => Value::Dynamic,
        }
    }

    fn call(&self, name: &str, args: Vec<Node>) -> Value {
        match name {
            "env" => match args.as_slice() {
                [
                    Node {
                        kind: Value::Str(var),
                        ..
                    },
                ] => Value::Env {
                    var: var.clone(),
                    default: None,
                    fallbacks: Vec::new(),
                },
                _ => Value::Dynamic,
            },
            "defineConfig" => args.into_iter().next().map_or(Value::Dynamic, |a| a.kind),
            "process.cwd" => Value::Dir,
            "path.join" | "join" | "path.resolve" | "resolve" | "path.posix.join" => {
                let mut out = PathBuf::new();
                for a in args {
                    match a.kind {
                        Value::Str(s) => out.push(s),
                        Value::Dir => out.push(&self.dir),
                        _ => return Value::Dynamic,
                    }
                }
                // Relative to the config file's directory either way.
                match out.strip_prefix(&self.dir) {
                    Ok(rel) => Value::Str(rel.to_string_lossy().into_owned()),
                    Err(_) => Value::Str(out.to_string_lossy().into_owned()),
                }
            }
            _ => Value::Dynamic,
        }
    }

    fn list(&mut self) -> Value {
        self.pos += 1; // [
        let mut items = Vec::new();
        while !self.is("]") && self.peek().is_some() {
            let before = self.pos;
            if let Value::Str(s) = self.expr().kind {
                items.push(s);
            }
            // Past the comma, or past what was not an expression (no endless loop).
            if self.is(",") || self.pos == before {
                self.pos += 1;
            }
        }
        self.pos += 1; // ]
        Value::List(items)
    }

    fn object(&mut self) -> Value {
        self.pos += 1; // {
        let mut fields = Vec::new();
        loop {
            match self.peek().cloned() {
                None => break,
                Some(Tok::Punct("}")) => {
                    self.pos += 1;
                    break;
                }
                Some(Tok::Punct(",")) => self.pos += 1,
                Some(Tok::Punct("...")) => {
                    // A spread: its keys stay unknown (a key written out still counts).
                    self.pos += 1;
                    self.expr();
                }
                Some(Tok::Ident(key)) | Some(Tok::Str(key)) => {
                    let key_start = self.start();
                    self.pos += 1;
                    if self.is(":") {
                        self.pos += 1;
                        let value = self.expr();
                        fields.push((key, value));
                    } else if self.is("(") {
                        // A method: its body is code.
                        self.skip_rest();
                    } else {
                        // Shorthand `{ schema }`: the const of that name.
                        let kind = self
                            .consts
                            .get(&key)
                            .map_or(Value::Dynamic, |n| n.kind.clone());
                        fields.push((
                            key,
                            Node {
                                kind,
                                span: key_start..self.last_end(),
                            },
                        ));
                    }
                }
                _ => {
                    self.skip_rest();
                    if !self.is("}") && self.peek().is_some() && !self.is(",") {
                        self.pos += 1;
                    }
                }
            }
        }
        Value::Object(fields)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(text: &str) -> PrismaConfig {
        parse(Path::new("/svc/prisma.config.ts"), text).unwrap()
    }

    #[test]
    fn reads_the_documented_form() {
        let c = config(
            r#"import "dotenv/config";
import { defineConfig, env } from "prisma/config";

export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: {
    path: "prisma/migrations",
    seed: "tsx prisma/seed.ts",
  },
  datasource: {
    url: env("DATABASE_URL"),
    directUrl: process.env.DIRECT_URL ?? "postgresql://localhost/x",
  },
});
"#,
        );
        assert_eq!(
            c.schema.unwrap().value,
            ConfigValue::Str("prisma/schema.prisma".into())
        );
        assert_eq!(
            c.migrations_path.unwrap().value,
            ConfigValue::Str("prisma/migrations".into())
        );
        let url = c.url.unwrap();
        assert_eq!(
            url.value,
            ConfigValue::Env {
                var: "DATABASE_URL".into(),
                default: None,
                fallbacks: vec![]
            }
        );
        assert_eq!(url.at.line, 11);
        assert_eq!(
            c.direct_url.unwrap().value,
            ConfigValue::Env {
                var: "DIRECT_URL".into(),
                default: Some("postgresql://localhost/x".into()),
                fallbacks: vec![]
            }
        );
    }

    #[test]
    fn consts_paths_and_satisfies() {
        let c = config(
            r#"import path from "node:path";
import type { PrismaConfig } from "prisma";
const schema = path.join(__dirname, "db", "schema");
export default {
  schema,
  migrations: { path: path.join("db", "migrations") },
  datasource: { url: process.env["APP_DB"]! },
} satisfies PrismaConfig;
"#,
        );
        assert_eq!(
            c.schema.unwrap().value,
            ConfigValue::Str("db/schema".into())
        );
        assert_eq!(
            c.migrations_path.unwrap().value,
            ConfigValue::Str("db/migrations".into())
        );
        assert_eq!(
            c.url.unwrap().value,
            ConfigValue::Env {
                var: "APP_DB".into(),
                default: None,
                fallbacks: vec![]
            }
        );
    }

    #[test]
    fn dynamic_values_are_kept_with_their_line() {
        let c = config(
            "export default defineConfig({\n  datasource: {\n    url: `postgresql://${user}@db/app`,\n  },\n});\n",
        );
        let url = c.url.unwrap();
        assert!(matches!(url.value, ConfigValue::Dynamic(ref s) if s.starts_with("`postgresql")));
        assert_eq!((url.at.line, url.at.column), (3, 10));
        let e = url
            .not_static("datasource.url", "a template".into(), "set X")
            .to_string();
        assert!(
            e.starts_with("/svc/prisma.config.ts:3:10: `datasource.url` cannot be read"),
            "{e}"
        );
    }

    #[test]
    fn the_env_files_it_loads_are_found() {
        let files = |text: &str| config(&format!("{text}\nexport default {{}};\n")).env_files;
        let svc = |p: &str| PathBuf::from("/svc").join(p);
        assert_eq!(files(r#"import "dotenv/config";"#), [svc(".env")]);
        assert_eq!(files(r#"require('dotenv/config');"#), [svc(".env")]);
        assert_eq!(files(r#"import "@dotenvx/dotenvx/config";"#), [svc(".env")]);
        assert_eq!(
            files(r#"import { config } from "dotenv"; config({ path: "../../.env" });"#),
            [PathBuf::from("/.env")]
        );
        assert_eq!(
            files(r#"import { config } from "dotenv"; config({ path: "./env/../.env.local" });"#),
            [svc(".env.local")]
        );
        assert_eq!(
            files(
                r#"import dotenv from "dotenv"; dotenv.config({ path: [".env.local", ".env"] });"#
            ),
            [svc(".env.local"), svc(".env")]
        );
        assert_eq!(files(r#"require("dotenv").config();"#), [svc(".env")]);
        assert_eq!(
            files(
                r#"import path from "node:path"; process.loadEnvFile(path.join(__dirname, ".env.dev"));"#
            ),
            [svc(".env.dev")]
        );
        // Computed: the loader's default.
        assert_eq!(
            files(r#"import { config } from "dotenv"; config({ path: process.env.ENV_FILE });"#),
            [svc(".env")]
        );
        // Not dotenv's: another library's `config`, a type import, a mention in a string.
        assert!(files(r#"import { config } from "./settings"; config();"#).is_empty());
        assert!(files(r#"import type { DotenvConfigOptions } from "dotenv";"#).is_empty());
        assert!(files(r#"const note = "run dotenv/config first";"#).is_empty());
        // `.config/prisma.ts`: Prisma runs one directory up.
        let c = parse(
            Path::new("/svc/.config/prisma.ts"),
            "import \"dotenv/config\";\nexport default {};\n",
        )
        .unwrap();
        assert_eq!(c.env_files, [svc(".env")]);
    }

    #[test]
    fn no_default_export_is_an_error() {
        assert!(parse(Path::new("p.ts"), "const a = 1;\n").is_err());
    }
}
