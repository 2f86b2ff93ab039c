/**
 * `npm run db:migrate`: applies pending migrations to DATABASE_URL (default
 * file:./data/switchyard.db), like `prisma migrate deploy`. `switchyard migrate` does the same
 * with the database_url of a config file.
 */
import { redactDatabaseUrl, resolveDatabaseUrl } from "./database-url.js";
import { applyMigrations } from "./migrate.js";

const url = resolveDatabaseUrl(undefined, process.env);
try {
  const { applied } = await applyMigrations(url);
  const what = applied.length === 0 ? "already up to date" : `applied ${applied.join(", ")}`;
  console.log(`${redactDatabaseUrl(url)}: ${what}`);
} catch (err) {
  console.error(err instanceof Error ? err.message : String(err));
  process.exitCode = 1;
}
