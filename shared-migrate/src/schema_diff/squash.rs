//! `squash`: the migrations up to NAME replaced by one that builds the same schema, proved
//! before anything is written. The chain is replayed on a throwaway database and dumped
//! (`pg_dump`, plain SQL, normalised: no owners, no settings, the service's own schema left
//! unqualified as Prisma writes it), so functions, triggers, views and comments survive. The
//! squash is then applied to a second throwaway database and dumped the same way: the two dumps
//! (every table, column, type, default, constraint, index, enum, sequence, function, trigger,
//! view, comment) and the two databases' extensions must be the same. Only then are the folders
//! replaced; `squash.toml` in the new folder names the migrations it replaced, with their
//! checksums, so that databases that applied them all record the squash without running it.

use std::path::{Path, PathBuf};
use std::time::Instant;

use squawk_lexer::{LiteralKind, TokenKind};
use squawk_syntax::SyntaxKind;

use super::Places;
use super::checksum::build_db;
use crate::db::{self, DatabaseUrl};
use crate::error::{Error, Location};
use crate::pg_tools::{client_command, find_binary};
use crate::workspace::{Migration, Replaced, SQUASH_FILE, Service};

/// What to do with the `INSERT`/`UPDATE`/`DELETE` statements of the chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataStatements {
    /// Refuse while there are any (the user chooses).
    Ask,
    /// Keep what they leave: the rows the chain leaves on an empty database, as INSERTs.
    Keep,
    /// The squash holds the schema only.
    Drop,
}

/// What `squash` replaces and how it names the result.
pub struct SquashOptions<'a> {
    /// The last migration replaced (default: the newest).
    pub up_to: Option<&'a str>,
    /// What to do with statements that change rows.
    pub data: DataStatements,
    /// The description of the new folder (`<timestamp>_<name>`).
    pub name: &'a str,
    /// The schema the service's URL names (`?schema=`): left unqualified in the squash.
    pub schema: &'a str,
}

/// A statement of the chain that changes rows.
#[derive(Debug, Clone)]
pub struct DataStatement {
    /// `path:line:column`.
    pub at: String,
    /// The statement on one line, shortened.
    pub text: String,
}

#[derive(Debug)]
/// What `squash` wrote.
pub struct Squashed {
    /// The new folder's name.
    pub name: String,
    /// The new folder's path.
    pub folder: PathBuf,
    /// The migrations replaced, oldest first.
    pub replaced: Vec<String>,
    /// Migrations after the squash, left as they were.
    pub remaining: usize,
    /// Statements of the replaced chain that change rows.
    pub data_statements: Vec<DataStatement>,
    /// Whether those statements were kept in the squash.
    pub kept_data: bool,
    /// Statements in the squash.
    pub statements: usize,
    /// Building both databases and comparing them.
    pub prove_millis: u128,
}

