//! The lint rules: one file each, registered in [`RULES`]. A rule looks at a whole service, at
//! one migration, or at one action of a statement with the schema as it stood just before.

use std::ops::Range;

use chrono::NaiveDateTime;

use crate::lint::RuleLevel;

use super::MigrationFile;
use super::config::LintConfig;
use super::history::Baseline;
use crate::sql::Catalog;
use crate::sql::{Action, ActionKind};

mod add_required_column;
mod backfill_todo;
mod column_type_change;
mod drop_column;
mod drop_table;
mod duplicate_timestamp;
mod edited_migration;
mod empty_migration;
mod index_not_concurrent;
mod invalid_suppression;
mod migrate_incompatible;
mod migration_name;
mod migration_size;
mod migration_timestamp;
mod out_of_order;
mod removed_migration;
mod rename_column;
mod rename_table;
mod revert_todo;
mod set_not_null;
mod syntax_error;
mod unindexed_foreign_key;
mod unused_suppression;
mod vague_name;
mod validating_constraint;
mod volatile_default;

#[cfg(test)]
pub(crate) mod test_support;

pub(crate) use migration_timestamp::NAME as MIGRATION_TIMESTAMP;
pub(crate) use revert_todo::TODO as REVERT_TODO;
pub(crate) use unused_suppression::{NAME as UNUSED_SUPPRESSION, report_unused};

/// Every rule, in the order `--list-rules` shows them.
pub static RULES: &[&dyn Rule] = &[
    // Names
    &migration_name::MigrationName,
    &migration_timestamp::MigrationTimestamp,
    &duplicate_timestamp::DuplicateTimestamp,
    &vague_name::VagueName,
    // History (--since)
    &out_of_order::OutOfOrder,
    &edited_migration::EditedMigration,
    &removed_migration::RemovedMigration,
    // Size
    &migration_size::MigrationSize,
    &empty_migration::EmptyMigration,
    // SQL safety
    &drop_table::DropTable,
    &drop_column::DropColumn,
    &add_required_column::AddRequiredColumn,
    &set_not_null::SetNotNull,
    &column_type_change::ColumnTypeChange,
    &rename_column::RenameColumn,
    &rename_table::RenameTable,
    &index_not_concurrent::IndexNotConcurrent,
    &unindexed_foreign_key::UnindexedForeignKey,
    &validating_constraint::ValidatingConstraint,
    &volatile_default::VolatileDefault,
    &migrate_incompatible::MigrateIncompatible,
    &syntax_error::SyntaxError,
    &revert_todo::RevertTodo,
    &backfill_todo::BackfillTodo,
    // Suppressions
    &invalid_suppression::InvalidSuppression,
    &unused_suppression::UnusedSuppression,
];

/// The rule called `name`.
pub(crate) fn find(name: &str) -> Option<&'static dyn Rule> {
    RULES.iter().copied().find(|r| r.name() == name)
}

/// A lint rule: one file under `lint/rules/`, registered in `RULES`.
pub trait Rule: Sync {
    /// The name used in output, in `[lint.rules]` and in `lint:allow`.
    fn name(&self) -> &'static str;
    /// The level it reports at unless `[lint.rules]` says otherwise.
    fn default_level(&self) -> RuleLevel {
        RuleLevel::Error
    }
    /// One line: what the rule catches.
    fn about(&self) -> &'static str;
    /// Whether `lint:allow` can silence it (not for the rules about suppressions themselves).
    fn suppressible(&self) -> bool {
        true
    }
    /// After every migration was replayed; `catalog` is the final schema.
    fn check_service(&self, _cx: &ServiceCx, _catalog: &Catalog, _out: &mut Sink) {}
    /// Once per migration file, after it was replayed.
    fn check_migration(&self, _cx: &MigrationCx, _out: &mut Sink) {}
    /// Once per statement (action) of a migration, in order.
    fn check_action(&self, _cx: &ActionCx, _out: &mut Sink) {}
}

/// A service, with everything a rule may need about it.
pub struct ServiceCx<'a> {
    pub service: &'a str,
    /// The service's migrations in order (a migration's index is its position here).
    pub migrations: &'a [MigrationFile],
    pub config: &'a LintConfig,
    /// The migrations on the `--since` revision.
    pub baseline: Option<&'a Baseline>,
    /// The current UTC time.
    pub now: NaiveDateTime,
}

pub struct MigrationCx<'a> {
    pub service: &'a ServiceCx<'a>,
    pub index: usize,
    pub migration: &'a MigrationFile,
}

pub struct ActionCx<'a> {
    pub migration: &'a MigrationCx<'a>,
    /// Index of the statement in the migration's analysis.
    pub statement: usize,
    pub action: &'a Action,
    /// The schema just before this action.
    pub catalog: &'a Catalog,
}

