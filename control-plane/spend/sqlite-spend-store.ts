import Database, { type Statement } from "better-sqlite3";
import type { SpendEvent } from "../../schema/spend-event.js";
import { totalsOf, uniqueByRequestId } from "./batch-totals.js";
import {
  type BudgetRoll,
  type BudgetTable,
  emptyTotals,
  type RunningTotals,
  type SpendStore,
  type WriteResult,
} from "./spend-store.js";

const TOTAL_TABLES = [
  ["keys", "virtual_keys", "id"],
  ["users", "users", "user_id"],
  ["teams", "teams", "team_id"],
  ["organizations", "organizations", "organization_id"],
] as const;

/** Each budget row, and the spend log column that names its subject. */
const BUDGET_ROWS: Record<BudgetTable, { table: string; id: string; logs: string }> = {
  keys: { table: "virtual_keys", id: "id", logs: "api_key" },
  users: { table: "users", id: "user_id", logs: '"user"' },
  teams: { table: "teams", id: "team_id", logs: "team_id" },
  organizations: { table: "organizations", id: "organization_id", logs: "organization_id" },
};

interface BudgetStatements {
  /** The row's window, and the two names its spend logs go by (a key: token, previous token). */
  read: Statement;
  setResetAt: Statement;
  roll: Statement;
}

/**
 * SQLite: one synchronous IMMEDIATE transaction per batch on a connection of its own.
 * It does not wait on a locked file (the gateway's own Prisma transaction may hold it in
 * the same thread): SQLITE_BUSY fails the batch at once, and the caller retries it.
 */
export class SqliteSpendStore implements SpendStore {
  private readonly db: Database;
  private readonly insertLog: Statement;
  private readonly addTotal: Record<(typeof TOTAL_TABLES)[number][0], Statement>;
  private readonly addDaily: Statement;
  private readonly deleteOld: Statement;
  private readonly writeBatch: (events: readonly SpendEvent[]) => WriteResult;
  private readonly budget: Record<BudgetTable, BudgetStatements>;
  private readonly rollBudget: (roll: BudgetRoll) => boolean;

  constructor(path: string) {
    this.db = new Database(path, { timeout: 0 });
    this.insertLog = this.db.prepare(
      `INSERT INTO spend_logs (request_id, call_type, api_key, spend, prompt_tokens, completion_tokens, cached_tokens, start_time, end_time, completion_start_time, model, model_group, model_id, custom_llm_provider, api_base, "user", end_user, team_id, organization_id, request_tags, cache_hit, status, metadata)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (request_id) DO NOTHING`,
    );
    const addTotal = (table: string, id: string) =>
      this.db.prepare(`UPDATE ${table} SET spend = spend + ? WHERE ${id} = ? RETURNING spend`);
    this.addTotal = {
      keys: addTotal("virtual_keys", "id"),
      users: addTotal("users", "user_id"),
      teams: addTotal("teams", "team_id"),
      organizations: addTotal("organizations", "organization_id"),
    };
    this.addDaily = this.db.prepare(
      `INSERT INTO daily_spend (date, api_key, model, team_id, user_id, spend, prompt_tokens, completion_tokens, requests, successful, failed)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (date, api_key, model, team_id) DO UPDATE SET
         spend = spend + excluded.spend,
         prompt_tokens = prompt_tokens + excluded.prompt_tokens,
         completion_tokens = completion_tokens + excluded.completion_tokens,
         requests = requests + excluded.requests,
         successful = successful + excluded.successful,
         failed = failed + excluded.failed,
         user_id = COALESCE(excluded.user_id, user_id)`,
    );
    this.deleteOld = this.db.prepare(
      "DELETE FROM spend_logs WHERE rowid IN (SELECT rowid FROM spend_logs WHERE start_time < ? LIMIT ?)",
    );
    const tx = this.db.transaction((events: readonly SpendEvent[]) => this.writeInTx(events));
    this.writeBatch = (events) => tx.immediate(events);
    const budget = (t: (typeof BUDGET_ROWS)[BudgetTable], names: string): BudgetStatements => ({
      read: this.db.prepare(
        `SELECT budget_duration AS duration, budget_reset_at AS resetAt, ${names} FROM ${t.table} WHERE ${t.id} = ?`,
      ),
      setResetAt: this.db.prepare(`UPDATE ${t.table} SET budget_reset_at = ? WHERE ${t.id} = ?`),
      roll: this.db.prepare(
        `UPDATE ${t.table} SET budget_reset_at = ?,
           spend = (SELECT COALESCE(SUM(l.spend), 0) FROM spend_logs l
                    WHERE l.${t.logs} IN (?, ?) AND l.start_time >= ?)
         WHERE ${t.id} = ?`,
      ),
    });
    this.budget = {
      keys: budget(BUDGET_ROWS.keys, "token AS a, previous_token AS b"),
      users: budget(BUDGET_ROWS.users, "user_id AS a, NULL AS b"),
      teams: budget(BUDGET_ROWS.teams, "team_id AS a, NULL AS b"),
      organizations: budget(BUDGET_ROWS.organizations, "organization_id AS a, NULL AS b"),
    };
    // IMMEDIATE: the write lock is taken before the row is read, so no ingest batch commits
    // between the sum and the update.
    const roll = this.db.transaction((r: BudgetRoll) => this.rollInTx(r));
    this.rollBudget = (r) => roll.immediate(r);
  }