/// Replaces the migrations up to `options.up_to` with one proved to build the same schema.
/// Nothing is written unless the proof holds.
pub fn squash(
    places: &Places,
    service: &Service,
    options: &SquashOptions,
) -> Result<Squashed, Error> {
    let local = service.migrations()?;
    let end = match options.up_to {
        None => local.len(),
        Some(name) => {
            1 + local.iter().position(|m| m.name == name).ok_or_else(|| {
                Error::Config(format!(
                    "--up-to `{name}` is not a migration of `{}` (in {}){}",
                    service.name,
                    service.migrations_dir().display(),
                    crate::text::suggest(name, local.iter().map(|m| m.name.as_str()))
                ))
            })?
        }
    };
    let (chain, rest) = local.split_at(end);
    if chain.len() < 2 {
        return Err(Error::Config(format!(
            "`{}` has {} up to there: a squash replaces two or more",
            service.name,
            crate::text::plural(chain.len(), "migration")
        )));
    }
    let name = folder_name(chain, rest, options.name)?;
    let found = data_statements(chain, &places.ws.root);
    if !found.is_empty() && options.data == DataStatements::Ask {
        let list: Vec<String> = found
            .iter()
            .map(|d| format!("  {}: {}", d.at, d.text))
            .collect();
        return Err(Error::Config(format!(
            "nothing was written: the migrations to squash change rows ({}):\n{}\n\
             Pass --keep-data-statements to keep what they leave (the rows the migrations leave on an empty database go in the squash as INSERTs), \
             or --drop-data-statements for a squash of the schema only (the seed then provides such rows)",
            crate::text::plural(found.len(), "data statement"),
            list.join("\n")
        )));
    }
    let keep = options.data == DataStatements::Keep && !found.is_empty();

    // The proof: the chain and the squash, each on a throwaway database, dumped the same way.
    let started = Instant::now();
    let schema = options.schema;
    let (empty_db, empty) = build_db(places, service, &[], None, schema)?;
    let (base_schemas, base_extensions) = installed(&empty)?;
    drop(empty_db);
    let chain_refs: Vec<&Migration> = chain.iter().collect();
    let (chain_db, chain_url) = build_db(places, service, &chain_refs, None, schema)?;
    // Every schema the chain writes: the URL's, the datasource's, and any it created.
    let (chain_schemas, chain_extensions) = installed(&chain_url)?;
    let mut namespaces = namespaces(service, schema)?;
    for made in chain_schemas {
        if !base_schemas.contains(&made) && !namespaces.contains(&made) {
            namespaces.push(made);
        }
    }
    let chain_dump = dump(&chain_url, &namespaces, keep)?;
    drop(chain_db);
    let sql = compose(
        chain,
        &chain_dump,
        &chain_extensions,
        &base_extensions,
        schema,
        keep,
        found.len(),
    );
    let path = service.migrations_dir().join(&name).join("migration.sql");
    let draft = Migration::from_text(&name, path, sql.clone());
    let (squash_db, squash_url) = build_db(places, service, &[&draft], None, schema)
        .map_err(|e| {
            Error::Squash(format!(
                "nothing was written: the squash does not apply on an empty database, so it cannot replace the migrations:\n{e}"
            ))
        })?;
    let squash_dump = dump(&squash_url, &namespaces, keep)?;
    let (_, squash_extensions) = installed(&squash_url)?;
    drop(squash_db);
    let mut problems = differences(&chain_dump, &squash_dump);
    for e in chain_extensions
        .iter()
        .filter(|e| !squash_extensions.contains(e))
    {
        problems.push(format!("  extension {} only with the migrations", e.0));
    }
    for e in squash_extensions
        .iter()
        .filter(|e| !chain_extensions.contains(e))
    {
        problems.push(format!("  extension {} only with the squash", e.0));
    }
    if !problems.is_empty() {
        return Err(Error::Squash(format!(
            "nothing was written: the squash does not build what the {} migrations build:\n{}",
            chain.len(),
            problems.join("\n")
        )));
    }
    let prove_millis = started.elapsed().as_millis();

    let folder = write(service, chain, &name, &sql)?;
    Ok(Squashed {
        name,
        folder,
        replaced: chain.iter().map(|m| m.name.clone()).collect(),
        remaining: rest.len(),
        data_statements: found,
        kept_data: keep,
        statements: chain_dump.len(),
        prove_millis,
    })
}

/// `<prefix of the last replaced>_<description>`: it sorts where the replaced migrations were,
/// before every migration left after it.
fn folder_name(
    chain: &[Migration],
    rest: &[Migration],
    description: &str,
) -> Result<String, Error> {
    crate::workspace::naming::check_description(description, &[])
        .map_err(|p| Error::Config(format!("--name `{description}`: {p}")))?;
    let last = &chain[chain.len() - 1].name;
    let prefix = last.split('_').next().unwrap_or(last);
    let name = format!("{prefix}_{description}");
    if chain.iter().any(|m| m.name == name) {
        return Err(Error::Config(format!(
            "the squash would be named `{name}`, the name of a migration it replaces (databases that applied that one would take the squash for it): pass another --name"
        )));
    }
    if let Some(next) = rest.first()
        && next.name <= name
    {
        return Err(Error::Config(format!(
            "the squash would be named `{name}`, which does not sort before `{next}`, the first migration kept after it: pass a --name that sorts before it",
            next = next.name
        )));
    }
    Ok(name)
}