impl ActionCx<'_> {
    /// Whether `table` existed before this migration (so locks and rewrites hit live data).
    pub fn existing(&self, table: &str) -> bool {
        self.catalog.existed_before(table, self.migration.index)
    }

    pub fn config(&self) -> &LintConfig {
        self.migration.service.config
    }

    /// The actions of this migration's earlier statements.
    pub fn earlier_actions(&self) -> impl Iterator<Item = &ActionKind> {
        self.migration.migration.analysis.statements[..self.statement]
            .iter()
            .flat_map(|s| s.actions.iter().map(|a| &a.kind))
    }

    /// Reports at this action.
    pub fn report(&self, out: &mut Sink, message: String, help: &str) {
        out.report(
            Place::Migration(self.migration.index),
            Some(self.action.range.clone()),
            message,
            help,
        );
    }
}

/// Where a finding is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    /// A migration of the service, by index.
    Migration(usize),
    /// A migration that no longer exists (shown by its path on the `--since` revision).
    Removed { name: String },
}

/// A finding as a rule reports it; the runner adds level, file and line.
#[derive(Debug, Clone)]
pub(crate) struct RawFinding {
    pub rule: &'static dyn Rule,
    pub place: Place,
    /// Byte range in the file; `None` for the file as a whole.
    pub range: Option<Range<usize>>,
    pub message: String,
    pub help: String,
}

impl std::fmt::Debug for dyn Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Where rules put their findings.
pub struct Sink<'a> {
    pub(crate) rule: &'static dyn Rule,
    pub(crate) found: &'a mut Vec<RawFinding>,
}

impl Sink<'_> {
    pub fn report(
        &mut self,
        place: Place,
        range: Option<Range<usize>>,
        message: String,
        help: &str,
    ) {
        self.found.push(RawFinding {
            rule: self.rule,
            place,
            range,
            message,
            help: help.to_string(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::RULES;
    use super::test_support::check_with;

    /// Every rule has a snapshot of a finding of its own: a fixture it fires on.
    #[test]
    fn every_rule_fires_on_a_fixture_of_its_own() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/lint/rules/snapshots");
        let snapshots: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
            .collect();
        for rule in RULES {
            let tag = format!("[{}]:", rule.name());
            assert!(
                snapshots.iter().any(|s| s.contains(&tag)),
                "no snapshot shows `{}` firing",
                rule.name()
            );
        }
    }

    /// A history as `prisma migrate dev` writes it for safe changes: quiet under every rule.
    #[test]
    fn prisma_generated_safe_history_is_quiet() {
        let history = [
            (
                "20250101000000_init",
                r#"-- CreateEnum
CREATE TYPE "Role" AS ENUM ('STUDENT', 'TEACHER');

-- CreateTable
CREATE TABLE "users" (
    "id" TEXT NOT NULL,
    "email" TEXT NOT NULL,
    "role" "Role" NOT NULL DEFAULT 'STUDENT',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "users_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "posts" (
    "id" SERIAL NOT NULL,
    "authorId" TEXT NOT NULL,
    "title" VARCHAR(100) NOT NULL,

    CONSTRAINT "posts_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "users_email_key" ON "users"("email");

-- CreateIndex
CREATE INDEX "posts_authorId_idx" ON "posts"("authorId");

-- AddForeignKey
ALTER TABLE "posts" ADD CONSTRAINT "posts_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "users"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
"#,
            ),
            (
                "20250102000000_add_user_nickname",
                "-- AlterTable\nALTER TABLE \"users\" ADD COLUMN \"nickname\" TEXT,\nADD COLUMN \"active\" BOOLEAN NOT NULL DEFAULT true;\n",
            ),
            (
                "20250103000000_create_comments",
                r#"-- CreateTable
CREATE TABLE "comments" (
    "id" TEXT NOT NULL,
    "postId" INTEGER NOT NULL,
    "body" TEXT NOT NULL,

    CONSTRAINT "comments_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "comments_postId_idx" ON "comments"("postId");

-- AddForeignKey
ALTER TABLE "comments" ADD CONSTRAINT "comments_postId_fkey" FOREIGN KEY ("postId") REFERENCES "posts"("id") ON DELETE CASCADE ON UPDATE CASCADE;
"#,
            ),
            (
                "20250104000000_add_admin_role",
                "-- AlterEnum\nALTER TYPE \"Role\" ADD VALUE 'ADMIN';\n",
            ),
            (
                "20250105000000_index_posts_title",
                "-- CreateIndex\nCREATE INDEX CONCURRENTLY \"posts_title_idx\" ON \"posts\"(\"title\");\n",
            ),
            (
                "20250106000000_widen_post_title",
                "-- AlterTable\nALTER TABLE \"posts\" ALTER COLUMN \"title\" SET DATA TYPE VARCHAR(200);\n",
            ),
            (
                "20250107000000_drop_posts_title_index",
                "-- DropIndex\nDROP INDEX \"posts_title_idx\";\n",
            ),
            (
                "20250108000000_drop_comment_post_relation",
                "-- DropForeignKey\nALTER TABLE \"comments\" DROP CONSTRAINT \"comments_postId_fkey\";\n",
            ),
        ];
        assert_eq!(check_with(&Default::default(), &history, None, false), "");
    }
}
