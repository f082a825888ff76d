// Prisma 7's configuration: where the schema and migrations are, the seed, and the URL
// (read from EDUCATION_DATABASE_URL; Prisma 7 loads no .env file by itself).
import { defineConfig, env } from "prisma/config";

export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: {
    path: "prisma/migrations",
    seed: "node prisma/seed.js",
  },
  datasource: {
    url: env("EDUCATION_DATABASE_URL"),
  },
});
