import type { SpendLog } from "../../prisma/client.js";
import { readList, readObject } from "../db.js";
import { InvalidInputError } from "../services/errors.js";
import type { Route } from "./route.js";

/**
 * LiteLLM's spend endpoints: `/global/spend` (admins) and `/spend/logs` (admins: every row;
 * others: their own). `/user/spend` and `/user/reset_budget` are with the user routes.
 */
export const spendRoutes: Route[] = [
  {
    method: "GET",
    path: "/global/spend",
    async handle(ctx) {
      const total = await ctx.cp.spend.total(await ctx.principal());
      return { spend: total.spend, total_spend: total.spend, max_budget: total.maxBudget };
    },
  },
  {
    // LiteLLM answers a list of rows; `after` (the last request_id seen) pages on.
    method: "GET",
    path: "/spend/logs",
    async handle(ctx) {
      const q = ctx.url.searchParams;
      const p = await ctx.principal();
      const tags = q.get("tags");
      const page = await ctx.cp.spend.logs(
        p,
        {
          apiKey: q.get("api_key"),
          keyId: q.get("key_id"),
          userId: q.get("user_id"),
          teamId: q.get("team_id"),
          model: q.get("model"),
          requestId: q.get("request_id"),
          tags: tags
            ? tags
                .split(",")
                .map((t) => t.trim())
                .filter((t) => t !== "")
            : null,
          from: dateParam(q.get("start_date"), "start_date", false),
          to: dateParam(q.get("end_date"), "end_date", true),
        },
        { first: numberParam(q.get("limit")) ?? 100, after: q.get("after") },
      );
      return page.nodes.map(spendLogJson);
    },
  },
];

/** A SpendLog row in LiteLLM's field names. */
export function spendLogJson(row: SpendLog): Record<string, unknown> {
  return {
    request_id: row.requestId,
    call_type: row.callType,
    api_key: row.apiKey,
    spend: row.spend,
    total_tokens: row.promptTokens + row.completionTokens,
    prompt_tokens: row.promptTokens,
    completion_tokens: row.completionTokens,
    cached_tokens: row.cachedTokens,
    startTime: row.startTime.toISOString(),
    endTime: row.endTime.toISOString(),
    completionStartTime: row.completionStartTime?.toISOString() ?? null,
    model: row.model,
    model_group: row.modelGroup,
    model_id: row.modelId,
    custom_llm_provider: row.customLlmProvider,
    api_base: row.apiBase,
    user: row.user,
    end_user: row.endUser,
    team_id: row.teamId,
    organization_id: row.organizationId,
    request_tags: readList(row.requestTags),
    cache_hit: String(row.cacheHit),
    status: row.status,
    metadata: readObject(row.metadata),
  };
}

/** `YYYY-MM-DD` (an end date covers its whole day) or an ISO time. */
function dateParam(value: string | null, param: string, end: boolean): Date | null {
  if (!value) return null;
  const dayOnly = /^\d{4}-\d{2}-\d{2}$/.test(value);
  const d = new Date(dayOnly ? `${value}T00:00:00Z` : value);
  if (Number.isNaN(d.getTime())) {
    throw new InvalidInputError(`${param} must be a date (YYYY-MM-DD) or an ISO time.`, [
      { path: param, message: "not a date" },
    ]);
  }
  return dayOnly && end ? new Date(d.getTime() + 86_400_000) : d;
}

function numberParam(value: string | null): number | undefined {
  if (!value) return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}
