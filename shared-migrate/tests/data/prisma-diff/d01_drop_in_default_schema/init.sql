-- CreateEnum
CREATE TYPE "Color" AS ENUM ('RED', 'GREEN', 'BLUE');

-- CreateTable
CREATE TABLE "Model" (
    "id" INTEGER NOT NULL,
    "name" TEXT NOT NULL,

    CONSTRAINT "Model_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Related" (
    "id" INTEGER NOT NULL,
    "modelId" INTEGER NOT NULL,

    CONSTRAINT "Related_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "Model_id_name_idx" ON "Model"("id", "name");

-- AddForeignKey
ALTER TABLE "Related" ADD CONSTRAINT "Related_modelId_fkey" FOREIGN KEY ("modelId") REFERENCES "Model"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
