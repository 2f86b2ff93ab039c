import pg from "pg";
import type { SpendEvent } from "../../schema/spend-event.js";
import { totalsOf, uniqueByRequestId } from "./batch-totals.js";
import {
  type BudgetRoll,
  type BudgetTable,
  emptyTotals,
  type SpendStore,
  type WriteResult,
} from "./spend-store.js";

/** Rows go in as column arrays (unnest): one statement per table, whatever the batch size. */
const INSERT_LOGS = `
INSERT INTO spend_logs (request_id, call_type, api_key, spend, prompt_tokens, completion_tokens, cached_tokens, start_time, end_time, completion_start_time, model, model_group, model_id, custom_llm_provider, api_base, "user", end_user, team_id, organization_id, request_tags, cache_hit, status, metadata)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::float8[], $5::int[], $6::int[], $7::int[], $8::timestamp[], $9::timestamp[], $10::timestamp[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[], $16::text[], $17::text[], $18::text[], $19::text[], $20::text[], $21::bool[], $22::text[], $23::text[])
ON CONFLICT (request_id) DO NOTHING
RETURNING request_id`;

const ADD_TOTALS = {
  keys: totalsSql("virtual_keys", "id"),
  users: totalsSql("users", "user_id"),
  teams: totalsSql("teams", "team_id"),
  organizations: totalsSql("organizations", "organization_id"),
} as const;

const ADD_DAILY = `
INSERT INTO daily_spend (date, api_key, model, team_id, user_id, spend, prompt_tokens, completion_tokens, requests, successful, failed)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::float8[], $7::int[], $8::int[], $9::int[], $10::int[], $11::int[])
ON CONFLICT (date, api_key, model, team_id) DO UPDATE SET
  spend = daily_spend.spend + excluded.spend,
  prompt_tokens = daily_spend.prompt_tokens + excluded.prompt_tokens,
  completion_tokens = daily_spend.completion_tokens + excluded.completion_tokens,
  requests = daily_spend.requests + excluded.requests,
  successful = daily_spend.successful + excluded.successful,
  failed = daily_spend.failed + excluded.failed,
  user_id = COALESCE(excluded.user_id, daily_spend.user_id)`;

/**
 * Each budget row, and how its spend logs are found: a key's by its token (and the token it
 * had before a regeneration with a grace period), the others by their id.
 */
const BUDGET_ROWS: Record<
  BudgetTable,
  { table: string; id: string; logs: string; subjects: string }
> = {
  keys: {
    table: "virtual_keys",
    id: "id",
    logs: "api_key",
    subjects: "array_remove(ARRAY[token, previous_token], NULL)",
  },
  users: { table: "users", id: "user_id", logs: '"user"', subjects: "ARRAY[user_id]" },
  teams: { table: "teams", id: "team_id", logs: "team_id", subjects: "ARRAY[team_id]" },
  organizations: {
    table: "organizations",
    id: "organization_id",
    logs: "organization_id",
    subjects: "ARRAY[organization_id]",
  },
};

/** PostgreSQL: a few statements per batch, in one transaction, on a small pool of its own. */
export class PgSpendStore implements SpendStore {
  private readonly pool: pg.Pool;

  constructor(url: string, schema: string | undefined) {
    this.pool = new pg.Pool({
      connectionString: url,
      max: 2,
      ...(schema === undefined ? {} : { options: `-c search_path=${schema}` }),
    });
    // A connection lost while idle is replaced at the next query; the error must not crash us.
    this.pool.on("error", () => undefined);
  }

