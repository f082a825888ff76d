-- CreateIndex (edited by hand: CONCURRENTLY, so that notifications keep arriving while it builds)
CREATE INDEX CONCURRENTLY "notifications_userId_readAt_idx" ON "notifications"("userId", "readAt");
