/**
 * `npm run db:create-migration -- NAME`: writes the next migration for both providers
 * (prisma/{sqlite,postgresql}/migrations/<UTC timestamp>_NAME/migration.sql), diffing the
 * checked-in migrations (replayed on a shadow database) against prisma/schema.prisma.
 *
 * SQLite replays in memory. PostgreSQL needs a server on which it may create and drop a
 * temporary database: SHADOW_DATABASE_URL, default postgresql://postgres@127.0.0.1:5432/test.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { LOCKFILE, lockfileText, MIGRATION_FILE } from "./migration-list.js";
import { diffMigrationsToSchema } from "./schema-drift.js";
import { migrationsDir, PROVIDERS } from "./schemas.js";

const name = process.argv[2];
if (!name || !/^[a-z0-9_]+$/i.test(name)) {
  console.error("usage: npm run db:create-migration -- NAME   (letters, digits, underscores)");
  process.exit(2);
}

const directory = `${timestamp(new Date())}_${name}`;
let created = 0;
for (const provider of PROVIDERS) {
  const script = await diffMigrationsToSchema(provider, process.env.SHADOW_DATABASE_URL);
  if (script === undefined) {
    console.log(`${provider}: the schema matches the migrations; nothing to create`);
    continue;
  }
  const base = migrationsDir(provider);
  await mkdir(join(base, directory), { recursive: true });
  await writeFile(join(base, directory, MIGRATION_FILE), script);
  await writeFile(join(base, LOCKFILE), lockfileText(provider));
  console.log(
    `${provider}: wrote ${relative(process.cwd(), join(base, directory, MIGRATION_FILE))}`,
  );
  created++;
}
if (created > 0) console.log("Review the SQL, then commit it with the schema change.");

function timestamp(d: Date): string {
  return d.toISOString().replace(/\D/g, "").slice(0, 14);
}
