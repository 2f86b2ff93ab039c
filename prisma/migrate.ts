/**
 * Applies pending migrations at start, exactly as `prisma migrate deploy` does (same
 * `_prisma_migrations` table and checksums), with the Wasm schema engine: no native binary,
 * no network.
 */
import { mkdir } from "node:fs/promises";
import type { MigrationList } from "@prisma/schema-engine-wasm";
import { dirname } from "node:path";
import { type DatabaseTarget, parseDatabaseUrl, redactDatabaseUrl } from "./database-url.js";
import { readMigrations } from "./migration-list.js";
import { withSchemaEngine } from "./schema-engine.js";
import { type Provider, schemaPath, schemaText } from "./schemas.js";

export interface MigrationResult {
  provider: Provider;
  /** Names of the migrations this call applied, oldest first; empty when none was pending. */
  applied: string[];
}

export class MigrationError extends Error {
  override readonly name = "MigrationError";
}

/** Applies every pending migration to the database at `databaseUrl`. Idempotent. */
export async function applyMigrations(databaseUrl: string): Promise<MigrationResult> {
  const target = parseDatabaseUrl(databaseUrl);
  const { provider } = target;
  if (provider === "sqlite" && target.path !== ":memory:") {
    await mkdir(dirname(target.path), { recursive: true });
  }
  const migrationsList = await readMigrations(provider);
  if (migrationsList.migrationDirectories.length === 0) {
    throw new MigrationError(`no ${provider} migrations found in ${migrationsList.baseDir}`);
  }
  const schema = { path: schemaPath(provider), text: schemaText(provider) };
  try {
    const { appliedMigrationNames } = await withSchemaEngine(target, { schema }, (engine) =>
      engine.applyMigrations({
        migrationsList,
        filters: { externalTables: [], externalEnums: [] },
      }),
    );
    return { provider, applied: appliedMigrationNames };
  } catch (err) {
    const failed = await failedMigrations(target, schema, migrationsList);
    const which = failed.length > 0 ? ` (failed migration: ${failed.join(", ")})` : "";
    throw new MigrationError(
      `migrating ${describe(target, databaseUrl)} failed${which}: ${engineMessage(err, databaseUrl)}`,
      { cause: err },
    );
  }
}

/** The engine's error for a failed script does not name the migration; its history does. */
async function failedMigrations(
  target: DatabaseTarget,
  schema: { path: string; text: string },
  migrationsList: MigrationList,
): Promise<string[]> {
  try {
    const history = await withSchemaEngine(target, { schema }, (engine) =>
      engine.diagnoseMigrationHistory({
        migrationsList,
        optInToShadowDatabase: false,
        filters: { externalTables: [], externalEnums: [] },
      }),
    );
    return history.failedMigrationNames;
  } catch {
    return [];
  }
}

function describe(target: DatabaseTarget, databaseUrl: string): string {
  return target.provider === "sqlite"
    ? `SQLite database ${target.path}`
    : `PostgreSQL database ${redactDatabaseUrl(databaseUrl)}`;
}

/**
 * The engine's message (it names the failed migration and the database error), without its
 * Rust span trace, and with the URL's password removed should the driver have echoed it.
 */
function engineMessage(err: unknown, databaseUrl: string): string {
  const raw = err instanceof Error ? err.message : String(err);
  const message = raw.split(/\n\s+0: /)[0]?.trim() ?? raw;
  const password = passwordOf(databaseUrl);
  return password ? message.replaceAll(password, "***") : message;
}

function passwordOf(databaseUrl: string): string | undefined {
  try {
    const url = new URL(databaseUrl);
    return url.password ? decodeURIComponent(url.password) : undefined;
  } catch {
    return undefined;
  }
}
