// Seed data for development and for `cargo xtask verify` (`npx prisma db seed`).
const { Client } = require("pg");

async function main() {
  const db = new Client({ connectionString: process.env.DATABASE_URL });
  await db.connect();
  try {
    const sql = `INSERT INTO "notifications" ("userId", "channel", "payload") VALUES ($1, $2, $3)`;
    await db.query(sql, ["usr_ada", "EMAIL", { subject: "Welcome", template: "welcome" }]);
    await db.query(sql, ["usr_ada", "PUSH", { title: "Certificate issued" }]);
  } finally {
    await db.end();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
