import type { PrismaClient } from "../generated/sqlite/client.js";

/**
 * The Prisma client app code uses. The SQLite and PostgreSQL clients are generated from one
 * schema and share this API; `prisma/client.ts` opens the right one.
 */
export type Db = PrismaClient;

/** The `db` argument of an interactive transaction. */
export type Tx = Parameters<Parameters<Db["$transaction"]>[0]>[0];

/** Lists and objects live in JSON text columns (one schema for SQLite and PostgreSQL). */
export function readList(json: string): string[] {
  try {
    const v: unknown = JSON.parse(json);
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
  } catch {
    return [];
  }
}

export function readObject(json: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(json);
    return typeof v === "object" && v !== null && !Array.isArray(v)
      ? (v as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}
