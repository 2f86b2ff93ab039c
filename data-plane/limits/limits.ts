import { ApiError } from "../../schema/errors.js";
import type { Snapshot } from "../../schema/snapshot.js";
import type { Caller } from "../auth/authenticate.js";
import type { BudgetAlerts } from "./budget-alerts.js";
import type { Gauge, WindowedSum } from "./counters.js";
import type { SharedCounters } from "./shared-counters.js";
import { globalSubject, type Subject, type SubjectKind, subjectsOf } from "./subjects.js";
import { budgetWindow, minuteWindowEnd } from "./windows.js";

/** What a request is expected to use, before it is made. */
export interface Estimate {
  /** Prompt tokens, estimated from above (counted against tpm until the real count is known). */
  readonly tokens: number;
  /** The most the call can cost (reserved against budgets until the real cost is known). */
  readonly worstCost: number;
}

/** One subject's counters. */
interface SubjectCounters {
  readonly requests: WindowedSum;
  readonly tokens: WindowedSum;
  readonly parallel: Gauge;
  readonly spend: WindowedSum;
  readonly reserved: Gauge;
}

/** A request let through: settle it exactly once, when its answer is complete or abandoned. */
export interface Admission {
  /** `x-ratelimit-*` headers for the response (empty when no rpm/tpm limit applies). */
  readonly headers: readonly (readonly [string, string])[];
  /** Real tokens and cost: releases reservations, counts spend, fires soft-budget alerts. */
  settle(tokens: number, cost: number): void;
}

/** Subjects idle this long have their counters forgotten (their totals stay in Redis). */
const SWEEP_MS = 10 * 60_000;
/** How long a request may wait for syncs before it is refused as too contended (ms). */
const MAX_WAIT_MS = 5_000;

/**
 * Rate limits (rpm, tpm, parallel requests) and budgets, checked for every subject a
 * request counts against (key, user, team, gateway) from this node's counters. Budgets
 * reserve the request's worst-case cost before the call and settle to the real cost after.
 */
export class Limits {
  private readonly bySubject: Record<SubjectKind, Map<string, SubjectCounters>> = {
    key: new Map(),
    user: new Map(),
    team: new Map(),
    organization: new Map(),
    global: new Map(),
  };

  private lastSweep = Date.now();
  /** Refusals so far, by `limit:subject kind` (e.g. `rpm:key`), for /metrics. */
  readonly refusals = new Map<string, number>();

  constructor(
    private readonly counters: SharedCounters,
    private readonly alerts: BudgetAlerts,
  ) {}

  private refused(limit: string, s: Subject): void {
    const id = `${limit}:${s.kind}`;
    this.refusals.set(id, (this.refusals.get(id) ?? 0) + 1);
  }

  /**
   * Admits the request or throws a 429 (rate limits) / 400 `budget_exceeded` ApiError.
   * Returns a promise only when this node must first tell the cluster what it admitted.
   */
  admit(
    caller: Caller,
    settings: Snapshot["settings"],
    estimate: Estimate,
    now = Date.now(),
  ): Admission | Promise<Admission> {
    // Alone, these counters are the only record of spend in the window: they stay.
    if (now - this.lastSweep > SWEEP_MS && this.counters.mode === "cluster") this.sweep(now);
    if (caller.kind === "master") return this.masterAdmission(settings);
    const subjects = subjectsOf(caller, settings);
    if (subjects.length === 0) return NO_LIMITS;
    return this.tryAdmit(subjects, estimate, now, now + MAX_WAIT_MS);
  }

  private tryAdmit(
    subjects: readonly Subject[],
    estimate: Estimate,
    now: number,
    giveUpAt: number,
  ): Admission | Promise<Admission> {
    let mustWait = false;
    for (const s of subjects) {
      const verdict = this.check(s, this.countersOf(s), estimate, now);
      if (verdict === WAIT) mustWait = true;
    }
    if (mustWait) {
      if (now >= giveUpAt) {
        throw new LimitError(
          "Rate limit: too many concurrent requests for the same limit on this node; retry shortly.",
          "requests",
          1,
        );
      }
      return this.counters
        .nextSync()
        .then(() => this.tryAdmit(subjects, estimate, Date.now(), giveUpAt));
    }
    return this.commit(subjects, estimate, now);
  }

