// The wallet schema against the seeded database (`npm test`, with DATABASE_URL set).
const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const { Client } = require("pg");

const db = new Client({ connectionString: process.env.DATABASE_URL });
before(() => db.connect());
after(() => db.end());

/** Runs `work` in a transaction that is rolled back, so each test leaves the seed as it was. */
async function rolledBack(work) {
  await db.query("BEGIN");
  try {
    return await work();
  } finally {
    await db.query("ROLLBACK");
  }
}

/** The SQLSTATE `sql` fails with (undefined when it succeeds). */
async function failure(sql, params) {
  return rolledBack(() => db.query(sql, params).then(() => undefined, (e) => e.code));
}

test("balances keep 8 decimal places", async () => {
  const { rows } = await db.query(`SELECT "balance"::text AS b FROM "wallets" WHERE "id" = 'wal_ada_usd'`);
  assert.equal(rows[0].b, "1250.12345678");
});

test("amounts round to 8 decimal places", async () => {
  const amount = await rolledBack(async () => {
    await db.query(`INSERT INTO "transactions" ("id", "walletId", "type", "amount") VALUES ('tx_round', 'wal_ada_usd', 'DEPOSIT', 0.123456789)`);
    const { rows } = await db.query(`SELECT "amount"::text AS a FROM "transactions" WHERE "id" = 'tx_round'`);
    return rows[0].a;
  });
  assert.equal(amount, "0.12345679");
});

test("balances above 10^10 are refused (DECIMAL(18,8))", async () => {
  assert.equal(await failure(`UPDATE "wallets" SET "balance" = 10000000000 WHERE "id" = 'wal_ada_eur'`), "22003");
});

test("one wallet per owner and currency", async () => {
  const sql = `INSERT INTO "wallets" ("id", "ownerId", "currency", "updatedAt") VALUES ('wal_dup', 'usr_ada', 'USD', CURRENT_TIMESTAMP)`;
  assert.equal(await failure(sql), "23505");
});

test("REFUND is no longer a transaction type", async () => {
  const sql = `INSERT INTO "transactions" ("id", "walletId", "type", "amount") VALUES ('tx_refund', 'wal_ada_usd', 'REFUND', 1)`;
  assert.equal(await failure(sql), "22P02");
});

test("the walletId index exists and is valid (built CONCURRENTLY)", async () => {
  const { rows } = await db.query(`SELECT indisvalid FROM pg_index WHERE indexrelid = '"transactions_walletId_idx"'::regclass`);
  assert.equal(rows[0].indisvalid, true);
});

test("new wallets are not frozen", async () => {
  const { rows } = await db.query(`SELECT bool_and(NOT "frozen") AS none FROM "wallets"`);
  assert.equal(rows[0].none, true);
});
