//! The corpus of bad inputs: broken migration files and folders, file-system oddities, bad
//! configuration and bad database URLs, each run through the real binary (against a real
//! database where the command needs one). For each: no panic, the documented exit code, the
//! expected message (a snapshot in `snapshots/bad_inputs__<case>.snap`, paths and timings
//! masked), and nothing of a refused or failed migration left in the database.
//!
//! Every case starts from a monorepo with one service `svc` holding one good migration
//! (`20250101000000_init`, which creates `init_ok`), and adds its bad input; bad migrations
//! create tables named `bad_*`.

use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use shared_migrate::DatabaseUrl;
use test_support::{TempRepo, fresh_database};

use crate::common;
use common::{Out, run, xtask};

const INIT: &str = "20250101000000_init";
const BAD: &str = "20250102000000_bad";

struct Fixture {
    repo: TempRepo,
    db: DatabaseUrl,
    /// SVC_DATABASE_URL for the run (None: unset).
    url: Option<String>,
    /// Run the binary as `nobody` (to make a root-owned 0000 file unreadable when we are root).
    unprivileged: bool,
}

impl Fixture {
    fn root(&self) -> &Path {
        self.repo.root()
    }

    fn migrations(&self) -> PathBuf {
        self.root().join("services/svc/prisma/migrations")
    }

    /// Writes `bytes` as the migration.sql of folder `name`.
    fn migration(&self, name: impl AsRef<std::ffi::OsStr>, bytes: &[u8]) -> PathBuf {
        let dir = self.migrations().join(name.as_ref());
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("migration.sql");
        std::fs::write(&path, bytes).unwrap();
        path
    }

    fn bad(&self, bytes: &[u8]) -> PathBuf {
        self.migration(BAD, bytes)
    }

    /// Writes a file relative to the root.
    fn file(&self, rel: &str, bytes: &[u8]) {
        let path = self.root().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }

    fn symlink(&self, target: impl AsRef<Path>, rel: &str) {
        let link = self.root().join(rel);
        std::fs::create_dir_all(link.parent().unwrap()).unwrap();
        std::os::unix::fs::symlink(target, link).unwrap();
    }
}

/// The tables of the database's public schema.
fn tables(db: &DatabaseUrl) -> Vec<String> {
    let mut c = shared_migrate::connect(db).unwrap();
    c.query(
        "SELECT tablename::text FROM pg_tables WHERE schemaname = 'public' ORDER BY 1",
        &[],
    )
    .unwrap()
    .iter()
    .map(|r| r.get(0))
    .collect()
}

