-- Tests of the wallet schema against the seeded throwaway database.

\echo 'test: balances keep 8 decimal places'
DO $$ BEGIN
  ASSERT (SELECT "balance" FROM "wallets" WHERE "id" = 'wal_ada_usd') = 1250.12345678, 'balance lost precision';
END $$;

\echo 'test: amounts round to 8 decimal places'
BEGIN;
INSERT INTO "transactions" ("id", "walletId", "type", "amount") VALUES ('tx_round', 'wal_ada_usd', 'DEPOSIT', 0.123456789);
DO $$ BEGIN
  ASSERT (SELECT "amount" FROM "transactions" WHERE "id" = 'tx_round') = 0.12345679, 'amount was not rounded to 8 places';
END $$;
ROLLBACK;

\echo 'test: balances above 10^10 are refused (DECIMAL(18,8))'
BEGIN;
DO $$ BEGIN
  UPDATE "wallets" SET "balance" = 10000000000 WHERE "id" = 'wal_ada_eur';
  RAISE EXCEPTION 'an out-of-range balance was accepted';
EXCEPTION WHEN numeric_value_out_of_range THEN NULL;
END $$;
ROLLBACK;

\echo 'test: one wallet per owner and currency'
BEGIN;
DO $$ BEGIN
  INSERT INTO "wallets" ("id", "ownerId", "currency", "updatedAt") VALUES ('wal_dup', 'usr_ada', 'USD', CURRENT_TIMESTAMP);
  RAISE EXCEPTION 'a second USD wallet was accepted';
EXCEPTION WHEN unique_violation THEN NULL;
END $$;
ROLLBACK;

\echo 'test: REFUND is no longer a transaction type'
BEGIN;
DO $$ BEGIN
  INSERT INTO "transactions" ("id", "walletId", "type", "amount") VALUES ('tx_refund', 'wal_ada_usd', 'REFUND', 1);
  RAISE EXCEPTION 'REFUND was accepted';
EXCEPTION WHEN invalid_text_representation THEN NULL;
END $$;
ROLLBACK;

\echo 'test: the walletId index exists and is valid (built CONCURRENTLY)'
DO $$ BEGIN
  ASSERT (SELECT indisvalid FROM pg_index WHERE indexrelid = '"transactions_walletId_idx"'::regclass), 'index is missing or invalid';
END $$;

\echo 'test: new wallets are not frozen'
DO $$ BEGIN
  ASSERT (SELECT bool_and(NOT "frozen") FROM "wallets"), 'a seeded wallet is frozen';
END $$;
