// The migrated schema against the seeded database (`npm test`, with the datasource's variable set).
const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const { Client } = require("pg");

const db = new Client({ connectionString: process.env.EDUCATION_DATABASE_URL });
before(() => db.connect());
after(() => db.end());

/** The SQLSTATE `sql` fails with, in a transaction rolled back either way. */
async function failure(sql) {
  await db.query("BEGIN");
  try {
    return await db.query(sql).then(() => undefined, (e) => e.code);
  } finally {
    await db.query("ROLLBACK");
  }
}

async function one(sql) {
  const { rows } = await db.query(sql);
  return rows[0];
}

test("the seed loaded", async () => {
  assert.equal((await one(`SELECT count(*)::int AS n FROM "students"`)).n, 2);
  assert.equal((await one(`SELECT count(*)::int AS n FROM "certificates"`)).n, 1);
});

test("email is unique", async () => {
  const sql = `INSERT INTO "students" ("id", "email", "fullName", "status") VALUES ('stu_dup', 'ada@example.com', 'Impostor', 'active')`;
  assert.equal(await failure(sql), "23505");
});

test("a certificate needs an existing student (foreign key)", async () => {
  const sql = `INSERT INTO "certificates" ("id", "studentId", "courseId") VALUES ('cert_orphan', 'stu_nobody', 'crs_math')`;
  assert.equal(await failure(sql), "23503");
});

test("a student with certificates cannot be deleted (ON DELETE RESTRICT)", async () => {
  assert.equal(await failure(`DELETE FROM "students" WHERE "id" = 'stu_ada'`), "23503");
});

test("the rename kept the column as fullName", async () => {
  assert.equal((await one(`SELECT "fullName" FROM "students" WHERE "id" = 'stu_ada'`)).fullName, "Ada Lovelace");
  const old = await one(`SELECT count(*)::int AS n FROM information_schema.columns WHERE table_name = 'students' AND column_name = 'name'`);
  assert.equal(old.n, 0);
});

test("course prices are DECIMAL(18,8)", async () => {
  assert.equal((await one(`SELECT "price"::text AS p FROM "courses" WHERE "id" = 'crs_logic'`)).p, "0.00000001");
  const col = await one(`SELECT numeric_precision AS p, numeric_scale AS s FROM information_schema.columns WHERE table_name = 'courses' AND column_name = 'price'`);
  assert.deepEqual([col.p, col.s], [18, 8]);
});

test("status is required", async () => {
  const sql = `INSERT INTO "students" ("id", "email", "fullName") VALUES ('stu_nostatus', 'x@example.com', 'X')`;
  assert.equal(await failure(sql), "23502");
});
