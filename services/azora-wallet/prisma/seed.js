// Seed data for development and for `cargo xtask verify`, run the way Prisma runs a seed
// (`npx prisma db seed`): DATABASE_URL names the database.
const { Client } = require("pg");

async function main() {
  const db = new Client({ connectionString: process.env.DATABASE_URL });
  await db.connect();
  try {
    await db.query("BEGIN");
    const wallet = `INSERT INTO "wallets" ("id", "ownerId", "currency", "balance", "updatedAt")
                    VALUES ($1, $2, $3, $4, CURRENT_TIMESTAMP)`;
    await db.query(wallet, ["wal_ada_usd", "usr_ada", "USD", "1250.12345678"]);
    await db.query(wallet, ["wal_ada_eur", "usr_ada", "EUR", "0"]);
    const tx = `INSERT INTO "transactions" ("id", "walletId", "type", "amount") VALUES ($1, $2, $3, $4)`;
    await db.query(tx, ["tx_1", "wal_ada_usd", "DEPOSIT", "1300.12345678"]);
    await db.query(tx, ["tx_2", "wal_ada_usd", "WITHDRAWAL", "50"]);
    await db.query("COMMIT");
  } finally {
    await db.end();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
