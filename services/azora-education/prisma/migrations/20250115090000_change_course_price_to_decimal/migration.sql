-- AlterTable
-- lint:allow column-type-change: courses is a catalogue of a few hundred rows, rewritten in milliseconds; every float converts to DECIMAL(18,8)
ALTER TABLE "courses" ALTER COLUMN "price" SET DATA TYPE DECIMAL(18,8);
