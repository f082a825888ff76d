-- AlterTable
ALTER TABLE "wallets" ADD COLUMN "frozen" BOOLEAN NOT NULL DEFAULT false;
