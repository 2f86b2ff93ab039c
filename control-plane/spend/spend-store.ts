import { parseDatabaseUrl } from "../../prisma/client.js";
import type { SpendEvent } from "../../schema/spend-event.js";

/** Running totals after a batch, for what the batch touched. */
export interface RunningTotals {
  keys: Map<string, number>;
  users: Map<string, number>;
  teams: Map<string, number>;
  organizations: Map<string, number>;
}

export interface WriteResult {
  /** The events written by this batch (those not already in the database), in batch order. */
  inserted: SpendEvent[];
  /** New totals of the keys, users, teams and organizations the inserted events touched. */
  totals: RunningTotals;
}

/**
 * Where spend batches are written: SpendLog rows, key/user/team/org totals and daily
 * aggregates in one transaction. Idempotent by request id: a repeat adds nothing.
 */
export interface SpendStore {
  write(events: readonly SpendEvent[]): Promise<WriteResult>;
  /** Deletes up to `limit` SpendLog rows that started before `before`; returns how many. */
  deleteOlderThan(before: Date, limit: number): Promise<number>;
  close(): Promise<void>;
}

/** Opens the spend store of the database at `databaseUrl` (its own connection). */
export async function openSpendStore(databaseUrl: string): Promise<SpendStore> {
  const target = parseDatabaseUrl(databaseUrl);
  if (target.provider === "sqlite") {
    const { SqliteSpendStore } = await import("./sqlite-spend-store.js");
    return new SqliteSpendStore(target.path);
  }
  const { PgSpendStore } = await import("./pg-spend-store.js");
  return new PgSpendStore(target.url, target.schema);
}

export function emptyTotals(): RunningTotals {
  return { keys: new Map(), users: new Map(), teams: new Map(), organizations: new Map() };
}