  /** Throws when a limit refuses; WAIT when the cluster must hear from us first. */
  private check(s: Subject, c: SubjectCounters, estimate: Estimate, now: number): Verdict {
    const l = s.limits;
    let verdict: Verdict = ADMIT;
    if (l.rpmLimit !== undefined) {
      c.requests.roll(minuteWindowEnd(now));
      verdict = this.checkSum(s, c.requests, 1, l.rpmLimit, now, "requests", verdict);
    }
    if (l.tpmLimit !== undefined) {
      c.tokens.roll(minuteWindowEnd(now));
      verdict = this.checkSum(s, c.tokens, estimate.tokens, l.tpmLimit, now, "tokens", verdict);
    }
    if (l.maxParallelRequests !== undefined) {
      const g = c.parallel;
      g.touch(now);
      if (g.value + 1 > l.maxParallelRequests) {
        this.refused("parallel", s);
        throw new LimitError(
          `Rate limit reached for ${s.label}: at most ${l.maxParallelRequests} requests in parallel (max_parallel_requests). Retry when one completes.`,
          "requests",
          1,
        );
      }
      if (this.unread(g.fresh) || this.mustSync(g.unsynced, 1, l.maxParallelRequests))
        verdict = WAIT;
    }
    if (l.maxBudget !== undefined || l.softBudget !== undefined) this.rollBudget(s, c, now);
    if (l.maxBudget !== undefined) {
      c.spend.touch(now);
      c.reserved.touch(now);
      const committed = c.spend.value + c.reserved.value;
      if (committed >= l.maxBudget) {
        this.refused("budget", s);
        throw new ApiError(
          400,
          `Budget exceeded for ${s.label}: spent $${c.spend.value.toFixed(4)} (with $${c.reserved.value.toFixed(4)} reserved by requests in flight) of $${l.maxBudget}${resetText(c.spend.windowEnd)}.`,
          "budget_exceeded",
          "budget_exceeded",
        );
      }
      if (
        this.unread(c.spend.fresh) ||
        this.unread(c.reserved.fresh) ||
        this.mustSync(c.reserved.unsynced, estimate.worstCost, l.maxBudget, false)
      )
        verdict = WAIT;
    }
    return verdict;
  }

  private checkSum(
    s: Subject,
    c: WindowedSum,
    amount: number,
    limit: number,
    now: number,
    unit: "requests" | "tokens",
    verdict: Verdict,
  ): Verdict {
    c.touch(now);
    const localShare = this.counters.mode === "local-share";
    const used = localShare ? c.own : c.value;
    const cap = localShare ? this.counters.share(limit) : limit;
    if (used + amount > cap) {
      const retryAfter = Math.max(1, Math.ceil((c.windowEnd - now) / 1000));
      const what = unit === "requests" ? "requests per minute (RPM)" : "tokens per minute (TPM)";
      this.refused(unit === "requests" ? "rpm" : "tpm", s);
      throw new LimitError(
        `Rate limit reached for ${s.label} on ${what}: limit ${limit}, used ${Math.round(c.value)}, requested ${Math.round(amount)}${localShare ? ` (this node's share while the cluster's counters are unreachable: ${cap})` : ""}. Please try again in ${retryAfter}s.`,
        unit,
        retryAfter,
        [
          [`x-ratelimit-limit-${unit}`, String(limit)],
          [`x-ratelimit-remaining-${unit}`, "0"],
          [`x-ratelimit-reset-${unit}`, resetIn(c.windowEnd - now)],
        ],
      );
    }
    // A counter never read from Redis in this window knows nothing of the other nodes yet.
    if (this.unread(c.fresh)) return WAIT;
    return this.mustSync(c.unsynced, amount, limit) ? WAIT : verdict;
  }

