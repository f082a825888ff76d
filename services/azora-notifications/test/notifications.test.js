// The notifications schema against the seeded database (`npm test`, with DATABASE_URL set).
const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const { Client } = require("pg");

const db = new Client({ connectionString: process.env.DATABASE_URL });
before(() => db.connect());
after(() => db.end());

test("the updatedAt trigger moves the timestamp on update", async () => {
  await db.query("BEGIN");
  try {
    await db.query(`UPDATE "notifications" SET "updatedAt" = '2000-01-01' WHERE "userId" = 'usr_ada'`);
    const { rows } = await db.query(`SELECT bool_and("updatedAt" > '2000-01-02') AS moved FROM "notifications"`);
    assert.equal(rows[0].moved, true);
  } finally {
    await db.query("ROLLBACK");
  }
});

test("channel is an enum", async () => {
  const code = await db
    .query(`INSERT INTO "notifications" ("userId", "channel", "payload") VALUES ('usr_x', 'FAX', '{}')`)
    .then(() => undefined, (e) => e.code);
  assert.equal(code, "22P02");
});

test("ids are generated in order", async () => {
  const { rows } = await db.query(`SELECT "id" FROM "notifications" ORDER BY "id"`);
  assert.deepEqual(rows.map((r) => r.id), [1, 2]);
});
