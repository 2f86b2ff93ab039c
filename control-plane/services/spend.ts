import type { DailySpend, Prisma, SpendLog } from "../../prisma/client.js";
import type { Config } from "../../schema/config.js";
import { canReadAll, type Principal } from "../auth/principal.js";
import { readList } from "../db.js";
import type { ServiceContext } from "./context.js";
import { ForbiddenError, InvalidInputError } from "./errors.js";
import type { Page } from "./pagination.js";

export interface SpendLogFilter {
  /** A virtual key's id. */
  keyId?: string | null;
  /** A key's SHA-256 (LiteLLM's `api_key` column). */
  apiKey?: string | null;
  userId?: string | null;
  teamId?: string | null;
  model?: string | null;
  /** Rows carrying every one of these tags. */
  tags?: readonly string[] | null;
  requestId?: string | null;
  from?: Date | null;
  to?: Date | null;
}

export const SPEND_GROUPS = ["key", "user", "team", "model", "tag", "day"] as const;
export type SpendGroup = (typeof SPEND_GROUPS)[number];

export interface SpendReportRow {
  /** The group's value: a key hash, user id, team id, model, tag or `YYYY-MM-DD`. */
  group: string;
  spend: number;
  requests: number;
  promptTokens: number;
  completionTokens: number;
}

const MAX_PAGE = 1000;
/** Tag reports read rows, not aggregates (tags are not aggregated): at most this many. */
const MAX_TAG_ROWS = 200_000;

/** Spend reads: logs, reports over a range, totals. Writes go through the ingest. */
export class SpendService {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly config: Config,
  ) {}

  /** Spend log rows, newest first; non-admins see their own (their user's, or their key's). */
  async logs(
    p: Principal,
    filter: SpendLogFilter,
    page: { first?: number | null; after?: string | null },
  ): Promise<Page<SpendLog>> {
    const where = await this.logWhere(p, filter);
    const first = Math.min(Math.max(page.first ?? 50, 1), MAX_PAGE);
    const rows = await this.ctx.db.spendLog.findMany({
      where,
      orderBy: [{ startTime: "desc" }, { requestId: "desc" }],
      take: first + 1,
      ...(page.after ? { cursor: { requestId: page.after }, skip: 1 } : {}),
    });
    const hasNextPage = rows.length > first;
    const nodes = hasNextPage ? rows.slice(0, first) : rows;
    return { nodes, hasNextPage, endCursor: nodes.at(-1)?.requestId ?? null };
  }

  /** Spend grouped by key, user, team, model, tag or day over [from, to) (admins). */
  async report(
    p: Principal,
    groupBy: SpendGroup,
    from: Date | null | undefined,
    to: Date | null | undefined,
  ): Promise<SpendReportRow[]> {
    if (!canReadAll(p))
      throw new ForbiddenError("Only an admin or admin viewer may read spend reports.");
    if (groupBy === "tag") return this.tagReport(from, to);
    const date: Prisma.StringFilter = {};
    if (from) date.gte = day(from);
    if (to) date.lte = day(to);
    const rows: DailySpend[] = await this.ctx.db.dailySpend.findMany({
      where: from || to ? { date } : {},
    });
    const groups = new Map<string, SpendReportRow>();
    for (const r of rows) {
      const id =
        groupBy === "key"
          ? r.apiKey
          : groupBy === "user"
            ? (r.userId ?? "")
            : groupBy === "team"
              ? r.teamId
              : groupBy === "model"
                ? r.model
                : r.date;
      const g = row(groups, id);
      g.spend += r.spend;
      g.requests += r.requests;
      g.promptTokens += r.promptTokens;
      g.completionTokens += r.completionTokens;
    }
    return sorted(groups);
  }

  /** Everything spent through the gateway (daily aggregates: kept when old rows are deleted). */
  async total(p: Principal): Promise<{ spend: number; maxBudget: number | null }> {
    if (!canReadAll(p))
      throw new ForbiddenError("Only an admin or admin viewer may read global spend.");
    const sum = await this.ctx.db.dailySpend.aggregate({ _sum: { spend: true } });
    return {
      spend: sum._sum.spend ?? 0,
      maxBudget: this.config.general_settings?.max_budget ?? null,
    };
  }

  private async tagReport(
    from: Date | null | undefined,
    to: Date | null | undefined,
  ): Promise<SpendReportRow[]> {
    const rows = await this.ctx.db.spendLog.findMany({
      where: timeRange(from, to),
      select: { requestTags: true, spend: true, promptTokens: true, completionTokens: true },
      take: MAX_TAG_ROWS,
    });
    const groups = new Map<string, SpendReportRow>();
    for (const r of rows) {
      for (const tag of readList(r.requestTags)) {
        const g = row(groups, tag);
        g.spend += r.spend;
        g.requests += 1;
        g.promptTokens += r.promptTokens;
        g.completionTokens += r.completionTokens;
      }
    }
    return sorted(groups);
  }

  private async logWhere(p: Principal, f: SpendLogFilter): Promise<Prisma.SpendLogWhereInput> {
    const and: Prisma.SpendLogWhereInput[] = [];
    if (f.keyId) {
      const key = await this.ctx.db.virtualKey.findUnique({
        where: { id: f.keyId },
        select: { token: true },
      });
      and.push({ apiKey: key?.token ?? "-" });
    }
    if (f.apiKey) and.push({ apiKey: f.apiKey });
    if (f.userId) and.push({ user: f.userId });
    if (f.teamId) and.push({ teamId: f.teamId });
    if (f.model) and.push({ OR: [{ model: f.model }, { modelGroup: f.model }] });
    if (f.requestId) and.push({ requestId: f.requestId });
    for (const tag of f.tags ?? []) and.push({ requestTags: { contains: JSON.stringify(tag) } });
    if (f.from && f.to && f.from > f.to) {
      throw new InvalidInputError("The range's start is after its end.", [
        { path: "from", message: "after to" },
      ]);
    }
    const range = timeRange(f.from, f.to);
    if (range.startTime !== undefined) and.push(range);
    if (!canReadAll(p)) {
      // Non-admins: their user's rows, or (a key with no user) their key's.
      if (p.userId !== undefined) and.push({ user: p.userId });
      else {
        const own = p.keyId
          ? await this.ctx.db.virtualKey.findUnique({
              where: { id: p.keyId },
              select: { token: true },
            })
          : null;
        and.push({ apiKey: own?.token ?? "-" });
      }
    }
    return and.length === 0 ? {} : { AND: and };
  }
}

function timeRange(
  from: Date | null | undefined,
  to: Date | null | undefined,
): { startTime?: Prisma.DateTimeFilter } {
  if (!from && !to) return {};
  const startTime: Prisma.DateTimeFilter = {};
  if (from) startTime.gte = from;
  if (to) startTime.lt = to;
  return { startTime };
}

function day(d: Date): string {
  return d.toISOString().slice(0, 10);
}

function row(groups: Map<string, SpendReportRow>, id: string): SpendReportRow {
  let g = groups.get(id);
  if (g === undefined) {
    g = { group: id, spend: 0, requests: 0, promptTokens: 0, completionTokens: 0 };
    groups.set(id, g);
  }
  return g;
}

function sorted(groups: Map<string, SpendReportRow>): SpendReportRow[] {
  return [...groups.values()].sort((a, b) => b.spend - a.spend || a.group.localeCompare(b.group));
}
