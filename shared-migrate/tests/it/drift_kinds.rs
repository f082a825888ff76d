//! Each kind of difference between a service's migrations and its schema.prisma, as a pair:
//! the mismatched state must be reported, located (the line of schema.prisma that declares the
//! object, or the migration that made it), and its matching state must not be reported at all.
//! The matching migrations are hand-written, as teams write them, not Prisma's exact text.

use shared_migrate::UrlBackend;
use test_support::{TempRepo, migrations_against_schema, test_backend};

const BASE_SCHEMA: &str = r#"datasource db {
  provider = "postgresql"
  url      = env("DATABASE_URL")
}

enum Role {
  STUDENT
  TEACHER
}

model User {
  id        Int      @id @default(autoincrement())
  email     String   @unique
  name      String?
  role      Role     @default(STUDENT)
  createdAt DateTime @default(now())
  posts     Post[]
}

model Post {
  id       Int    @id @default(autoincrement())
  title    String
  authorId Int
  author   User   @relation(fields: [authorId], references: [id])
}
"#;

const INIT: &str = r#"-- CreateEnum
CREATE TYPE "Role" AS ENUM ('STUDENT', 'TEACHER');

-- CreateTable
CREATE TABLE "User" (
    "id" SERIAL NOT NULL,
    "email" TEXT NOT NULL,
    "name" TEXT,
    "role" "Role" NOT NULL DEFAULT 'STUDENT',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "User_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Post" (
    "id" SERIAL NOT NULL,
    "title" TEXT NOT NULL,
    "authorId" INTEGER NOT NULL,

    CONSTRAINT "Post_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "User_email_key" ON "User"("email");

-- AddForeignKey
ALTER TABLE "Post" ADD CONSTRAINT "Post_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "User"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
"#;

/// schema.prisma edits: (find, replace).
type Edits = &'static [(&'static str, &'static str)];

/// One state of a service: schema.prisma edits and a second migration.
struct State {
    edits: Vec<(&'static str, &'static str)>,
    sql: &'static str,
}

/// Where the reported difference must point.
enum At {
    /// The schema.prisma line holding this text.
    Schema(&'static str),
    /// The second migration (the one that made the object).
    Migration,
}

/// A kind of difference: `edits` to schema.prisma in both states; the mismatched state's second
/// migration; the matching state's further edits and second migration.
struct Kind {
    name: &'static str,
    edits: Edits,
    mismatched_sql: &'static str,
    matching_edits: Edits,
    matching_sql: &'static str,
    /// A fragment of the difference's message.
    says: &'static str,
    at: At,
}

impl Kind {
    fn mismatched(&self) -> State {
        State {
            edits: self.edits.to_vec(),
            sql: self.mismatched_sql,
        }
    }

    fn matching(&self) -> State {
        State {
            edits: [self.edits, self.matching_edits].concat(),
            sql: self.matching_sql,
        }
    }
}

fn kinds() -> Vec<Kind> {
    vec![
        Kind {
            name: "table missing from the migrations",
            edits: &[(
                "model Post {",
                "model Tag {\n  id    Int    @id\n  label String\n}\n\nmodel Post {",
            )],
            mismatched_sql: "",
            matching_edits: &[],
            matching_sql: "CREATE TABLE \"Tag\" (id integer PRIMARY KEY, label text NOT NULL);\n",
            says: "table `Tag`",
            at: At::Schema("model Tag {"),
        },
        Kind {
            name: "table missing from schema.prisma",
            edits: &[],
            mismatched_sql: "CREATE TABLE \"Audit\" (\"id\" SERIAL PRIMARY KEY, \"what\" TEXT NOT NULL);\n",
            matching_edits: &[(
                "model Post {",
                "model Audit {\n  id   Int    @id @default(autoincrement())\n  what String\n}\n\nmodel Post {",
            )],
            matching_sql: "CREATE TABLE \"Audit\" (\"id\" SERIAL PRIMARY KEY, \"what\" TEXT NOT NULL);\n",
            says: "table `Audit`",
            at: At::Migration,
        },
        Kind {
            name: "column missing from the migrations",
            edits: &[(
                "  name      String?\n",
                "  name      String?\n  bio       String?\n",
            )],
            mismatched_sql: "",
            matching_edits: &[],
            matching_sql: "ALTER TABLE \"User\" ADD COLUMN \"bio\" TEXT;\n",
            says: "column `User.bio`",
            at: At::Schema("bio       String?"),
        },
        Kind {
            name: "column missing from schema.prisma",
            edits: &[],
            mismatched_sql: "ALTER TABLE \"User\" ADD COLUMN \"legacy\" TEXT;\n",
            matching_edits: &[(
                "  name      String?\n",
                "  name      String?\n  legacy    String?\n",
            )],
            matching_sql: "ALTER TABLE \"User\" ADD COLUMN \"legacy\" TEXT;\n",
            says: "column `User.legacy`",
            at: At::Migration,
        },
        Kind {
            name: "type",
            edits: &[("  authorId Int\n", "  authorId Int\n  score    Float\n")],
            mismatched_sql: "ALTER TABLE \"Post\" ADD COLUMN \"score\" REAL NOT NULL;\n",
            matching_edits: &[],
            matching_sql: "ALTER TABLE \"Post\" ADD COLUMN \"score\" DOUBLE PRECISION NOT NULL;\n",
            says: "`Post.score`",
            at: At::Schema("score    Float"),
        },
        Kind {
            name: "native type",
            edits: &[(
                "  title    String\n",
                "  title    String @db.VarChar(200)\n",
            )],
            mismatched_sql: "ALTER TABLE \"Post\" ALTER COLUMN \"title\" TYPE varchar(100);\n",
            matching_edits: &[],
            matching_sql: "ALTER TABLE \"Post\" ALTER COLUMN \"title\" TYPE varchar(200);\n",
            says: "`Post.title`",
            at: At::Schema("title    String @db.VarChar(200)"),
        },
        Kind {
            name: "nullability",
            edits: &[("  name      String?\n", "  name      String\n")],
            mismatched_sql: "",
            matching_edits: &[],
            matching_sql: "ALTER TABLE \"User\" ALTER COLUMN \"name\" SET NOT NULL;\n",
            says: "`User.name`",
            at: At::Schema("name      String\n"),
        },
        Kind {
            name: "default",
            edits: &[(
                "  title    String\n",
                "  title    String @default(\"untitled\")\n",
            )],
            mismatched_sql: "ALTER TABLE \"Post\" ALTER COLUMN \"title\" SET DEFAULT 'Untitled';\n",
            matching_edits: &[],
            matching_sql: "ALTER TABLE \"Post\" ALTER COLUMN \"title\" SET DEFAULT 'untitled';\n",
            says: "`Post.title`",
            at: At::Schema("@default(\"untitled\")"),
        },
        Kind {
            name: "index missing from the migrations",
            edits: &[(
                "  author   User   @relation(fields: [authorId], references: [id])\n",
                "  author   User   @relation(fields: [authorId], references: [id])\n\n  @@index([title])\n",
            )],
            mismatched_sql: "",
            matching_edits: &[],
            matching_sql: "CREATE INDEX \"Post_title_idx\" ON \"Post\" (title);\n",
            says: "index `Post_title_idx`",
            at: At::Schema("@@index([title])"),
        },
        Kind {
            name: "index made by hand, not declared",
            edits: &[],
            mismatched_sql: "CREATE INDEX \"Post_authorId_idx\" ON \"Post\"(\"authorId\");\n",
            matching_edits: &[(
                "  author   User   @relation(fields: [authorId], references: [id])\n",
                "  author   User   @relation(fields: [authorId], references: [id])\n\n  @@index([authorId])\n",
            )],
            matching_sql: "CREATE INDEX \"Post_authorId_idx\" ON \"Post\"(\"authorId\");\n",
            says: "index `Post_authorId_idx`",
            at: At::Migration,
        },
        Kind {
            name: "index sort order",
            edits: &[(
                "  author   User   @relation(fields: [authorId], references: [id])\n",
                "  author   User   @relation(fields: [authorId], references: [id])\n\n  @@index([title(sort: Desc)])\n",
            )],
            mismatched_sql: "CREATE INDEX \"Post_title_idx\" ON \"Post\"(\"title\");\n",
            matching_edits: &[],
            matching_sql: "CREATE INDEX \"Post_title_idx\" ON \"Post\"(\"title\" DESC);\n",
            says: "Post_title_idx",
            at: At::Schema("@@index([title(sort: Desc)])"),
        },
        Kind {
            name: "unique",
            edits: &[("  title    String\n", "  title    String @unique\n")],
            mismatched_sql: "CREATE INDEX \"Post_title_key\" ON \"Post\"(\"title\");\n",
            matching_edits: &[],
            matching_sql: "CREATE UNIQUE INDEX \"Post_title_key\" ON \"Post\"(\"title\");\n",
            says: "Post_title_key",
            at: At::Schema("title    String @unique"),
        },
        Kind {
            name: "composite unique",
            edits: &[(
                "  author   User   @relation(fields: [authorId], references: [id])\n",
                "  author   User   @relation(fields: [authorId], references: [id])\n\n  @@unique([authorId, title])\n",
            )],
            mismatched_sql: "CREATE UNIQUE INDEX \"Post_authorId_title_key\" ON \"Post\"(\"title\", \"authorId\");\n",
            matching_edits: &[],
            matching_sql: "CREATE UNIQUE INDEX \"Post_authorId_title_key\" ON \"Post\"(\"authorId\", \"title\");\n",
            says: "Post_authorId_title_key",
            at: At::Schema("@@unique([authorId, title])"),
        },
        Kind {
            name: "foreign key actions",
            edits: &[("references: [id])", "references: [id], onDelete: Cascade)")],
            mismatched_sql: "",
            matching_edits: &[],
            matching_sql: "ALTER TABLE \"Post\" DROP CONSTRAINT \"Post_authorId_fkey\";\nALTER TABLE \"Post\" ADD CONSTRAINT \"Post_authorId_fkey\" FOREIGN KEY (\"authorId\") REFERENCES \"User\"(\"id\") ON DELETE CASCADE ON UPDATE CASCADE;\n",
            says: "Post_authorId_fkey",
            at: At::Schema("onDelete: Cascade"),
        },
        Kind {
            name: "foreign key missing from the migrations",
            edits: &[
                (
                    "  authorId Int\n",
                    "  authorId Int\n  editorId Int?\n  editor   User?  @relation(\"edits\", fields: [editorId], references: [id])\n",
                ),
                (
                    "  author   User   @relation(fields",
                    "  author   User   @relation(\"writes\", fields",
                ),
                (
                    "  posts     Post[]\n",
                    "  posts     Post[] @relation(\"writes\")\n  edited    Post[] @relation(\"edits\")\n",
                ),
            ],
            mismatched_sql: "ALTER TABLE \"Post\" ADD COLUMN \"editorId\" INTEGER;\n",
            matching_edits: &[],
            matching_sql: "ALTER TABLE \"Post\" ADD COLUMN \"editorId\" INTEGER;\nALTER TABLE \"Post\" ADD CONSTRAINT \"Post_editorId_fkey\" FOREIGN KEY (\"editorId\") REFERENCES \"User\"(\"id\") ON DELETE SET NULL ON UPDATE CASCADE;\n",
            says: "Post_editorId_fkey",
            at: At::Schema("editor   User?"),
        },
        Kind {
            name: "enum value",
            edits: &[("  TEACHER\n", "  TEACHER\n  ADMIN\n")],
            mismatched_sql: "",
            matching_edits: &[],
            matching_sql: "ALTER TYPE \"Role\" ADD VALUE 'ADMIN';\n",
            says: "ADMIN",
            at: At::Schema("enum Role {"),
        },
        Kind {
            name: "many-to-many join table",
            edits: &[
                (
                    "model Post {",
                    "model Tag {\n  id    Int    @id\n  posts Post[]\n}\n\nmodel Post {",
                ),
                ("  authorId Int\n", "  authorId Int\n  tags     Tag[]\n"),
            ],
            mismatched_sql: "CREATE TABLE \"Tag\" (\"id\" INTEGER NOT NULL, CONSTRAINT \"Tag_pkey\" PRIMARY KEY (\"id\"));\n",
            matching_edits: &[],
            matching_sql: "CREATE TABLE \"Tag\" (\"id\" INTEGER NOT NULL, CONSTRAINT \"Tag_pkey\" PRIMARY KEY (\"id\"));\n\
                      CREATE TABLE \"_PostToTag\" (\"A\" INTEGER NOT NULL, \"B\" INTEGER NOT NULL, CONSTRAINT \"_PostToTag_AB_pkey\" PRIMARY KEY (\"A\",\"B\"));\n\
                      CREATE INDEX \"_PostToTag_B_index\" ON \"_PostToTag\"(\"B\");\n\
                      ALTER TABLE \"_PostToTag\" ADD CONSTRAINT \"_PostToTag_A_fkey\" FOREIGN KEY (\"A\") REFERENCES \"Post\"(\"id\") ON DELETE CASCADE ON UPDATE CASCADE;\n\
                      ALTER TABLE \"_PostToTag\" ADD CONSTRAINT \"_PostToTag_B_fkey\" FOREIGN KEY (\"B\") REFERENCES \"Tag\"(\"id\") ON DELETE CASCADE ON UPDATE CASCADE;\n",
            says: "table `_PostToTag`",
            // Prisma records the relation at model A's field (`Post` sorts before `Tag`).
            at: At::Schema("  tags     Tag[]\n"),
        },
        Kind {
            name: "@map",
            edits: &[(
                "  name      String?\n",
                "  name      String? @map(\"full_name\")\n",
            )],
            mismatched_sql: "",
            matching_edits: &[],
            matching_sql: "ALTER TABLE \"User\" RENAME COLUMN \"name\" TO \"full_name\";\n",
            says: "column `User.full_name`",
            at: At::Schema("@map(\"full_name\")"),
        },
        Kind {
            name: "@@map",
            edits: &[(
                "  author   User   @relation(fields: [authorId], references: [id])\n",
                "  author   User   @relation(fields: [authorId], references: [id])\n\n  @@map(\"posts\")\n",
            )],
            mismatched_sql: "",
            matching_edits: &[],
            matching_sql: "ALTER TABLE \"Post\" RENAME TO \"posts\";\n\
                      ALTER TABLE \"posts\" RENAME CONSTRAINT \"Post_pkey\" TO \"posts_pkey\";\n\
                      ALTER TABLE \"posts\" RENAME CONSTRAINT \"Post_authorId_fkey\" TO \"posts_authorId_fkey\";\n",
            says: "table `posts`",
            at: At::Schema("model Post {"),
        },
    ]
}

fn schema_text(state: &State) -> String {
    let mut text = BASE_SCHEMA.to_string();
    for (find, replace) in &state.edits {
        assert!(
            text.contains(find),
            "edit target {find:?} not in the schema"
        );
        text = text.replacen(find, replace, 1);
    }
    text
}

/// The service in `state`, diffed migrations → schema.prisma.
fn diff(state: &State, backend: &UrlBackend) -> (TempRepo, shared_migrate::DiffReport) {
    let repo = TempRepo::new();
    repo.migration("svc", "20250101000000_init", INIT);
    if !state.sql.is_empty() {
        repo.migration("svc", "20250102000000_change", state.sql);
    }
    std::fs::write(
        repo.root().join("services/svc/prisma/schema.prisma"),
        schema_text(state),
    )
    .unwrap();
    let report = migrations_against_schema(&repo.workspace(), &repo.service("svc"), backend);
    (repo, report)
}

#[test]
fn each_kind_of_difference_is_found_located_and_its_match_is_not() {
    let backend = test_backend();
    // The base itself: the init migration is what schema.prisma says.
    let none = State {
        edits: Vec::new(),
        sql: "",
    };
    let (_repo, base) = diff(&none, &backend);
    assert!(
        base.result.is_ok() && base.differences.is_empty(),
        "base: {:?} {:#?}",
        base.result,
        base.differences
    );
    let mut failures = Vec::new();
    for kind in kinds() {
        let (repo, report) = diff(&kind.mismatched(), &backend);
        if let Err(e) = &report.result {
            failures.push(format!("{}: mismatched: error {e}", kind.name));
            continue;
        }
        let said: Vec<_> = report
            .differences
            .iter()
            .filter(|d| d.message.contains(kind.says))
            .collect();
        let located = |d: &&shared_migrate::Difference| match kind.at {
            At::Schema(text) => d.schema_at.as_ref().is_some_and(|at| {
                let file = std::fs::read_to_string(&at.path).unwrap();
                file.lines()
                    .nth(at.line - 1)
                    .is_some_and(|l| format!("{l}\n").contains(text))
            }),
            At::Migration => d.migration_at.as_ref().is_some_and(|at| {
                at.path.starts_with(repo.root())
                    && at.path.ends_with("20250102000000_change/migration.sql")
            }),
        };
        if !said.iter().any(located) {
            failures.push(format!(
                "{}: no difference saying {:?} located at the {}; got {:#?}",
                kind.name,
                kind.says,
                match kind.at {
                    At::Schema(text) => format!("schema.prisma line with {text:?}"),
                    At::Migration => "second migration".to_string(),
                },
                report.differences
            ));
        }
        let (_repo, report) = diff(&kind.matching(), &backend);
        if report.result.is_err() || !report.differences.is_empty() {
            failures.push(format!(
                "{}: matching pair reported: {:?}\n{}",
                kind.name, report.result, report.summary
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
