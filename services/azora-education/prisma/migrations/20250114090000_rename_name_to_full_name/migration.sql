-- AlterTable (edited by hand: Prisma generates DROP COLUMN + ADD COLUMN, which loses the data)
-- lint:allow rename-column: the education API is stopped during this release's deploy; the new API reads fullName
ALTER TABLE "students" RENAME COLUMN "name" TO "fullName";