/// The statements of `chain` that change rows, located.
pub(super) fn data_statements(chain: &[Migration], root: &Path) -> Vec<DataStatement> {
    let mut found = Vec::new();
    for m in chain {
        for s in crate::sql::analyse(&m.sql).statements {
            let what = match s.syntax {
                SyntaxKind::INSERT
                | SyntaxKind::UPDATE
                | SyntaxKind::DELETE
                | SyntaxKind::MERGE
                | SyntaxKind::COPY
                | SyntaxKind::TRUNCATE => "",
                SyntaxKind::DO | SyntaxKind::CALL => " (may change rows)",
                _ => continue,
            };
            let shown = m.path.strip_prefix(root).unwrap_or(&m.path);
            let at = Location::of_offset(shown, m.sql.as_bytes(), s.range.start);
            found.push(DataStatement {
                at: at.to_string(),
                text: format!(
                    "{}{what}",
                    crate::text::one_line(&m.sql[s.range.clone()], 90)
                ),
            });
        }
    }
    found
}

/// The schemas a service's migrations write: the URL's, and a multi-schema datasource's.
fn namespaces(service: &Service, schema: &str) -> Result<Vec<String>, Error> {
    let mut all = vec![schema.to_string()];
    if let Some(d) = service.datasource()? {
        all.extend(d.schemas.into_iter().filter(|s| s != schema));
    }
    Ok(all)
}

/// The database's schemas (PostgreSQL's own left out) and extensions (but plpgsql, with their
/// schema), over one connection.
type Installed = (Vec<String>, Vec<(String, String)>);

fn installed(url: &DatabaseUrl) -> Result<Installed, Error> {
    let mut client = db::connect(url)?;
    let schemas = client
        .query(
            "SELECT nspname::text FROM pg_namespace \
             WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema' ORDER BY 1",
            &[],
        )
        .map_err(|e| Error::database("reading the schemas", &e))?;
    let extensions = client
        .query(
            "SELECT e.extname::text, n.nspname::text FROM pg_extension e \
             JOIN pg_namespace n ON n.oid = e.extnamespace \
             WHERE e.extname <> 'plpgsql' ORDER BY 1",
            &[],
        )
        .map_err(|e| Error::database("reading the extensions", &e))?;
    Ok((
        schemas.iter().map(|r| r.get(0)).collect(),
        extensions.iter().map(|r| (r.get(0), r.get(1))).collect(),
    ))
}

/// `pg_dump` of `namespaces` (less the ledger), plain SQL, read back as normalised statements.
fn dump(url: &DatabaseUrl, namespaces: &[String], data: bool) -> Result<Vec<String>, Error> {
    let fail = |what: String| Error::Squash(format!("nothing was written: {what}"));
    let pg_dump = find_binary("pg_dump").ok_or_else(|| {
        fail("`pg_dump` was not found on PATH nor in /usr/lib/postgresql/*/bin (Debian: `apt-get install postgresql-client`)".into())
    })?;
    let (mut cmd, _env) = client_command(&pg_dump, url)?;
    cmd.args([
        "--no-password",
        "--no-owner",
        "--no-tablespaces",
        "--no-security-labels",
        "--no-publications",
        "--no-subscriptions",
    ]);
    cmd.arg(if data {
        "--column-inserts"
    } else {
        "--schema-only"
    });
    for schema in namespaces {
        cmd.arg(format!("--schema={}", db::quote_ident(schema)));
        cmd.arg(format!(
            "--exclude-table={}.\"_prisma_migrations\"",
            db::quote_ident(schema)
        ));
    }
    let out = cmd
        .output()
        .map_err(|e| fail(format!("cannot run {}: {e}", pg_dump.display())))?;
    if !out.status.success() {
        let said = url.redact_in(String::from_utf8_lossy(&out.stderr).trim());
        let hint = match said.contains("server version mismatch") {
            true => format!(
                "\n{} is older than the throwaway server: install the client of the server's major version (Debian: postgresql-client-<major>) or put it first on PATH",
                pg_dump.display()
            ),
            false => String::new(),
        };
        return Err(fail(format!(
            "pg_dump exited with {}: {said}{hint}",
            out.status
        )));
    }
    Ok(statements(
        &String::from_utf8_lossy(&out.stdout),
        &namespaces[0],
    ))
}