  /** In a cluster, a counter not yet read from Redis must be before it can admit. */
  private unread(fresh: boolean): boolean {
    return !fresh && this.counters.mode === "cluster";
  }

  /** True when admitting `amount` more would take this node past its unsynced allowance. */
  private mustSync(unsynced: number, amount: number, limit: number, whole = true): boolean {
    // One request alone never waits: the bound is max(allowance, one request) per node.
    return unsynced > 0 && unsynced + amount > this.counters.allowance(limit, whole);
  }

  private rollBudget(s: Subject, c: SubjectCounters, now: number): void {
    const l = s.limits;
    if (now < c.spend.windowEnd && c.spend.source === l) return;
    const w = budgetWindow(now, l.budgetDuration, l.budgetResetAt, l.spend);
    if (w.end !== c.spend.windowEnd) c.spend.roll(w.end, w.seed);
    c.spend.source = l;
  }

  private commit(subjects: readonly Subject[], estimate: Estimate, now: number): Admission {
    const used: SubjectCounters[] = [];
    let requests: RateView | undefined;
    let tokens: RateView | undefined;
    for (const s of subjects) {
      const c = this.countersOf(s);
      const l = s.limits;
      used.push(c);
      if (l.rpmLimit !== undefined) {
        c.requests.add(1);
        c.requests.touch(now);
        requests = tighter(requests, l.rpmLimit, c.requests);
      }
      if (l.tpmLimit !== undefined) {
        c.tokens.add(estimate.tokens);
        c.tokens.touch(now);
        tokens = tighter(tokens, l.tpmLimit, c.tokens);
      }
      if (l.maxParallelRequests !== undefined) {
        c.parallel.add(1);
        c.parallel.touch(now);
      }
      if (l.maxBudget !== undefined) {
        c.reserved.add(estimate.worstCost);
        c.reserved.touch(now);
      }
    }
    return new Granted(this, subjects, used, estimate, rateHeaders(requests, tokens, now));
  }

  /** Called once per admission (see Granted). */
  settle(
    subjects: readonly Subject[],
    used: readonly SubjectCounters[],
    estimate: Estimate,
    tokens: number,
    cost: number,
  ): void {
    const now = Date.now();
    for (let i = 0; i < subjects.length; i++) {
      const s = subjects[i]!;
      const c = used[i]!;
      const l = s.limits;
      if (l.tpmLimit !== undefined && now < c.tokens.windowEnd)
        c.tokens.add(tokens - estimate.tokens);
      if (l.maxParallelRequests !== undefined) c.parallel.add(-1);
      if (l.maxBudget !== undefined) c.reserved.add(-estimate.worstCost);
      if (l.maxBudget !== undefined || l.softBudget !== undefined) this.addSpend(s, c, cost, now);
    }
  }

  private addSpend(s: Subject, c: SubjectCounters, cost: number, now: number): void {
    if (cost <= 0) return;
    this.rollBudget(s, c, now);
    const before = c.spend.value;
    c.spend.add(cost);
    c.spend.touch(now);
    const soft = s.limits.softBudget;
    if (soft !== undefined && before < soft && before + cost >= soft) {
      this.alerts.softBudgetCrossed(s, before + cost, c.spend.windowEnd);
    }
  }

  /** The master key is not limited, but what it spends counts toward the gateway's budget. */
  private masterAdmission(settings: Snapshot["settings"]): Admission {
    const g = globalSubject(settings);
    if (g === undefined) return NO_LIMITS;
    return {
      headers: [],
      settle: (_tokens, cost) => {
        if (g.limits.maxBudget !== undefined)
          this.addSpend(g, this.countersOf(g), cost, Date.now());
      },
    };
  }

