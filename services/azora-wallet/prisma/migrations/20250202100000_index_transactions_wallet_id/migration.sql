-- CreateIndex (edited by hand: CONCURRENTLY keeps writes to "transactions" flowing while it builds)
CREATE INDEX CONCURRENTLY "transactions_walletId_idx" ON "transactions"("walletId");
