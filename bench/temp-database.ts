// A throwaway control-plane database for a bench run (a SQLite file in the run's temp dir, or
// a database of its own on a PostgreSQL server), optionally filled with many keys and
// deployments so that the control plane's per-change work can be seen at scale.
import { createHash, randomBytes } from "node:crypto";
import { join } from "node:path";
import pg from "pg";
import { openDatabase } from "../prisma/client.js";
import { applyMigrations } from "../prisma/migrate.js";
import { isRunning } from "./stale-runs.js";

export type DatabaseKind = "sqlite" | "postgresql";

export interface TempDatabase {
  kind: DatabaseKind;
  url: string;
  /** Removes it (Postgres: DROP DATABASE … WITH (FORCE)). Safe to call twice. */
  drop(): Promise<void>;
}

/** The server a Postgres run creates its database on. */
export const POSTGRES_SERVER_URL =
  process.env.BENCH_POSTGRES_URL ?? "postgresql://postgres@127.0.0.1:5432/test";

export async function createTempDatabase(
  kind: DatabaseKind,
  tmpDir: string,
): Promise<TempDatabase> {
  if (kind === "sqlite") {
    // The file goes with tmpDir.
    return { kind, url: `file:${join(tmpDir, "control-plane.db")}`, drop: async () => {} };
  }
  await dropStaleDatabases();
  const name = `${DATABASE_PREFIX}${process.pid}_${randomBytes(4).toString("hex")}`;
  await admin(`CREATE DATABASE "${name}"`);
  const url = new URL(POSTGRES_SERVER_URL);
  url.pathname = `/${name}`;
  let dropping: Promise<void> | undefined;
  return {
    kind,
    url: url.toString(),
    drop: () => {
      dropping ??= admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      return dropping;
    },
  };
}

export interface SeedCounts {
  keys: number;
  deployments: number;
}

/**
 * Migrates the database and inserts `keys` virtual keys and `deployments` deployments
 * (deterministic names), as if created through the API, before the control plane starts.
 */
export async function seedDatabase(url: string, counts: SeedCounts): Promise<void> {
  await applyMigrations(url);
  if (counts.keys === 0 && counts.deployments === 0) return;
  const db = await openDatabase(url);
  try {
    for (let from = 0; from < counts.deployments; from += BATCH) {
      const data = range(from, Math.min(counts.deployments, from + BATCH)).map((i) => ({
        id: `seed-deployment-${i}`,
        modelName: `seed-model-${i % 100}`,
        litellmParams: JSON.stringify({
          model: `openai/seed-upstream-${i}`,
          api_base: `http://127.0.0.1:9/v${i % 10}`,
          api_key: `sk-seed-upstream-${i}`,
          weight: 1 + (i % 3),
        }),
        modelInfo: JSON.stringify({ id: `seed-deployment-${i}`, input_cost_per_token: 1e-6 }),
      }));
      await db.prisma.deployment.createMany({ data });
    }
    for (let from = 0; from < counts.keys; from += BATCH) {
      const data = range(from, Math.min(counts.keys, from + BATCH)).map((i) => ({
        token: createHash("sha256").update(`sk-seed-${i}`).digest("hex"),
        keyName: `sk-...${String(i).padStart(4, "0").slice(-4)}`,
        models: i % 4 === 0 ? JSON.stringify([`seed-model-${i % 100}`]) : "[]",
        rpmLimit: i % 3 === 0 ? 600 : null,
        maxBudget: i % 5 === 0 ? 100 : null,
      }));
      await db.prisma.virtualKey.createMany({ data });
    }
  } finally {
    await db.close();
  }
}

const BATCH = 2_000;
const DATABASE_PREFIX = "switchyard_bench_";

/** Drops bench databases left by runs whose process is gone (the name holds the pid). */
async function dropStaleDatabases(): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_SERVER_URL });
  await client.connect();
  try {
    const { rows } = await client.query<{ datname: string }>(
      "SELECT datname FROM pg_database WHERE starts_with(datname, $1)",
      [DATABASE_PREFIX],
    );
    for (const { datname } of rows) {
      const pid = /^switchyard_bench_(\d+)_[0-9a-f]+$/.exec(datname)?.[1];
      if (pid !== undefined && !isRunning(Number(pid))) {
        await client.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
      }
    }
  } finally {
    await client.end();
  }
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_SERVER_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
