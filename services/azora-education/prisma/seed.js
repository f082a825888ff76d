// Seed data for development and for `cargo xtask verify` (prisma.config.ts migrations.seed).
// The datasource's own variable names the database, as the application reads it.
const { Client } = require("pg");

async function main() {
  const db = new Client({ connectionString: process.env.EDUCATION_DATABASE_URL });
  await db.connect();
  try {
    await db.query("BEGIN");
    const student = `INSERT INTO "students" ("id", "email", "fullName", "grade", "status", "lastLoginAt")
                     VALUES ($1, $2, $3, $4, $5, CURRENT_TIMESTAMP - $6::interval)`;
    await db.query(student, ["stu_ada", "ada@example.com", "Ada Lovelace", "A", "active", "0 days"]);
    await db.query(student, ["stu_alan", "alan@example.com", "Alan Turing", null, "inactive", "200 days"]);
    const course = `INSERT INTO "courses" ("id", "title", "price") VALUES ($1, $2, $3)`;
    await db.query(course, ["crs_math", "Analytical Engines", "49.99"]);
    await db.query(course, ["crs_logic", "Computable Numbers", "0.00000001"]);
    await db.query(`INSERT INTO "certificates" ("id", "studentId", "courseId") VALUES ('cert_1', 'stu_ada', 'crs_math')`);
    await db.query("COMMIT");
  } finally {
    await db.end();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
