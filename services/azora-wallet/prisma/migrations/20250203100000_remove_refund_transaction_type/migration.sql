/*
  Warnings:

  - The values [REFUND] on the enum `TransactionType` will be removed. If these variants are still used in the database, this will fail.

*/
-- AlterEnum
BEGIN;
CREATE TYPE "TransactionType_new" AS ENUM ('DEPOSIT', 'WITHDRAWAL');
-- Refunds are booked as withdrawals: any REFUND row becomes one, so that every value converts.
UPDATE "transactions" SET "type" = 'WITHDRAWAL' WHERE "type" = 'REFUND';
-- lint:allow column-type-change: after the UPDATE above, every value converts
ALTER TABLE "transactions" ALTER COLUMN "type" TYPE "TransactionType_new" USING ("type"::text::"TransactionType_new");
ALTER TYPE "TransactionType" RENAME TO "TransactionType_old";
ALTER TYPE "TransactionType_new" RENAME TO "TransactionType";
DROP TYPE "TransactionType_old";
COMMIT;
