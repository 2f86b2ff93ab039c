import { randomBytes } from "node:crypto";
import pg from "pg";

/** The server integration tests use; each test file creates its own database on it. */
export const TEST_DATABASE_URL =
  process.env.TEST_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/test";

export interface TestDatabase {
  /** URL of a fresh, empty database, unique to this test run. */
  url: string;
  /** Drops the database (WITH FORCE: connections still open are closed). */
  drop(): Promise<void>;
}

/**
 * Probes the test server. Undefined when reachable, else a one-line reason: tests skip with it
 * locally, and must fail with it in CI (`CI=true`), where Postgres is part of the job.
 */
export async function postgresUnavailable(url = TEST_DATABASE_URL): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    await client.query("SELECT 1");
    return undefined;
  } catch (err) {
    const host = new URL(url).host;
    return `PostgreSQL unreachable at ${host}: ${err instanceof Error ? err.message : String(err)}`;
  } finally {
    await client.end().catch(() => {});
  }
}

/** Creates a uniquely named database on the test server (tests run in parallel forks). */
export async function createTestDatabase(prefix = "switchyard_test"): Promise<TestDatabase> {
  const name = `${prefix}_${process.pid}_${randomBytes(4).toString("hex")}`;
  await admin(`CREATE DATABASE "${name}"`);
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () => admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`),
  };
}

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
