-- AlterTable: add the field with a default so existing rows get a value
ALTER TABLE "students" ADD COLUMN "status" TEXT DEFAULT 'active';

-- Data migration: students who have not logged in for 90 days are inactive
UPDATE "students"
SET "status" = 'inactive'
WHERE "lastLoginAt" < NOW() - INTERVAL '90 days';

-- Remove the default (force explicit values) and make the field required
ALTER TABLE "students" ALTER COLUMN "status" DROP DEFAULT;
ALTER TABLE "students" ALTER COLUMN "status" SET NOT NULL;
