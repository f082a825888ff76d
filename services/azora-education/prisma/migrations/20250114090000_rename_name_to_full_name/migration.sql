-- AlterTable (edited by hand: Prisma generates DROP COLUMN + ADD COLUMN, which loses the data)
ALTER TABLE "students" RENAME COLUMN "name" TO "fullName";
