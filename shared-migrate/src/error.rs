//! Typed errors of the library. Each says what went wrong, where (file and line when there is
//! one), and what to do; `exit_code` maps it onto the documented exit codes.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Exit codes of every `cargo xtask` command (docs/commands.md, "Exit codes").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub enum ExitCode {
    /// Success; for `status`: up to date.
    Success = 0,
    /// A migration failed, lint found violations, or `status` found a problem.
    Failure = 1,
    /// Bad usage, configuration or input files: fix the command or the files.
    Usage = 2,
    /// `status` only: migrations are pending, nothing is wrong.
    Pending = 3,
    /// The database could not be reached, authenticated against, or created.
    Connection = 4,
    /// Another deployer held the migration lock for longer than the timeout.
    LockTimeout = 5,
}

impl ExitCode {
    /// The process exit code.
    pub fn code(self) -> i32 {
        self as i32
    }

    /// The exit code of a run over several services: a kind shared by every failure, else 1.
    pub fn combine(codes: impl IntoIterator<Item = ExitCode>) -> ExitCode {
        let mut result = ExitCode::Success;
        for code in codes {
            result = match (result, code) {
                (r, ExitCode::Success) => r,
                (ExitCode::Success, c) => c,
                (r, c) if r == c => r,
                // Pending is the mildest outcome: any real problem wins over it.
                (ExitCode::Pending, c) | (c, ExitCode::Pending) => c,
                _ => ExitCode::Failure,
            };
        }
        result
    }
}

/// A place in a file, printed as `path:line:column` (1-based, column in characters).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Location {
    pub path: PathBuf,
    pub line: usize,
    pub column: usize,
}

impl Location {
    /// The location of byte `offset` in `text` (which may be invalid UTF-8 after `offset`).
    pub fn of_offset(path: &Path, text: &[u8], offset: usize) -> Location {
        let before = &text[..offset.min(text.len())];
        let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
        let line_start = before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        let column = String::from_utf8_lossy(&before[line_start..])
            .chars()
            .count()
            + 1;
        Location {
            path: path.to_path_buf(),
            line,
            column,
        }
    }
}

/// The line of `text` at `loc`, with a caret under the column: the snippet under an error,
/// drawn by annotate-snippets as lint's findings are (the message itself is the error's).
pub(crate) fn snippet(text: &str, loc: &Location) -> String {
    use annotate_snippets::{Level, Renderer, Snippet};
    let line = text.lines().nth(loc.line.saturating_sub(1)).unwrap_or("");
    // The column counts characters; the span is bytes, one character wide.
    let start = line
        .char_indices()
        .nth(loc.column.saturating_sub(1))
        .map_or(line.len(), |(i, _)| i);
    let end = line[start..]
        .chars()
        .next()
        .map_or(start, |c| start + c.len_utf8());
    let message = Level::Error.title("").snippet(
        Snippet::source(line)
            .line_start(loc.line)
            .fold(false)
            .annotation(Level::Error.span(start..end)),
    );
    let rendered = Renderer::plain().render(message).to_string();
    // Without the title line and the closing bar: only the source and the caret.
    let mut lines: Vec<&str> = rendered
        .lines()
        .skip_while(|l| !l.trim_start().starts_with('|'))
        .collect();
    while lines.last().is_some_and(|l| l.trim() == "|") {
        lines.pop();
    }
    lines.join("\n")
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.path.display(), self.line, self.column)
    }
}