/// Runs `args` on a fresh fixture prepared by `setup`, checks the exit code, the absence of a
/// panic, the snapshot of the output and that nothing bad was applied. Returns the fixture and
/// the run for further checks.
fn check(case: &str, code: i32, args: &[&str], setup: impl FnOnce(&mut Fixture)) -> (Fixture, Out) {
    let repo = TempRepo::new();
    repo.migration("svc", INIT, "CREATE TABLE init_ok (id int);\n");
    let db = fresh_database("bad_input");
    let mut fx = Fixture {
        url: Some(db.expose().to_string()),
        repo,
        db,
        unprivileged: false,
    };
    setup(&mut fx);
    let bin;
    let mut cmd = if fx.unprivileged && unsafe { libc::geteuid() } == 0 {
        // A copy nobody can run wherever the checkout is; the repo is readable but for the file.
        bin = tempfile::tempdir().unwrap();
        let copy = bin.path().join("xtask");
        std::fs::copy(env!("CARGO_BIN_EXE_xtask"), &copy).unwrap();
        for dir in [bin.path(), fx.root()] {
            chmod(dir, 0o755);
        }
        let mut c = Command::new(copy);
        c.arg("--root").arg(fx.root()).env_remove("DATABASE_URL");
        std::os::unix::process::CommandExt::uid(&mut c, 65534);
        std::os::unix::process::CommandExt::gid(&mut c, 65534);
        c
    } else {
        xtask(fx.root())
    };
    cmd.args(args).env_remove("SVC_DATABASE_URL");
    if let Some(url) = &fx.url {
        cmd.env("SVC_DATABASE_URL", url);
    }
    let out = run(&mut cmd);
    let all = format!("{}{}", out.stdout, out.stderr);
    assert!(!all.contains("panicked"), "{case}: panic:\n{all}");
    assert_eq!(out.code, code, "{case}: exit code\n{all}");

    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_suffix(case);
    settings.set_prepend_module_to_snapshot(false);
    settings.add_filter(&regex::escape(&fx.root().display().to_string()), "[ROOT]");
    settings.add_filter(&regex::escape(&fx.db.dbname), "[DB]");
    settings.add_filter(r"127\.0\.0\.1:\d+", "127.0.0.1:[PORT]");
    settings.add_filter(r" +\d+ ms\b", " [ms]");
    settings.add_filter(r"\(\d+ ms\)", "([ms])");
    settings.add_filter(r" +\d+\.\d s\b", " [s]");
    settings.add_filter(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", "[TIME]");
    settings.add_filter(r"\(byte \d+\)", "(byte [N])");
    settings.bind(|| {
        insta::assert_snapshot!(
            "bad_inputs",
            format!(
                "$ cargo xtask {}\nexit {}\n--- stdout\n{}--- stderr\n{}",
                args.join(" "),
                out.code,
                out.stdout,
                out.stderr
            )
        )
    });

    if args[0] == "migrate" && code != 0 {
        let tables = tables(&fx.db);
        assert!(
            !tables.iter().any(|t| t.starts_with("bad_")),
            "{case}: part of a bad migration was applied: {tables:?}"
        );
        if code == 2 {
            // Input errors are found before anything is applied.
            assert!(!tables.iter().any(|t| t == "init_ok"), "{case}: {tables:?}");
        }
    }
    (fx, out)
}

fn chmod(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

// --- migration files -------------------------------------------------------------------------

#[test]
fn empty_file() {
    // Prisma applies an empty migration; lint warns that it does nothing.
    check("empty_file", 0, &["lint"], |fx| {
        fx.bad(b"");
    });
}

#[test]
fn only_comments() {
    check("only_comments", 0, &["lint"], |fx| {
        fx.bad(b"-- This is an empty migration.\n/* nothing */\n");
    });
}

#[test]
fn not_utf8() {
    check("not_utf8", 2, &["migrate"], |fx| {
        fx.bad(b"CREATE TABLE bad_a (id int);\n-- caf\xe9\nCREATE TABLE bad_b (id int);\n");
    });
}

#[test]
fn utf16_with_bom() {
    check("utf16_with_bom", 2, &["migrate"], |fx| {
        let utf16: Vec<u8> = "CREATE TABLE bad_a (id int);\n"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        fx.bad(&[&[0xff, 0xfe][..], &utf16].concat());
    });
}

#[test]
fn utf16_without_bom() {
    check("utf16_without_bom", 2, &["migrate"], |fx| {
        let utf16: Vec<u8> = "CREATE TABLE bad_a (id int);\n"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        fx.bad(&utf16);
    });
}

#[test]
fn utf8_bom() {
    check("utf8_bom", 2, &["migrate"], |fx| {
        fx.bad(b"\xef\xbb\xbfCREATE TABLE bad_a (id int);\n");
    });
}

#[test]
fn nul_byte() {
    check("nul_byte", 2, &["migrate"], |fx| {
        fx.bad(b"CREATE TABLE bad_a (id int);\nCREATE TABLE bad_b (id int) \0;\n");
    });
}

#[test]
fn crlf_line_endings() {
    // Not bad: applied, and a later switch to LF is not an edit (as Prisma).
    let (fx, _) = check("crlf_line_endings", 0, &["migrate"], |fx| {
        fx.bad(b"CREATE TABLE crlf_a (id int);\r\nCREATE TABLE crlf_b (id int);\r\n");
    });
    fx.bad(b"CREATE TABLE crlf_a (id int);\nCREATE TABLE crlf_b (id int);\n");
    let out = run(xtask(fx.root())
        .arg("status")
        .env("SVC_DATABASE_URL", fx.db.expose()));
    assert_eq!(out.code, 0, "{}", out.stdout);
}

#[test]
fn fifty_megabytes() {
    // Lint reads and parses all of it and flags the size; nothing is applied by lint. Rows of
    // 6 kB: the size is the point here (the bench times lint over many statements), and
    // 520,000 short rows cost the suite 5 s of one core in the parser's keyword lookup.
    check("fifty_megabytes", 0, &["lint"], |fx| {
        let mut sql = String::from("CREATE TABLE bad_big (id int, v text);\n");
        let row = format!("'{}'", "x".repeat(6000));
        let mut i = 0;
        while sql.len() < 50 << 20 {
            sql.push_str(&format!("INSERT INTO bad_big VALUES ({i}, {row});\n"));
            i += 1;
        }
        fx.bad(sql.as_bytes());
    });
}

#[test]
fn syntax_error_in_the_middle() {
    // PostgreSQL finds it; the statements before it in the file are rolled back with it.
    let (fx, out) = check("syntax_error_in_the_middle", 1, &["migrate"], |fx| {
        fx.bad(b"CREATE TABLE bad_a (id int);\nCREATE TABLE bad_b (id int;\nCREATE TABLE bad_c (id int);\n");
    });
    assert!(out.stdout.contains("migration.sql:2:"), "{}", out.stdout);
    assert_eq!(tables(&fx.db), ["_prisma_migrations", "init_ok"]);
}

#[test]
fn runtime_error_in_the_middle() {
    check("runtime_error_in_the_middle", 1, &["migrate"], |fx| {
        fx.bad(b"CREATE TABLE bad_a (id int);\nINSERT INTO bad_a VALUES (1);\nINSERT INTO missing_table VALUES (1);\n");
    });
}

#[test]
fn unterminated_dollar_quote() {
    check("unterminated_dollar_quote", 1, &["migrate"], |fx| {
        fx.bad(
            b"CREATE TABLE bad_a (id int);\nCREATE FUNCTION bad_f() RETURNS int AS $$ SELECT 1;\n",
        );
    });
}

#[test]
fn psql_meta_command() {
    check("psql_meta_command", 1, &["migrate"], |fx| {
        fx.bad(b"\\connect other\nCREATE TABLE bad_a (id int);\n");
    });
}

#[test]
fn begin_without_commit() {
    check("begin_without_commit", 2, &["migrate"], |fx| {
        fx.bad(b"BEGIN;\nCREATE TABLE bad_a (id int);\n");
    });
}

#[test]
fn explicit_commit() {
    check("explicit_commit", 2, &["migrate"], |fx| {
        fx.bad(b"CREATE TABLE bad_a (id int);\nCOMMIT;\nCREATE TABLE bad_b (id int);\n");
    });
}

#[test]
fn concurrently_inside_begin_commit() {
    check("concurrently_inside_begin_commit", 2, &["migrate"], |fx| {
        fx.bad(b"BEGIN;\nCREATE TABLE bad_a (id int);\nCREATE INDEX CONCURRENTLY bad_a_idx ON bad_a (id);\nCOMMIT;\n");
    });
}

#[test]
fn concurrently_failing_after_a_committed_statement() {
    // Statement by statement: what ran stays, the row is failed, and the message says which.
    check(
        "concurrently_failing_after_a_committed_statement",
        1,
        &["migrate"],
        |fx| {
            fx.bad(b"CREATE INDEX CONCURRENTLY init_ok_idx ON init_ok (id);\nCREATE INDEX CONCURRENTLY bad_idx ON missing_table (id);\n");
        },
    );
}

// --- folders and the file system -------------------------------------------------------------

#[test]
fn folder_name_with_quotes() {
    // Prisma accepts any folder name; the name is stored verbatim, and the commands we suggest
    // quote it for the shell. Copy-pasting the suggested resolve command works.
    let name = "20250102000000_it's \"quoted\"";
    let (fx, out) = check("folder_name_with_quotes", 1, &["migrate"], |fx| {
        fx.migration(name, b"CREATE TABLE bad_a (id int);\nSELECT 1/0;\n");
    });
    let suggested = out
        .stdout
        .lines()
        .find_map(|l| l.trim().strip_prefix("2. cargo xtask "))
        .expect("a suggested resolve command");
    let shell = format!(
        "{} --root '{}' {suggested}",
        env!("CARGO_BIN_EXE_xtask"),
        fx.root().display()
    );
    let resolved = run(Command::new("sh")
        .args(["-c", &shell])
        .env("SVC_DATABASE_URL", fx.db.expose()));
    assert_eq!(
        resolved.code, 0,
        "{shell}\n{}{}",
        resolved.stdout, resolved.stderr
    );
    let mut c = shared_migrate::connect(&fx.db).unwrap();
    let rolled_back: i64 = c
        .query_one(
            "SELECT count(*) FROM _prisma_migrations WHERE migration_name = $1 AND rolled_back_at IS NOT NULL",
            &[&name],
        )
        .unwrap()
        .get(0);
    assert_eq!(rolled_back, 1);
}

#[test]
fn folder_name_with_sql() {
    // Reaches SQL only as a parameter: stored verbatim, nothing dropped.
    let name = "20250102000000_x'); DROP TABLE init_ok; --";
    let (fx, _) = check("folder_name_with_sql", 0, &["migrate"], |fx| {
        fx.migration(name, b"CREATE TABLE sql_name (id int);\n");
    });
    assert_eq!(
        tables(&fx.db),
        ["_prisma_migrations", "init_ok", "sql_name"]
    );
    let mut c = shared_migrate::connect(&fx.db).unwrap();
    let stored: i64 = c
        .query_one(
            "SELECT count(*) FROM _prisma_migrations WHERE migration_name = $1",
            &[&name],
        )
        .unwrap()
        .get(0);
    assert_eq!(stored, 1);
}

#[test]
fn folder_name_with_spaces() {
    check("folder_name_with_spaces", 1, &["lint"], |fx| {
        fx.migration("20250102000000_add two columns", b"SELECT 1;\n");
    });
}

#[test]
fn folder_name_non_ascii() {
    check("folder_name_non_ascii", 1, &["lint"], |fx| {
        fx.migration("20250102000000_ajout_élève", b"SELECT 1;\n");
    });
}

#[test]
fn folder_name_not_utf8() {
    check("folder_name_not_utf8", 2, &["migrate"], |fx| {
        fx.migration(
            std::ffi::OsStr::from_bytes(b"20250102000000_bad_\xff"),
            b"CREATE TABLE bad_a (id int);\n",
        );
    });
}

#[test]
fn folder_without_timestamp() {
    check("folder_without_timestamp", 1, &["lint"], |fx| {
        fx.migration("add_bad_table", b"CREATE TABLE bad_a (id int);\n");
    });
}

#[test]
fn missing_migration_file() {
    check("missing_migration_file", 2, &["migrate"], |fx| {
        std::fs::create_dir_all(fx.migrations().join(BAD)).unwrap();
    });
}

#[test]
fn migration_file_is_a_directory() {
    check("migration_file_is_a_directory", 2, &["migrate"], |fx| {
        std::fs::create_dir_all(fx.migrations().join(BAD).join("migration.sql")).unwrap();
    });
}

#[test]
fn migration_file_is_a_fifo() {
    // Not read (reading would block forever): refused as not a regular file.
    check("migration_file_is_a_fifo", 2, &["migrate"], |fx| {
        let dir = fx.migrations().join(BAD);
        std::fs::create_dir_all(&dir).unwrap();
        let path =
            std::ffi::CString::new(dir.join("migration.sql").as_os_str().as_bytes()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(path.as_ptr(), 0o644) }, 0);
    });
}

#[test]
fn migration_file_dangling_symlink() {
    check("migration_file_dangling_symlink", 2, &["migrate"], |fx| {
        fx.symlink(
            "/nonexistent/migration.sql",
            &format!("services/svc/prisma/migrations/{BAD}/migration.sql"),
        );
    });
}

#[test]
fn symlink_loop_under_services() {
    check("symlink_loop_under_services", 2, &["migrate"], |fx| {
        let services = fx.root().join("services");
        fx.symlink(&services, "services/loop");
    });
}

#[test]
fn symlink_loop_in_migrations() {
    check("symlink_loop_in_migrations", 2, &["migrate"], |fx| {
        let migrations = fx.migrations();
        fx.symlink(
            &migrations,
            &format!("services/svc/prisma/migrations/{BAD}"),
        );
    });
}

#[test]
fn migration_file_linked_to_the_env_file() {
    // Refused before it is read: the password in .env is neither shown nor stored.
    check(
        "migration_file_linked_to_the_env_file",
        2,
        &["migrate"],
        |fx| {
            fx.file(
                "services/svc/.env",
                b"DATABASE_URL=postgresql://app:s3cr3t-in-env@db/app\n",
            );
            let env = fx.root().join("services/svc/.env");
            fx.symlink(
                env,
                &format!("services/svc/prisma/migrations/{BAD}/migration.sql"),
            );
        },
    );
}

#[test]
fn migration_folder_linked_outside() {
    check("migration_folder_linked_outside", 2, &["migrate"], |fx| {
        fx.file("elsewhere/migration.sql", b"CREATE TABLE bad_a (id int);\n");
        let elsewhere = fx.root().join("elsewhere");
        fx.symlink(elsewhere, &format!("services/svc/prisma/migrations/{BAD}"));
    });
}

#[test]
fn service_name_with_a_comma() {
    check("service_name_with_a_comma", 2, &["migrate"], |fx| {
        fx.file(
            "services/pay,api/prisma/migrations/20250101000000_init/migration.sql",
            b"CREATE TABLE bad_a (id int);\n",
        );
    });
}

#[test]
fn services_sharing_a_url_variable() {
    check("services_sharing_a_url_variable", 2, &["migrate"], |fx| {
        for svc in ["pay-api", "pay_api"] {
            fx.file(
                &format!("services/{svc}/prisma/migrations/20250101000000_init/migration.sql"),
                b"CREATE TABLE bad_a (id int);\n",
            );
        }
    });
}

#[test]
fn missing_migrations_directory() {
    check("missing_migrations_directory", 2, &["migrate"], |fx| {
        std::fs::remove_dir_all(fx.migrations()).unwrap();
    });
}

#[test]
fn no_services_directory() {
    check("no_services_directory", 2, &["migrate"], |fx| {
        std::fs::remove_dir_all(fx.root().join("services")).unwrap();
    });
}

#[test]
fn unreadable_migration_file() {
    check("unreadable_migration_file", 2, &["migrate"], |fx| {
        let path = fx.bad(b"CREATE TABLE bad_a (id int);\n");
        chmod(&path, 0o000);
        fx.unprivileged = true;
    });
}

#[test]
fn unreadable_migrations_directory() {
    check("unreadable_migrations_directory", 2, &["migrate"], |fx| {
        chmod(&fx.migrations(), 0o000);
        fx.unprivileged = true;
    });
}

#[test]
fn lockfile_for_another_provider() {
    check("lockfile_for_another_provider", 2, &["migrate"], |fx| {
        fx.file(
            "services/svc/prisma/migrations/migration_lock.toml",
            b"# Please do not edit this file manually\nprovider = \"mysql\"\n",
        );
    });
}

#[test]
fn unknown_service() {
    check(
        "unknown_service",
        2,
        &["migrate", "--service", "svx"],
        |_| {},
    );
}

// --- configuration ---------------------------------------------------------------------------

#[test]
fn config_not_toml() {
    check("config_not_toml", 2, &["lint"], |fx| {
        fx.file("xtask.toml", b"[verify\nseed = [\"psql\"]\n");
    });
}

#[test]
fn config_unknown_key() {
    check("config_unknown_key", 2, &["lint"], |fx| {
        fx.file("xtask.toml", b"[verify]\nsed = [\"psql\"]\n");
    });
}

#[test]
fn config_command_as_a_string() {
    // Commands are argument lists (run without a shell), never a string.
    check("config_command_as_a_string", 2, &["lint"], |fx| {
        fx.file(
            "services/svc/xtask.toml",
            b"[verify]\nseed = \"psql -f seed.sql && rm -rf /\"\n",
        );
    });
}

#[test]
fn config_unknown_rule() {
    check("config_unknown_rule", 2, &["lint"], |fx| {
        fx.file("xtask.toml", b"[lint.rules]\ndrop-tabel = \"off\"\n");
    });
}

#[test]
fn config_bad_rule_level() {
    check("config_bad_rule_level", 2, &["lint"], |fx| {
        fx.file("xtask.toml", b"[lint.rules]\ndrop-table = \"fatal\"\n");
    });
}

#[test]
fn config_not_utf8() {
    check("config_not_utf8", 2, &["lint"], |fx| {
        fx.file("xtask.toml", b"[lint]\nvague_words = [\"caf\xe9\"]\n");
    });
}

#[test]
fn config_bad_duration() {
    check("config_bad_duration", 2, &["lint"], |fx| {
        fx.file("xtask.toml", b"[lint]\nmax_clock_skew = \"ten minutes\"\n");
    });
}

// --- database URLs ---------------------------------------------------------------------------

#[test]
fn no_database_url() {
    check("no_database_url", 2, &["migrate"], |fx| {
        fx.url = None;
    });
}

#[test]
fn url_with_bad_port() {
    check("url_with_bad_port", 2, &["migrate"], |fx| {
        fx.url = Some("postgresql://app:s3cr3t@127.0.0.1:notaport/db".into());
    });
}

#[test]
fn url_with_one_slash() {
    check("url_with_one_slash", 2, &["migrate"], |fx| {
        fx.url = Some("postgresql:/app:s3cr3t@127.0.0.1/db".into());
    });
}

#[test]
fn url_with_an_unencoded_slash_in_the_password() {
    check(
        "url_with_an_unencoded_slash_in_the_password",
        2,
        &["migrate"],
        |fx| {
            fx.url = Some("postgresql://app:s3c/r3t@127.0.0.1/db".into());
        },
    );
}

#[test]
fn url_of_another_database_kind() {
    check("url_of_another_database_kind", 2, &["migrate"], |fx| {
        fx.url = Some("mysql://app:s3cr3t@127.0.0.1/db".into());
    });
}

#[test]
fn url_with_bad_percent_encoding() {
    check("url_with_bad_percent_encoding", 2, &["migrate"], |fx| {
        fx.url = Some("postgresql://app:s3cr%ZZt@127.0.0.1/db".into());
    });
}

#[test]
fn url_not_a_url() {
    check("url_not_a_url", 2, &["migrate"], |fx| {
        fx.url = Some("host=127.0.0.1 user=app password=s3cr3t".into());
    });
}

#[test]
fn url_with_unknown_sslmode() {
    check("url_with_unknown_sslmode", 2, &["migrate"], |fx| {
        fx.url = Some("postgresql://app:s3cr3t@127.0.0.1/db?sslmode=verify_full".into());
    });
}

#[test]
fn url_verifying_without_a_root_certificate() {
    check(
        "url_verifying_without_a_root_certificate",
        2,
        &["migrate"],
        |fx| {
            fx.url = Some("postgresql://app:s3cr3t@127.0.0.1/db?sslmode=verify-full".into());
        },
    );
}

#[test]
fn dotenv_file_not_parsable() {
    check("dotenv_file_not_parsable", 2, &["migrate"], |fx| {
        fx.url = None;
        fx.file(
            "services/svc/.env",
            b"DATABASE_URL=\"postgresql://app:s3cr3t@127.0.0.1/db\n",
        );
    });
}

/// None of the URL cases shows the password.
#[test]
fn snapshots_hold_no_password() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/snapshots");
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with("bad_inputs"))
        {
            let text = std::fs::read_to_string(&path).unwrap();
            assert!(!text.contains("s3cr3t"), "{}", path.display());
        }
    }
}
