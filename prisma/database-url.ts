import { isAbsolute, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Provider } from "./schemas.js";

/** Where the embedded gateway keeps its data when nothing else is configured. */
export const DEFAULT_DATABASE_URL = "file:./data/switchyard.db";

/** A database URL, understood: a SQLite file (absolute path or `:memory:`) or a Postgres URL. */
export type DatabaseTarget =
  | { provider: "sqlite"; path: string }
  | { provider: "postgresql"; url: string; schema?: string };

/** DATABASE_URL wins, then general_settings.database_url, then the embedded default. */
export function resolveDatabaseUrl(
  configDatabaseUrl?: string,
  env: Record<string, string | undefined> = process.env,
): string {
  const fromEnv = env.DATABASE_URL?.trim();
  if (fromEnv) return fromEnv;
  const fromConfig = configDatabaseUrl?.trim();
  if (fromConfig) return fromConfig;
  return DEFAULT_DATABASE_URL;
}

/**
 * Accepts Prisma-style `file:./x.db` / `file:/abs/x.db` / `file:///abs/x.db`, LiteLLM
 * (SQLAlchemy) style `sqlite:///relative.db` / `sqlite:////abs.db`, and `postgres(ql)://`.
 * Relative SQLite paths are resolved against `cwd`.
 */
export function parseDatabaseUrl(databaseUrl: string, cwd = process.cwd()): DatabaseTarget {
  const url = databaseUrl.trim();
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
  if (scheme === "postgres" || scheme === "postgresql") return parsePostgresUrl(url);
  if (scheme === "file") {
    const rest = stripQuery(url.slice("file:".length));
    const path = rest.startsWith("//") ? fileURLToPath(`file:${rest}`) : rest;
    return sqliteTarget(path, cwd, databaseUrl);
  }
  if (scheme === "sqlite") {
    // SQLAlchemy: three slashes then the path, so a fourth slash means an absolute path.
    const rest = stripQuery(url.slice("sqlite:".length));
    if (!rest.startsWith("///")) {
      throw new Error(`database URL "${redactDatabaseUrl(databaseUrl)}": expected sqlite:///path`);
    }
    return sqliteTarget(rest.slice(3), cwd, databaseUrl);
  }
  throw new Error(
    `database URL "${redactDatabaseUrl(databaseUrl)}": unsupported; use file:./path.db, ` +
      "sqlite:///path.db or postgresql://user@host:5432/db",
  );
}

export function providerOf(databaseUrl: string): Provider {
  return parseDatabaseUrl(databaseUrl).provider;
}

/** The URL with any password (and query string, which may hold one) removed, for messages. */
export function redactDatabaseUrl(databaseUrl: string): string {
  const noQuery = stripQuery(databaseUrl);
  return noQuery.replace(
    /^([a-z][a-z0-9+.-]*:\/\/)([^@/]*)@/i,
    (_m, scheme: string, auth: string) => {
      const user = auth.split(":")[0] ?? "";
      return auth.includes(":") ? `${scheme}${user}:***@` : `${scheme}${user}@`;
    },
  );
}

function parsePostgresUrl(url: string): DatabaseTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`database URL "${redactDatabaseUrl(url)}": not a valid URL`);
  }
  // `?schema=` is Prisma's convention; node-postgres does not know it.
  const schema = parsed.searchParams.get("schema") ?? undefined;
  parsed.searchParams.delete("schema");
  const target: DatabaseTarget = { provider: "postgresql", url: parsed.toString() };
  if (schema) target.schema = schema;
  return target;
}

function sqliteTarget(path: string, cwd: string, original: string): DatabaseTarget {
  if (path === "") throw new Error(`database URL "${redactDatabaseUrl(original)}": no file path`);
  if (path === ":memory:") return { provider: "sqlite", path };
  return { provider: "sqlite", path: isAbsolute(path) ? path : resolve(cwd, path) };
}

function stripQuery(url: string): string {
  const q = url.indexOf("?");
  return q === -1 ? url : url.slice(0, q);
}