#[derive(Debug, thiserror::Error)]
/// Everything the library can fail with: what, where, and what to do.
pub enum Error {
    // --- input files -------------------------------------------------------------------------
    // The cause is in the message, and deliberately not a `source`: `{:#}` would print it twice.
    #[error("{path}: {}", describe_io(.cause), path = .path.display())]
    /// A file or directory could not be read or written.
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What the operating system said.
        cause: std::io::Error,
    },
    #[error(
        "could not find the migration file at {path}: restore `migration.sql` or delete the directory (Prisma P3015)",
        path = .path.display()
    )]
    /// A migration folder without its `migration.sql` (Prisma P3015).
    MissingMigrationFile {
        /// The migration folder.
        path: PathBuf,
    },
    #[error("{path} is not a regular file: a migration folder must hold a file named `migration.sql`", path = .path.display())]
    /// `migration.sql` is not a regular file.
    MigrationFileNotAFile {
        /// What stands where the file should be.
        path: PathBuf,
    },
    #[error("{at}: not valid UTF-8 (byte {offset}): save the file as UTF-8")]
    /// A migration that is not UTF-8.
    NotUtf8 {
        /// Where the first invalid byte is.
        at: Location,
        /// That byte's offset in the file.
        offset: usize,
    },
    #[error(
        "{path}:1:1: the file starts with a UTF-8 byte order mark, which PostgreSQL rejects as a syntax error: save it without BOM",
        path = .path.display()
    )]
    /// A migration that starts with a UTF-8 byte order mark.
    ByteOrderMark {
        /// The file.
        path: PathBuf,
    },
    #[error(
        "{at}: the file holds a NUL byte, which PostgreSQL cannot receive in a query: remove it (a file saved as UTF-16 shows one in every other byte: save it as UTF-8)"
    )]
    /// A migration holding a NUL byte.
    NulByte {
        /// Where the NUL byte is.
        at: Location,
    },
    #[error(
        "{path}:1:1: the file is UTF-16 (it starts with a UTF-16 byte order mark): save it as UTF-8",
        path = .path.display()
    )]
    /// A migration saved as UTF-16.
    Utf16 {
        /// The file.
        path: PathBuf,
    },
    #[error(
        "{path} is a symbolic link to {target}, outside the service's migrations folder {folder}: a migration's folder and its migration.sql must be inside that folder (copy the file there instead of linking it); nothing was read or applied",
        path = .path.display(), target = .target.display(), folder = .folder.display()
    )]
    /// A symbolic link that leads out of the migrations folder.
    LinkOutsideMigrations {
        /// The link.
        path: PathBuf,
        /// Where it points.
        target: PathBuf,
        /// The service's migrations folder.
        folder: PathBuf,
    },
    #[error("{path}: folder name is not valid UTF-8: rename it to `YYYYMMDDHHMMSS_lower_snake_name`", path = .path.display())]
    /// A migration folder whose name is not UTF-8.
    NonUtf8Name {
        /// The folder.
        path: PathBuf,
    },
    #[error(
        "{at}: the migration lock file names provider `{found}`, but this tool deploys to PostgreSQL only: expected `provider = \"postgresql\"` (Prisma P3019)"
    )]
    /// `migration_lock.toml` names another database (Prisma P3019).
    LockfileProvider {
        /// The provider line.
        at: Location,
        /// The provider it names.
        found: String,
    },
    #[error("{path}: no `services/` directory and no workspaces declared here: run from inside the monorepo, pass --root, or list the packages in xtask.toml (services = [\"packages/*\"])", path = .path.display())]
    /// No services where the monorepo should have them.
    NoServicesDir {
        /// Where services were looked for.
        path: PathBuf,
    },
    #[error("{path}: {why}: rename the directory", path = .path.display())]
    /// A service directory whose name cannot be a service's.
    BadServiceName {
        /// The service's directory.
        path: PathBuf,
        /// What is wrong with the name.
        why: String,
    },
    #[error(
        "services `{a}` ({}) and `{b}` ({}) would both take their database URL from {var}, so both would migrate into one schema and one ledger: rename one of the directories",
        .a_dir.display(), .b_dir.display()
    )]
    /// Two services would read their database URL from one variable.
    SharedUrlVariable {
        /// One service.
        a: String,
        /// Its directory.
        a_dir: PathBuf,
        /// The other service.
        b: String,
        /// Its directory.
        b_dir: PathBuf,
        /// The variable both would read.
        var: String,
    },
    #[error(
        "{dir} is a Prisma 8 project ({}): Prisma 8 migrations are contract-hash packages applied in graph order, without `_prisma_migrations`, which this tool does not read. It works with Prisma Migrate (Prisma 5 to 7) folders: keep this package on Prisma 7 (pin `prisma@7`; `prisma@latest` is 8) or leave it out of the services (xtask.toml `services` globs, `!` to exclude)",
        .markers.join("; "), dir = .dir.display()
    )]
    /// A Prisma 8 package, whose migrations this tool does not read.
    Prisma8 {
        /// The package.
        dir: PathBuf,
        /// What shows it is Prisma 8.
        markers: Vec<String>,
    },
    #[error("unknown service `{name}`: {why}")]
    /// `--service` names no service.
    UnknownService {
        /// The name given.
        name: String,
        /// The services there are, or the closest name.
        why: String,
    },
    #[error(
        "two services are named `{name}` (a service is named by its directory): {a} and {b}: rename one of the directories",
        a = .a.display(), b = .b.display()
    )]
    /// Two services with one name.
    DuplicateService {
        /// The shared name.
        name: String,
        /// One directory.
        a: PathBuf,
        /// The other.
        b: PathBuf,
    },
    #[error("{path}: the migrations directory does not exist{named_by}: create the first migration with `{}`", crate::remedy::new_migration(.service), path = .path.display())]
    /// A service without its migrations folder.
    NoMigrationsDir {
        /// The service.
        service: String,
        /// Where the folder should be.
        path: PathBuf,
        /// ` (migrations.path of <prisma.config.ts>)` when that file names it.
        named_by: String,
    },
    #[error("{at}: {message}")]
    /// A migration that cannot be planned as written (unbalanced blocks, misplaced transaction words).
    Script {
        /// Where.
        at: Location,
        /// What is wrong.
        message: String,
    },
    /// A Prisma schema or configuration file that cannot be read as written.
    #[error("{at}: {message}\n{snippet}")]
    Schema {
        /// Where.
        at: Location,
        /// What is wrong.
        message: String,
        /// The line, with a caret under the place.
        snippet: String,
    },
    #[error("{0}")]
    /// `xtask.toml` that cannot be read as written.
    Config(String),

    // --- database URL ------------------------------------------------------------------------
    #[error("no database URL for service `{service}`: set {places}")]
    /// A service with no database URL set anywhere.
    NoDatabaseUrl {
        /// The service.
        service: String,
        /// Where a URL may be set.
        places: String,
    },
    /// The URL itself is never part of the message: a URL that does not parse cannot be
    /// redacted reliably (its password may hold the very `/`, `?` or `@` that broke it).
    #[error(
        "invalid database URL from {origin} (the value is not shown: it may hold a password): {reason}"
    )]
    InvalidUrl {
        /// Where the URL came from.
        origin: String,
        /// Why it does not parse.
        reason: String,
    },

    // --- database ----------------------------------------------------------------------------
    #[error("cannot connect to {url}: {reason}")]
    /// The database could not be reached, or refused the login.
    Connect {
        /// The URL, redacted.
        url: String,
        /// The server's or the network's answer.
        reason: String,
    },
    #[error(
        "timed out after {waited:?} waiting for the migration lock (pg_advisory_lock({key})) on {url}{holder}: another deploy is running; wait for it, or raise --lock-timeout"
    )]
    /// Another deployer held the migration lock past the timeout.
    LockTimeout {
        /// The URL, redacted.
        url: String,
        /// The advisory key: Prisma's 72707369, or the schema's (`[migrate] lock`).
        key: i64,
        /// How long this run waited.
        waited: Duration,
        /// ", held by ..." or empty.
        holder: String,
    },
    #[error(
        "{url} goes through a connection pooler that shares server sessions between clients: {why}. The migration lock (a session advisory lock) would protect nothing there, and nothing was applied: migrate through the database's direct URL, by setting `directUrl` in the datasource (Prisma migrates through it too) or the service's <SERVICE>_DATABASE_URL; a pooler in session mode is fine"
    )]
    /// A URL through a pooler that shares sessions, refused before anything ran.
    Pooler {
        /// The URL, redacted.
        url: String,
        /// What shows the pooler.
        why: String,
    },
    #[error("{context}: {message}")]
    /// An error from the server while doing `context`.
    Database {
        /// What was being done.
        context: String,
        /// The server's error.
        message: String,
    },
    /// The server went away mid-command (restart, crash, network): exit 4, like a failed
    /// connection, because running the command again is the remedy.
    #[error("{0}")]
    ConnectionLost(String),
    #[error(
        "the schema `{schema}` is not empty ({tables}) and has no `_prisma_migrations` table: adopt it first with `{}` (add --up-to NAME when it holds only the migrations up to NAME): it checks that the database is what those migrations build, then records them as applied (Prisma P3005)",
        crate::remedy::baseline(.service)
    )]
    /// A schema with tables and no ledger (Prisma P3005).
    NotEmpty {
        /// The service.
        service: String,
        /// The schema.
        schema: String,
        /// Some of its tables.
        tables: String,
    },
    #[error("{0}")]
    /// Migrations that failed earlier and block the next deploy (Prisma P3009).
    FailedMigrations(String),
    #[error("{0}")]
    /// A migration failed: the message names it, its line and the server's error.
    MigrationFailed(String),
    /// A migration gave up waiting for a table lock (`--ddl-lock-timeout`): exit 5, like the
    /// migration lock, because waiting (or running again) is the remedy.
    #[error("{0}")]
    LockedOut(String),
    #[error("{0}")]
    /// `--strict`: a warning turned into a failure.
    Strict(String),
    #[error("{0}")]
    /// `resolve` refused what was asked.
    Resolve(String),
    #[error("{0}")]
    /// A throwaway cluster or container could not be started or used.
    Cluster(String),
    #[error("benchmark: {0}")]
    /// `bench` could not run a contender.
    Bench(String),
    #[error("{0}")]
    /// `--backup`: the dump or its restore failed.
    Backup(String),
    /// `migrate --precheck`: a pending migration would fail on the rows there.
    #[error("{0}")]
    Precheck(String),
    /// A database applied only some of the migrations a squash replaced.
    #[error("{0}")]
    PartialSquash(String),
    /// `squash`: the squash does not build what the migrations it replaces build.
    #[error("{0}")]
    Squash(String),
}

