-- Tests of the migrated schema, run against the seeded throwaway database. Each test runs in a
-- transaction that is rolled back; a failed assertion raises and stops psql (ON_ERROR_STOP).

\echo 'test: the seed loaded'
DO $$ BEGIN
  ASSERT (SELECT count(*) FROM "students") = 2, 'expected 2 seeded students';
  ASSERT (SELECT count(*) FROM "certificates") = 1, 'expected 1 seeded certificate';
END $$;

\echo 'test: email is unique'
BEGIN;
DO $$ BEGIN
  INSERT INTO "students" ("id", "email", "fullName", "status") VALUES ('stu_dup', 'ada@example.com', 'Impostor', 'active');
  RAISE EXCEPTION 'a duplicate email was accepted';
EXCEPTION WHEN unique_violation THEN NULL;
END $$;
ROLLBACK;

\echo 'test: a certificate needs an existing student (foreign key)'
BEGIN;
DO $$ BEGIN
  INSERT INTO "certificates" ("id", "studentId", "courseId") VALUES ('cert_orphan', 'stu_nobody', 'crs_math');
  RAISE EXCEPTION 'an orphan certificate was accepted';
EXCEPTION WHEN foreign_key_violation THEN NULL;
END $$;
ROLLBACK;

\echo 'test: a student with certificates cannot be deleted (ON DELETE RESTRICT)'
BEGIN;
DO $$ BEGIN
  DELETE FROM "students" WHERE "id" = 'stu_ada';
  RAISE EXCEPTION 'a student with certificates was deleted';
EXCEPTION WHEN foreign_key_violation THEN NULL;
END $$;
ROLLBACK;

\echo 'test: the rename kept the column as fullName'
DO $$ BEGIN
  ASSERT (SELECT "fullName" FROM "students" WHERE "id" = 'stu_ada') = 'Ada Lovelace', 'fullName lost its data';
  ASSERT NOT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_name = 'students' AND column_name = 'name'), 'old column "name" still exists';
END $$;

\echo 'test: course prices are DECIMAL(18,8)'
DO $$ BEGIN
  ASSERT (SELECT "price" FROM "courses" WHERE "id" = 'crs_logic') = 0.00000001, 'smallest price lost precision';
  ASSERT (SELECT numeric_precision FROM information_schema.columns WHERE table_name = 'courses' AND column_name = 'price') = 18, 'price precision is not 18';
  ASSERT (SELECT numeric_scale FROM information_schema.columns WHERE table_name = 'courses' AND column_name = 'price') = 8, 'price scale is not 8';
END $$;

\echo 'test: status is required'
BEGIN;
DO $$ BEGIN
  INSERT INTO "students" ("id", "email", "fullName") VALUES ('stu_nostatus', 'x@example.com', 'X');
  RAISE EXCEPTION 'a student without status was accepted';
EXCEPTION WHEN not_null_violation THEN NULL;
END $$;
ROLLBACK;
