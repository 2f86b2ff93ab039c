import { parseDatabaseUrl, redactDatabaseUrl } from "./database-url.js";
import { readMigrations } from "./migration-list.js";
import { withSchemaEngine } from "./schema-engine.js";
import { type Provider, schemaPath, schemaText } from "./schemas.js";

/** Where PostgreSQL shadow databases are created unless SHADOW_DATABASE_URL says otherwise. */
export const DEFAULT_SHADOW_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/test";

/**
 * The SQL that takes a database from the checked-in migrations of `provider` to
 * prisma/schema.prisma, or undefined when they already match. The migrations are replayed on a
 * shadow database: in memory for SQLite; for PostgreSQL a temporary database created (and
 * dropped) on the server of `shadowDatabaseUrl`.
 */
export async function diffMigrationsToSchema(
  provider: Provider,
  shadowDatabaseUrl = DEFAULT_SHADOW_DATABASE_URL,
): Promise<string | undefined> {
  const target = parseDatabaseUrl(provider === "sqlite" ? "file::memory:" : shadowDatabaseUrl);
  const schema = { path: schemaPath(provider), text: schemaText(provider) };
  const migrationsList = await readMigrations(provider);
  try {
    return await withSchemaEngine(target, { schema }, async (engine) => {
      const { stdout } = await engine.diff({
        from:
          migrationsList.migrationDirectories.length === 0
            ? { tag: "empty" }
            : { tag: "migrations", ...migrationsList },
        to: { tag: "schemaDatamodel", files: [{ path: schema.path, content: schema.text }] },
        script: true,
        exitCode: null,
        filters: { externalTables: [], externalEnums: [] },
      });
      const sql = stdout?.trim() ?? "";
      return sql === "" || sql === "-- This is an empty migration." ? undefined : `${sql}\n`;
    });
  } catch (err) {
    const where =
      provider === "postgresql" ? ` (shadow server: ${redactDatabaseUrl(shadowDatabaseUrl)})` : "";
    throw new Error(`${provider}${where}: ${err instanceof Error ? err.message : String(err)}`, {
      cause: err,
    });
  }
}