impl Error {
    /// An I/O error on `path`.
    pub fn io(path: &Path, source: std::io::Error) -> Error {
        Error::Io {
            path: path.to_path_buf(),
            cause: source,
        }
    }

    /// A database error, with what was being done.
    pub fn database(context: impl Into<String>, err: &postgres::Error) -> Error {
        let context = context.into();
        let message = describe_pg_error(err);
        if connection_lost(err) {
            Error::ConnectionLost(format!(
                "{context}: the connection to the database was lost ({message}): check that the server is up, then run the command again"
            ))
        } else {
            Error::Database { context, message }
        }
    }

    /// The exit code this error ends a command with.
    pub fn exit_code(&self) -> ExitCode {
        match self {
            Error::Connect { .. } | Error::ConnectionLost(_) => ExitCode::Connection,
            Error::LockTimeout { .. } | Error::LockedOut(_) => ExitCode::LockTimeout,
            Error::Database { .. }
            | Error::FailedMigrations(_)
            | Error::MigrationFailed(_)
            | Error::Strict(_)
            | Error::NotEmpty { .. }
            | Error::Resolve(_)
            | Error::Cluster(_)
            | Error::Bench(_)
            | Error::Backup(_)
            | Error::Precheck(_)
            | Error::Squash(_) => ExitCode::Failure,
            // Every other kind is input the user fixes; listed so a new kind must choose.
            Error::Io { .. }
            | Error::MissingMigrationFile { .. }
            | Error::MigrationFileNotAFile { .. }
            | Error::NotUtf8 { .. }
            | Error::ByteOrderMark { .. }
            | Error::NulByte { .. }
            | Error::Utf16 { .. }
            | Error::LinkOutsideMigrations { .. }
            | Error::NonUtf8Name { .. }
            | Error::LockfileProvider { .. }
            | Error::NoServicesDir { .. }
            | Error::BadServiceName { .. }
            | Error::SharedUrlVariable { .. }
            | Error::Prisma8 { .. }
            | Error::UnknownService { .. }
            | Error::DuplicateService { .. }
            | Error::NoMigrationsDir { .. }
            | Error::Script { .. }
            | Error::Schema { .. }
            | Error::Config(_)
            | Error::NoDatabaseUrl { .. }
            | Error::InvalidUrl { .. }
            | Error::Pooler { .. }
            | Error::PartialSquash(_) => ExitCode::Usage,
        }
    }
}

