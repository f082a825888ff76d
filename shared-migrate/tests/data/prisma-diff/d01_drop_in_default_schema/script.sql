-- DropForeignKey
ALTER TABLE "Related" DROP CONSTRAINT "Related_modelId_fkey";

-- DropTable
DROP TABLE "Model";

-- DropTable
DROP TABLE "Related";

-- DropEnum
DROP TYPE "Color";
