import type { SpendEvent } from "../../schema/spend-event.js";

/** One daily aggregate row's increment (day × key × model × team). */
export interface DailyIncrement {
  date: string;
  apiKey: string;
  model: string;
  /** "" when the key has no team (part of the primary key). */
  teamId: string;
  userId: string | null;
  spend: number;
  promptTokens: number;
  completionTokens: number;
  requests: number;
  successful: number;
  failed: number;
}

/** What a batch of newly written spend events adds to the running totals. */
export interface BatchTotals {
  keys: Map<string, number>;
  users: Map<string, number>;
  teams: Map<string, number>;
  organizations: Map<string, number>;
  daily: DailyIncrement[];
}

/** Sums a batch (events already written once, never repeats) into total and daily increments. */
export function totalsOf(events: readonly SpendEvent[]): BatchTotals {
  const totals: BatchTotals = {
    keys: new Map(),
    users: new Map(),
    teams: new Map(),
    organizations: new Map(),
    daily: [],
  };
  const daily = new Map<string, DailyIncrement>();
  for (const e of events) {
    add(totals.keys, e.key_id, e.spend);
    add(totals.users, e.user, e.spend);
    add(totals.teams, e.team_id, e.spend);
    add(totals.organizations, e.organization_id, e.spend);
    const date = dayOf(e.startTime);
    const model = e.model_group || e.model;
    const teamId = e.team_id ?? "";
    const id = `${date}\u0000${e.api_key}\u0000${model}\u0000${teamId}`;
    let row = daily.get(id);
    if (row === undefined) {
      row = {
        date,
        apiKey: e.api_key,
        model,
        teamId,
        userId: e.user ?? null,
        spend: 0,
        promptTokens: 0,
        completionTokens: 0,
        requests: 0,
        successful: 0,
        failed: 0,
      };
      daily.set(id, row);
    }
    row.spend += e.spend;
    row.promptTokens += e.prompt_tokens;
    row.completionTokens += e.completion_tokens;
    row.requests += 1;
    if (e.status === "success") row.successful += 1;
    else row.failed += 1;
  }
  totals.daily = [...daily.values()];
  return totals;
}

/** The UTC day of an epoch-ms time, as `YYYY-MM-DD`. */
export function dayOf(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 10);
}

/** Keeps the first event of each request id (a batch may carry a repeat). */
export function uniqueByRequestId(events: readonly SpendEvent[]): SpendEvent[] {
  const seen = new Set<string>();
  const out: SpendEvent[] = [];
  for (const e of events) {
    if (seen.has(e.request_id)) continue;
    seen.add(e.request_id);
    out.push(e);
  }
  return out;
}

function add(map: Map<string, number>, id: string | undefined, amount: number): void {
  if (id === undefined || id === "" || amount === 0) return;
  map.set(id, (map.get(id) ?? 0) + amount);
}