/// A report's outcome in JSON: `null` when it succeeded, else the error's message.
pub(crate) fn serialize_outcome<S: serde::Serializer>(
    r: &Result<(), Error>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match r {
        Ok(()) => s.serialize_none(),
        Err(e) => s.serialize_some(&e.to_string()),
    }
}

/// `bytes` read from `path` as text; invalid UTF-8 is an error at its line and column.
pub(crate) fn utf8_text(path: &Path, bytes: Vec<u8>) -> Result<String, Error> {
    String::from_utf8(bytes).map_err(|e| {
        let offset = e.utf8_error().valid_up_to();
        Error::NotUtf8 {
            at: Location::of_offset(path, e.as_bytes(), offset),
            offset,
        }
    })
}

/// An I/O error with what to do about the usual ones.
fn describe_io(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::PermissionDenied => {
            format!("{e}: make it readable by the user running cargo xtask")
        }
        _ => e.to_string(),
    }
}

/// Whether `err` means the session is gone (closed socket, server shutdown or crash, network)
/// rather than the server refusing a statement.
pub(crate) fn connection_lost(err: &postgres::Error) -> bool {
    if err.is_closed() {
        return true;
    }
    match err.code() {
        // admin_shutdown, crash_shutdown, cannot_connect_now, and class 08 (connection exception).
        Some(code) => {
            matches!(code.code(), "57P01" | "57P02" | "57P03") || code.code().starts_with("08")
        }
        None => std::error::Error::source(err).is_some_and(|s| s.is::<std::io::Error>()),
    }
}

