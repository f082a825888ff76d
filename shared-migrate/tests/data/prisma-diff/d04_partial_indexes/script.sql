-- CreateIndex
CREATE INDEX "User_status_idx" ON "User"("status") WHERE "deletedAt" IS NULL;

-- CreateIndex
CREATE UNIQUE INDEX "User_email_key" ON "User"("email") WHERE status = 'active';