  /** Forgets the counters of subjects idle for a while (keys come and go by the thousand). */
  private sweep(now: number): void {
    this.lastSweep = now;
    for (const map of Object.values(this.bySubject)) {
      for (const [id, c] of map) {
        const idle =
          now - Math.max(c.requests.lastUsed, c.tokens.lastUsed, c.spend.lastUsed) > SWEEP_MS &&
          now - Math.max(c.parallel.lastUsed, c.reserved.lastUsed) > SWEEP_MS &&
          c.parallel.local === 0 &&
          c.reserved.local === 0 &&
          c.spend.unsynced === 0 &&
          c.requests.unsynced === 0 &&
          c.tokens.unsynced === 0;
        if (idle) map.delete(id);
      }
    }
  }

  private countersOf(s: Subject): SubjectCounters {
    const map = this.bySubject[s.kind];
    let c = map.get(s.id);
    if (c === undefined) {
      const base = `${s.kind}:${s.id}`;
      c = {
        requests: this.counters.sum(`${base}:rpm`),
        tokens: this.counters.sum(`${base}:tpm`),
        parallel: this.counters.gauge(`${base}:parallel`),
        spend: this.counters.sum(`${base}:spend`),
        reserved: this.counters.gauge(`${base}:reserved`),
      };
      map.set(s.id, c);
    }
    return c;
  }
}

/** A 429 from a rate limit, with the `x-ratelimit-*` headers of the limit that refused. */
export class LimitError extends ApiError {
  constructor(
    message: string,
    type: "requests" | "tokens",
    retryAfter: number,
    readonly headers: readonly (readonly [string, string])[] = [],
  ) {
    super(429, message, type, "rate_limit_exceeded", null, retryAfter);
  }
}

type Verdict = 0 | 1;
const ADMIT: Verdict = 0;
const WAIT: Verdict = 1;

const NO_LIMITS: Admission = { headers: [], settle: () => undefined };

class Granted implements Admission {
  private settled = false;

  constructor(
    private readonly limits: Limits,
    private readonly subjects: readonly Subject[],
    private readonly used: readonly SubjectCounters[],
    private readonly estimate: Estimate,
    readonly headers: readonly (readonly [string, string])[],
  ) {}

  settle(tokens: number, cost: number): void {
    if (this.settled) return;
    this.settled = true;
    this.limits.settle(this.subjects, this.used, this.estimate, tokens, cost);
  }
}

interface RateView {
  limit: number;
  remaining: number;
  windowEnd: number;
}

/** The limit with the least room left is the one a client must pace itself by. */
function tighter(current: RateView | undefined, limit: number, c: WindowedSum): RateView {
  const remaining = Math.max(0, Math.floor(limit - c.value));
  if (current !== undefined && current.remaining <= remaining) return current;
  return { limit, remaining, windowEnd: c.windowEnd };
}

/** OpenAI's `x-ratelimit-*` headers. */
function rateHeaders(
  requests: RateView | undefined,
  tokens: RateView | undefined,
  now: number,
): (readonly [string, string])[] {
  const out: (readonly [string, string])[] = [];
  if (requests !== undefined) {
    out.push(["x-ratelimit-limit-requests", String(requests.limit)]);
    out.push(["x-ratelimit-remaining-requests", String(requests.remaining)]);
    out.push(["x-ratelimit-reset-requests", resetIn(requests.windowEnd - now)]);
  }
  if (tokens !== undefined) {
    out.push(["x-ratelimit-limit-tokens", String(tokens.limit)]);
    out.push(["x-ratelimit-remaining-tokens", String(tokens.remaining)]);
    out.push(["x-ratelimit-reset-tokens", resetIn(tokens.windowEnd - now)]);
  }
  return out;
}

/** OpenAI's spelling of a delay: `12s`, `250ms`. */
function resetIn(ms: number): string {
  return ms >= 1000 ? `${Math.ceil(ms / 1000)}s` : `${Math.max(0, Math.ceil(ms))}ms`;
}

function resetText(windowEnd: number): string {
  return windowEnd >= 8e15 ? "" : `; the budget resets at ${new Date(windowEnd).toISOString()}`;
}