/// A one-line description of a driver error: the server's message with SQLSTATE, or the
/// client-side cause (refused connection, timeout, ...). Never contains a password.
pub(crate) fn describe_pg_error(err: &postgres::Error) -> String {
    if let Some(db) = err.as_db_error() {
        let mut s = format!(
            "{}: {} (SQLSTATE {})",
            db.severity(),
            db.message(),
            db.code().code()
        );
        if let Some(detail) = db.detail() {
            s.push_str(&format!("; {detail}"));
        }
        if let Some(hint) = db.hint() {
            s.push_str(&format!("; hint: {hint}"));
        }
        return s;
    }
    let mut s = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        let c = cause.to_string();
        if !s.contains(&c) {
            s.push_str(&format!(": {c}"));
        }
        source = cause.source();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(line: usize, column: usize) -> Location {
        Location {
            path: PathBuf::from("services/svc/prisma/migrations/20250101000000_init/migration.sql"),
            line,
            column,
        }
    }

    /// One of each kind, as a user reads it, with its exit code.
    fn every_kind() -> Vec<Error> {
        let p = |s: &str| PathBuf::from(s);
        vec![
            Error::io(
                Path::new("services/svc/prisma/migrations/x/migration.sql"),
                std::io::Error::from(std::io::ErrorKind::PermissionDenied),
            ),
            Error::MissingMigrationFile {
                path: p("services/svc/prisma/migrations/20250101000000_init"),
            },
            Error::MigrationFileNotAFile {
                path: p("services/svc/prisma/migrations/20250101000000_init/migration.sql"),
            },
            Error::NotUtf8 {
                at: at(3, 7),
                offset: 41,
            },
            Error::ByteOrderMark { path: p("m.sql") },
            Error::NulByte { at: at(1, 2) },
            Error::Utf16 { path: p("m.sql") },
            Error::LinkOutsideMigrations {
                path: p("services/svc/prisma/migrations/20250101000000_init"),
                target: p("/etc"),
                folder: p("services/svc/prisma/migrations"),
            },
            Error::NonUtf8Name {
                path: p("services/svc/prisma/migrations/?"),
            },
            Error::LockfileProvider {
                at: at(2, 1),
                found: "mysql".into(),
            },
            Error::NoServicesDir { path: p("/repo") },
            Error::BadServiceName {
                path: p("services/a,b"),
                why: "a service name may not hold a comma".into(),
            },
            Error::SharedUrlVariable {
                a: "pay-api".into(),
                a_dir: p("services/pay-api"),
                b: "pay_api".into(),
                b_dir: p("services/pay_api"),
                var: "PAY_API_DATABASE_URL".into(),
            },
            Error::Prisma8 {
                dir: p("packages/api"),
                markers: vec!["prisma-next.config.ts".into()],
            },
            Error::UnknownService {
                name: "walet".into(),
                why: "did you mean `wallet`?".into(),
            },
            Error::DuplicateService {
                name: "api".into(),
                a: p("apps/api"),
                b: p("services/api"),
            },
            Error::NoMigrationsDir {
                service: "svc".into(),
                path: p("services/svc/prisma/migrations"),
                named_by: String::new(),
            },
            Error::Script {
                at: at(4, 1),
                message: "BEGIN without COMMIT".into(),
            },
            Error::Schema {
                at: at(12, 3),
                message: "unknown type `Strin`".into(),
                snippet: "   |\n12 |   name Strin\n   |        ^".into(),
            },
            Error::Config("xtask.toml:3: unknown key `sed`".into()),
            Error::NoDatabaseUrl {
                service: "svc".into(),
                places: "SVC_DATABASE_URL".into(),
            },
            Error::InvalidUrl {
                origin: "SVC_DATABASE_URL".into(),
                reason: "invalid port".into(),
            },
            Error::Connect {
                url: "postgresql://app:***@db:5432/app".into(),
                reason: "connection refused".into(),
            },
            Error::LockTimeout {
                url: "postgresql://app:***@db:5432/app".into(),
                key: 72707369,
                waited: Duration::from_secs(10),
                holder: ", held by pid 42 (prisma)".into(),
            },
            Error::Pooler {
                url: "postgresql://app:***@pooler:6432/app".into(),
                why: "PgBouncer in transaction mode".into(),
            },
            Error::Database {
                context: "reading the ledger".into(),
                message: "permission denied".into(),
            },
            Error::ConnectionLost("the connection to the database was lost".into()),
            Error::NotEmpty {
                service: "svc".into(),
                schema: "public".into(),
                tables: "2 tables".into(),
            },
            Error::FailedMigrations("a failed migration is recorded".into()),
            Error::MigrationFailed("Migration `x` failed to apply".into()),
            Error::LockedOut("gave up waiting for table locks".into()),
            Error::Strict("--strict: an applied migration was edited".into()),
            Error::Resolve("`x` is not failed".into()),
            Error::Cluster("initdb failed".into()),
            Error::Bench("verify exited with 1".into()),
            Error::Backup("pg_dump failed".into()),
            Error::Precheck("a pending migration would fail on the rows".into()),
            Error::PartialSquash(
                "squash `x` replaces 3 migrations, and this database applied 1".into(),
            ),
            Error::Squash("the squash does not build what the migrations build".into()),
        ]
    }

    /// Every kind is in `every_kind` (this match has no catch-all: a new kind fails to compile
    /// until it is added there, and so to the snapshot).
    fn listed(e: &Error) -> &'static str {
        match e {
            Error::Io { .. } => "Io",
            Error::MissingMigrationFile { .. } => "MissingMigrationFile",
            Error::MigrationFileNotAFile { .. } => "MigrationFileNotAFile",
            Error::NotUtf8 { .. } => "NotUtf8",
            Error::ByteOrderMark { .. } => "ByteOrderMark",
            Error::NulByte { .. } => "NulByte",
            Error::Utf16 { .. } => "Utf16",
            Error::LinkOutsideMigrations { .. } => "LinkOutsideMigrations",
            Error::NonUtf8Name { .. } => "NonUtf8Name",
            Error::LockfileProvider { .. } => "LockfileProvider",
            Error::NoServicesDir { .. } => "NoServicesDir",
            Error::BadServiceName { .. } => "BadServiceName",
            Error::SharedUrlVariable { .. } => "SharedUrlVariable",
            Error::Prisma8 { .. } => "Prisma8",
            Error::UnknownService { .. } => "UnknownService",
            Error::DuplicateService { .. } => "DuplicateService",
            Error::NoMigrationsDir { .. } => "NoMigrationsDir",
            Error::Script { .. } => "Script",
            Error::Schema { .. } => "Schema",
            Error::Config(_) => "Config",
            Error::NoDatabaseUrl { .. } => "NoDatabaseUrl",
            Error::InvalidUrl { .. } => "InvalidUrl",
            Error::Connect { .. } => "Connect",
            Error::LockTimeout { .. } => "LockTimeout",
            Error::Pooler { .. } => "Pooler",
            Error::Database { .. } => "Database",
            Error::ConnectionLost(_) => "ConnectionLost",
            Error::NotEmpty { .. } => "NotEmpty",
            Error::FailedMigrations(_) => "FailedMigrations",
            Error::MigrationFailed(_) => "MigrationFailed",
            Error::LockedOut(_) => "LockedOut",
            Error::Strict(_) => "Strict",
            Error::Resolve(_) => "Resolve",
            Error::Cluster(_) => "Cluster",
            Error::Bench(_) => "Bench",
            Error::Backup(_) => "Backup",
            Error::Precheck(_) => "Precheck",
            Error::PartialSquash(_) => "PartialSquash",
            Error::Squash(_) => "Squash",
        }
    }

    #[test]
    fn every_kind_of_error_reads_right_with_its_exit_code() {
        let kinds = every_kind();
        let mut names: Vec<&str> = kinds.iter().map(listed).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), kinds.len(), "a kind is listed twice");
        let text: Vec<String> = kinds
            .iter()
            .map(|e| format!("{} (exit {}):\n{e}\n", listed(e), e.exit_code().code()))
            .collect();
        insta::assert_snapshot!(text.join("\n"));
    }
}
