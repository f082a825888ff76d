-- CreateTable
CREATE TABLE "Account" (
    "id" INTEGER NOT NULL,
    "email" TEXT NOT NULL,
    "a" INTEGER NOT NULL,
    "b" INTEGER NOT NULL,

    CONSTRAINT "Account_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "Account_email_key" ON "Account"("email");

-- CreateIndex
CREATE INDEX "Account_b_idx" ON "Account"("b");

-- CreateIndex
CREATE UNIQUE INDEX "Account_a_b_key" ON "Account"("a", "b");