  async write(events: readonly SpendEvent[]): Promise<WriteResult> {
    return this.writeBatch(events);
  }

  async deleteOlderThan(before: Date, limit: number): Promise<number> {
    return this.deleteOld.run(sqliteTime(before.getTime()), limit).changes;
  }

  async rollBudgetWindow(roll: BudgetRoll): Promise<boolean> {
    return this.rollBudget(roll);
  }

  async close(): Promise<void> {
    this.db.close();
  }

  private rollInTx(roll: BudgetRoll): boolean {
    const s = this.budget[roll.table];
    const row = s.read.get(roll.id) as
      | { duration: string | null; resetAt: string | number | null; a: string; b: string | null }
      | undefined;
    if (row === undefined || row.duration !== roll.duration) return false;
    if (sqliteEpochMs(row.resetAt) !== (roll.from?.getTime() ?? null)) return false;
    const end = sqliteTime(roll.end.getTime());
    if (roll.from === null) s.setResetAt.run(end, roll.id);
    else s.roll.run(end, row.a, row.b, sqliteTime(roll.start.getTime()), roll.id);
    return true;
  }

  private writeInTx(batch: readonly SpendEvent[]): WriteResult {
    const inserted: SpendEvent[] = [];
    for (const e of uniqueByRequestId(batch)) {
      const r = this.insertLog.run(
        e.request_id,
        e.call_type,
        e.api_key,
        e.spend,
        e.prompt_tokens,
        e.completion_tokens,
        e.cached_tokens,
        sqliteTime(e.startTime),
        sqliteTime(e.endTime),
        e.completionStartTime === undefined ? null : sqliteTime(e.completionStartTime),
        e.model,
        e.model_group,
        e.model_id ?? null,
        e.custom_llm_provider ?? null,
        e.api_base ?? null,
        e.user ?? null,
        e.end_user ?? null,
        e.team_id ?? null,
        e.organization_id ?? null,
        JSON.stringify(e.request_tags),
        e.cache_hit ? 1 : 0,
        e.status,
        JSON.stringify(e.metadata),
      );
      if (r.changes > 0) inserted.push(e);
    }
    const added = totalsOf(inserted);
    const totals: RunningTotals = emptyTotals();
    for (const [name] of TOTAL_TABLES) {
      for (const [id, amount] of added[name]) {
        const row = this.addTotal[name].get(amount, id) as { spend: number } | undefined;
        if (row !== undefined) totals[name].set(id, row.spend);
      }
    }
    for (const d of added.daily) {
      this.addDaily.run(
        d.date,
        d.apiKey,
        d.model,
        d.teamId,
        d.userId,
        d.spend,
        d.promptTokens,
        d.completionTokens,
        d.requests,
        d.successful,
        d.failed,
      );
    }
    return { inserted, totals };
  }
}

/** A DateTime column read back: text as written, or epoch ms. */
function sqliteEpochMs(value: string | number | null): number | null {
  if (value === null) return null;
  return typeof value === "number" ? value : Date.parse(value);
}

/** DateTime as Prisma's SQLite adapter writes it (ISO 8601, `+00:00`), so both compare alike. */
export function sqliteTime(epochMs: number): string {
  return new Date(epochMs).toISOString().replace("Z", "+00:00");
}