  async write(batch: readonly SpendEvent[]): Promise<WriteResult> {
    const events = uniqueByRequestId(batch);
    const client = await this.pool.connect();
    try {
      await client.query("BEGIN");
      const written = await client.query<{ request_id: string }>(INSERT_LOGS, logColumns(events));
      const ids = new Set(written.rows.map((r) => r.request_id));
      const inserted = events.filter((e) => ids.has(e.request_id));
      const added = totalsOf(inserted);
      const totals = emptyTotals();
      for (const name of ["keys", "users", "teams", "organizations"] as const) {
        const map = added[name];
        if (map.size === 0) continue;
        const r = await client.query<{ id: string; spend: number }>(ADD_TOTALS[name], [
          [...map.keys()],
          [...map.values()],
        ]);
        for (const row of r.rows) totals[name].set(row.id, row.spend);
      }
      if (added.daily.length > 0) {
        const d = added.daily;
        await client.query(ADD_DAILY, [
          d.map((x) => x.date),
          d.map((x) => x.apiKey),
          d.map((x) => x.model),
          d.map((x) => x.teamId),
          d.map((x) => x.userId),
          d.map((x) => x.spend),
          d.map((x) => x.promptTokens),
          d.map((x) => x.completionTokens),
          d.map((x) => x.requests),
          d.map((x) => x.successful),
          d.map((x) => x.failed),
        ]);
      }
      await client.query("COMMIT");
      return { inserted, totals };
    } catch (err) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  async deleteOlderThan(before: Date, limit: number): Promise<number> {
    const r = await this.pool.query(
      `DELETE FROM spend_logs WHERE request_id IN (SELECT request_id FROM spend_logs WHERE start_time < $1 LIMIT $2)`,
      [pgTime(before.getTime()), limit],
    );
    return r.rowCount ?? 0;
  }

  async rollBudgetWindow(roll: BudgetRoll): Promise<boolean> {
    const t = BUDGET_ROWS[roll.table];
    const client = await this.pool.connect();
    try {
      await client.query("BEGIN");
      // The row lock makes ingest batches wait: one committed before is in the sum, one
      // committed after adds to the new spend.
      const locked = await client.query<{ subjects: string[] }>(
        `SELECT ${t.subjects} AS subjects FROM ${t.table}
         WHERE ${t.id} = $1 AND budget_duration = $2 AND budget_reset_at IS NOT DISTINCT FROM $3::timestamp
         FOR UPDATE`,
        [roll.id, roll.duration, roll.from === null ? null : pgTime(roll.from.getTime())],
      );
      const row = locked.rows[0];
      if (row === undefined) {
        await client.query("ROLLBACK");
        return false;
      }
      if (roll.from === null) {
        await client.query(
          `UPDATE ${t.table} SET budget_reset_at = $2::timestamp WHERE ${t.id} = $1`,
          [roll.id, pgTime(roll.end.getTime())],
        );
      } else {
        await client.query(
          `UPDATE ${t.table} SET budget_reset_at = $2::timestamp,
             spend = (SELECT COALESCE(SUM(l.spend), 0) FROM spend_logs l
                      WHERE l.${t.logs} = ANY($3::text[]) AND l.start_time >= $4::timestamp)
           WHERE ${t.id} = $1`,
          [roll.id, pgTime(roll.end.getTime()), row.subjects, pgTime(roll.start.getTime())],
        );
      }
      await client.query("COMMIT");
      return true;
    } catch (err) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

function totalsSql(table: string, id: string): string {
  return `UPDATE ${table} AS t SET spend = t.spend + v.amount
FROM unnest($1::text[], $2::float8[]) AS v(id, amount)
WHERE t.${id} = v.id
RETURNING t.${id} AS id, t.spend`;
}

function logColumns(events: readonly SpendEvent[]): unknown[][] {
  const cols: unknown[][] = Array.from({ length: 23 }, () => new Array<unknown>(events.length));
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!;
    cols[0]![i] = e.request_id;
    cols[1]![i] = e.call_type;
    cols[2]![i] = e.api_key;
    cols[3]![i] = e.spend;
    cols[4]![i] = e.prompt_tokens;
    cols[5]![i] = e.completion_tokens;
    cols[6]![i] = e.cached_tokens;
    cols[7]![i] = pgTime(e.startTime);
    cols[8]![i] = pgTime(e.endTime);
    cols[9]![i] = e.completionStartTime === undefined ? null : pgTime(e.completionStartTime);
    cols[10]![i] = e.model;
    cols[11]![i] = e.model_group;
    cols[12]![i] = e.model_id ?? null;
    cols[13]![i] = e.custom_llm_provider ?? null;
    cols[14]![i] = e.api_base ?? null;
    cols[15]![i] = e.user ?? null;
    cols[16]![i] = e.end_user ?? null;
    cols[17]![i] = e.team_id ?? null;
    cols[18]![i] = e.organization_id ?? null;
    cols[19]![i] = JSON.stringify(e.request_tags);
    cols[20]![i] = e.cache_hit;
    cols[21]![i] = e.status;
    cols[22]![i] = JSON.stringify(e.metadata);
  }
  return cols;
}

/** `timestamp(3)` without zone holds UTC (as Prisma writes it). */
function pgTime(epochMs: number): string {
  return new Date(epochMs).toISOString().replace("T", " ").replace("Z", "");
}
