-- Seed data for development and for `cargo xtask verify`.
INSERT INTO "wallets" ("id", "ownerId", "currency", "balance", "updatedAt") VALUES
    ('wal_ada_usd', 'usr_ada', 'USD', 1250.12345678, CURRENT_TIMESTAMP),
    ('wal_ada_eur', 'usr_ada', 'EUR', 0, CURRENT_TIMESTAMP);

INSERT INTO "transactions" ("id", "walletId", "type", "amount") VALUES
    ('tx_1', 'wal_ada_usd', 'DEPOSIT', 1300.12345678),
    ('tx_2', 'wal_ada_usd', 'WITHDRAWAL', 50);
