-- AlterTable
ALTER TABLE "students" ADD COLUMN "grade" TEXT;