/// A dump's statements, normalised: no comments, settings, owners or psql meta-commands;
/// `schema.` dropped where it qualifies a name (as Prisma leaves the URL's schema implied);
/// `CREATE SCHEMA` of another schema made idempotent.
pub(super) fn statements(dump: &str, schema: &str) -> Vec<String> {
    // pg_dump's `\restrict` and `\unrestrict` are psql's, not SQL.
    let text: String = dump
        .lines()
        .filter(|l| !l.starts_with('\\'))
        .flat_map(|l| [l, "\n"])
        .collect();
    let mut tokens: Vec<(TokenKind, &str)> = Vec::new();
    let mut at = 0;
    for t in squawk_lexer::tokenize(&text) {
        let end = at + t.len as usize;
        tokens.push((t.kind, &text[at..end]));
        at = end;
    }
    let is_schema = |t: &(TokenKind, &str)| match t.0 {
        TokenKind::Ident => t.1.to_lowercase() == schema,
        TokenKind::QuotedIdent { .. } => {
            t.1.len() >= 2 && t.1[1..t.1.len() - 1].replace("\"\"", "\"") == schema
        }
        _ => false,
    };
    let is_name = |t: Option<&(TokenKind, &str)>| {
        matches!(
            t.map(|t| t.0),
            Some(TokenKind::Ident | TokenKind::QuotedIdent { .. })
        )
    };
    // A string naming a relation: `'public."T_id_seq"'::regclass`, `setval('public."T_id_seq"', ...)`.
    let names_relation = |i: usize| {
        let next: Vec<&str> = tokens[i + 1..]
            .iter()
            .filter(|t| t.0 != TokenKind::Whitespace)
            .take(3)
            .map(|t| t.1)
            .collect();
        let before: Vec<&str> = tokens[..i]
            .iter()
            .rev()
            .filter(|t| t.0 != TokenKind::Whitespace)
            .take(2)
            .map(|t| t.1)
            .collect();
        next[..] == [":", ":", "regclass"][..] || before[..] == ["(", "setval"][..]
    };
    let quoted = db::quote_ident(schema);
    let prefixes = [format!("'{schema}."), format!("'{quoted}.")];
    let mut out = Vec::new();
    let mut current = String::new();
    let mut i = 0;
    while i < tokens.len() {
        let t = tokens[i];
        match t.0 {
            TokenKind::LineComment | TokenKind::BlockComment { .. } => {}
            TokenKind::Semi => {
                keep_statement(current.trim(), schema, &mut out);
                current.clear();
            }
            TokenKind::Whitespace if current.is_empty() => {}
            _ if is_schema(&t)
                && tokens.get(i + 1).map(|t| t.0) == Some(TokenKind::Dot)
                && is_name(tokens.get(i + 2)) =>
            {
                i += 2;
                continue;
            }
            TokenKind::Literal {
                kind: LiteralKind::Str { .. },
            } if names_relation(i) => match prefixes.iter().find(|p| t.1.starts_with(p.as_str())) {
                Some(p) => {
                    current.push('\'');
                    current.push_str(&t.1[p.len()..]);
                }
                None => current.push_str(t.1),
            },
            _ => current.push_str(t.1),
        }
        i += 1;
    }
    keep_statement(current.trim(), schema, &mut out);
    out
}

