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
  /**
   * Moves one budget row to a new window, in one transaction with the row locked: `spend`
   * becomes what the subject's spend logs add up to from `start`, `budget_reset_at` becomes
   * `end`. Nothing happens (false) unless the row still has `duration` and `from`, so that
   * several control planes rolling at once roll it once.
   */
  rollBudgetWindow(roll: BudgetRoll): Promise<boolean>;
  close(): Promise<void>;
}

/** Whose budget a roll moves: the tables with spend totals. */
export type BudgetTable = keyof RunningTotals;

/** One budget row moved to the window `now` falls in (see SpendStore.rollBudgetWindow). */
export interface BudgetRoll {
  table: BudgetTable;
  /** The row's id: the key's id, or the user, team or organization id. */
  id: string;
  duration: string;
  /** The row's `budget_reset_at` the new window was stepped from. */
  from: Date | null;
  /** The new window; without `from`, only `budget_reset_at` is set and `spend` stays. */
  start: Date;
  end: Date;
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
