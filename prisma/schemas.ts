import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The two database providers Switchyard supports. */
export type Provider = "sqlite" | "postgresql";

export const PROVIDERS: readonly Provider[] = ["sqlite", "postgresql"];

/** `prisma/` in the source tree (also when this file runs from `dist/prisma/`). */
export const PRISMA_DIR = findPrismaDir(dirname(fileURLToPath(import.meta.url)));

/** The one provider-neutral data model; the PostgreSQL copy is derived from it. */
export const NEUTRAL_SCHEMA_PATH = join(PRISMA_DIR, "schema.prisma");

export function schemaPath(provider: Provider): string {
  return provider === "sqlite" ? NEUTRAL_SCHEMA_PATH : join(PRISMA_DIR, provider, "schema.prisma");
}

export function migrationsDir(provider: Provider): string {
  return join(PRISMA_DIR, provider, "migrations");
}

/** The schema text for `provider`, derived in memory from the neutral schema. */
export function schemaText(provider: Provider): string {
  const neutral = readFileSync(NEUTRAL_SCHEMA_PATH, "utf8");
  return provider === "sqlite" ? neutral : derivePostgresSchema(neutral);
}

/**
 * The PostgreSQL schema is the neutral one with two edits only: the datasource provider, and
 * generator output paths (the copy sits one folder deeper and generates into its own folder).
 */
export function derivePostgresSchema(neutral: string): string {
  const datasource = /(datasource\s+db\s*\{[^}]*?provider\s*=\s*)"sqlite"/;
  if (!datasource.test(neutral)) {
    throw new Error(`${NEUTRAL_SCHEMA_PATH}: no 'datasource db { provider = "sqlite" }' block`);
  }
  const outputs = /"\.\.\/generated\/sqlite(\/[^"]*)?"/g;
  if (!outputs.test(neutral)) {
    throw new Error(`${NEUTRAL_SCHEMA_PATH}: no generator output under "../generated/sqlite"`);
  }
  const body = neutral
    .replace(datasource, '$1"postgresql"')
    .replace(
      outputs,
      (_m, rest: string | undefined) => `"../../generated/postgresql${rest ?? ""}"`,
    );
  return `// GENERATED from ../schema.prisma by prisma/generate.ts (npm run db:generate). Do not edit.\n\n${body}`;
}

function findPrismaDir(here: string): string {
  // Compiled to dist/prisma/, the schema and migrations stay in <package>/prisma/.
  return existsSync(join(here, "schema.prisma")) ? here : join(here, "..", "..", "prisma");
}