fn keep_statement(statement: &str, schema: &str, out: &mut Vec<String>) {
    if statement.is_empty() {
        return;
    }
    let words: Vec<&str> = statement.split_whitespace().take(4).collect();
    let upper: Vec<String> = words.iter().map(|w| w.to_uppercase()).collect();
    let named = |w: Option<&&str>| w.is_some_and(|w| w.trim_matches('"') == schema);
    match upper.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["SET", ..] => {}
        ["SELECT", w, ..] if w.starts_with("PG_CATALOG.SET_CONFIG(") => {}
        ["CREATE", "SCHEMA", ..] if named(words.get(2)) => {}
        ["COMMENT", "ON", "SCHEMA", ..] if named(words.get(3)) => {}
        ["CREATE", "SCHEMA", ..] => {
            out.push(format!(
                "CREATE SCHEMA IF NOT EXISTS {}",
                &words[2..].join(" ")
            ));
        }
        _ => out.push(statement.to_string()),
    }
}

/// The squash's text: what it is, then its extensions and the dump's statements.
fn compose(
    chain: &[Migration],
    dump: &[String],
    extensions: &[(String, String)],
    base: &[(String, String)],
    schema: &str,
    kept_data: bool,
    data_statements: usize,
) -> String {
    let first = &chain[0].name;
    let last = &chain[chain.len() - 1].name;
    let data = match (data_statements, kept_data) {
        (0, _) => "The migrations held no data statements.".to_string(),
        (n, true) => format!(
            "What their {n} data statements leave on an empty database is kept: the INSERTs below, if any."
        ),
        (n, false) => format!("Their {n} data statements were dropped: the schema only."),
    };
    let mut sql = format!(
        "-- Squash of {} migrations, {first} to {last}, written by `cargo xtask squash`\n\
         -- and proved to build the same schema on a throwaway database. {data}\n\
         -- squash.toml names the migrations it replaced. A database that applied all of them\n\
         -- records this migration as applied without running it (`cargo xtask migrate`); a\n\
         -- database deployed with the Prisma CLI needs `npx prisma migrate resolve --applied <this folder>` first.\n",
        chain.len(),
    );
    if dump
        .iter()
        .any(|s| s.starts_with("CREATE FUNCTION") || s.starts_with("CREATE PROCEDURE"))
    {
        // pg_dump puts functions before the tables their SQL bodies may read.
        sql.push_str("\nSET LOCAL check_function_bodies = off;\n");
    }
    for (name, ns) in extensions.iter().filter(|e| !base.contains(e)) {
        let ext = db::quote_ident(name);
        if ns == schema {
            sql.push_str(&format!("\nCREATE EXTENSION IF NOT EXISTS {ext};\n"));
        } else {
            let ns = db::quote_ident(ns);
            sql.push_str(&format!(
                "\nCREATE SCHEMA IF NOT EXISTS {ns};\nCREATE EXTENSION IF NOT EXISTS {ext} WITH SCHEMA {ns};\n"
            ));
        }
    }
    for s in dump {
        sql.push('\n');
        sql.push_str(s);
        sql.push_str(";\n");
    }
    sql
}

/// The statements only one of two dumps holds, a few of each.
fn differences(chain: &[String], squash: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    let only = |a: &[String], b: &[String]| -> Vec<String> {
        a.iter().filter(|s| !b.contains(s)).cloned().collect()
    };
    for (side, list) in [
        ("the migrations", only(chain, squash)),
        ("the squash", only(squash, chain)),
    ] {
        for s in list.iter().take(5) {
            out.push(format!(
                "  only with {side}: {}",
                crate::text::one_line(s, 120)
            ));
        }
        if list.len() > 5 {
            out.push(format!("  ... and {} more with {side}", list.len() - 5));
        }
    }
    if out.is_empty() && chain != squash {
        out.push("  the same statements in another order".into());
    }
    out
}

/// Writes the squash folder and removes the replaced ones. The new folder is made under a
/// temporary name first; the old ones are moved aside before it takes its place, and moved
/// back if anything fails.
fn write(service: &Service, chain: &[Migration], name: &str, sql: &str) -> Result<PathBuf, Error> {
    let dir = service.migrations_dir();
    let staging = tempfile::Builder::new()
        .prefix(".squash-")
        .tempdir_in(&dir)
        .map_err(|e| Error::io(&dir, e))?;
    let new = staging.path().join("new");
    std::fs::create_dir(&new).map_err(|e| Error::io(&new, e))?;
    let file = new.join("migration.sql");
    std::fs::write(&file, sql).map_err(|e| Error::io(&file, e))?;
    let replaces: Vec<Replaced> = chain
        .iter()
        .map(|m| Replaced {
            name: m.name.clone(),
            checksum: m.checksum.clone(),
        })
        .collect();
    let toml_text = format!(
        "# Written by `cargo xtask squash`: the migrations `{name}` replaced, with the checksums\n\
         # their ledger rows hold. A database that applied every one records `{name}` as\n\
         # applied without running it; one that applied only some is refused. Keep this file.\n\n{}",
        toml::to_string(&Squash { replaces }).expect("plain strings serialise")
    );
    let listed = new.join(SQUASH_FILE);
    std::fs::write(&listed, toml_text).map_err(|e| Error::io(&listed, e))?;
    let aside = staging.path().join("replaced");
    std::fs::create_dir(&aside).map_err(|e| Error::io(&aside, e))?;
    let mut moved: Vec<(PathBuf, PathBuf)> = Vec::new();
    let target = dir.join(name);
    let result = (|| {
        for m in chain {
            let from = dir.join(&m.name);
            let to = aside.join(&m.name);
            std::fs::rename(&from, &to).map_err(|e| Error::io(&from, e))?;
            moved.push((from, to));
        }
        std::fs::rename(&new, &target).map_err(|e| Error::io(&target, e))
    })();
    if let Err(e) = result {
        for (from, to) in moved.iter().rev() {
            let _ = std::fs::rename(to, from);
        }
        return Err(e);
    }
    Ok(target)
}

#[derive(serde::Serialize)]
struct Squash {
    replaces: Vec<Replaced>,
}

#[cfg(test)]
mod tests {
    use super::statements;

    #[test]
    fn a_dump_reads_as_statements_without_settings_owners_or_its_own_schema() {
        let dump = r#"--
-- PostgreSQL database dump
--

\restrict abc
SET statement_timeout = 0;
SELECT pg_catalog.set_config('search_path', '', false);

CREATE SCHEMA public;
COMMENT ON SCHEMA public IS 'standard public schema';
CREATE SCHEMA "billing";

CREATE TYPE public."Role" AS ENUM (
    'USER',
    'ADMIN'
);

CREATE FUNCTION public.touch() RETURNS trigger
    LANGUAGE plpgsql
    AS $$ BEGIN NEW.note := 'public.x'; RETURN NEW; END $$;

CREATE TABLE public."User" (
    id integer NOT NULL,
    role public."Role" DEFAULT 'USER'::public."Role" NOT NULL,
    note text DEFAULT 'public.kept'
);
CREATE TABLE billing."Invoice" (id integer NOT NULL);
ALTER TABLE ONLY public."User" ALTER COLUMN id SET DEFAULT nextval('public."User_id_seq"'::regclass);
SELECT pg_catalog.setval('public."User_id_seq"', 1, false);
CREATE TRIGGER t BEFORE UPDATE ON public."User" FOR EACH ROW EXECUTE FUNCTION public.touch();
\unrestrict abc
"#;
        insta::assert_snapshot!(statements(dump, "public").join(";\n---\n"));
    }
}
