/**
 * The counters limits and budgets read on the hot path. Each node keeps them in memory;
 * in a cluster a background sync (shared-counters.ts) pushes local increments to Redis and
 * pulls the cluster's totals, so no request waits on Redis to be counted.
 */

/** A total within a window (requests, tokens, spend): the cluster's part and our own. */
export class WindowedSum {
  /** Epoch ms the current window ends. */
  windowEnd = 0;
  /** The cluster's total at the last sync (our own pushed increments included). */
  known = 0;
  /** Our increments not yet sent to Redis. */
  pending = 0;
  /** Our increments sent and not yet acknowledged. */
  pushing = 0;
  /** What this node added in this window (enforces its share while Redis is down). */
  own = 0;
  /** The control plane's figure for this window, written to Redis if Redis has none. */
  seed = 0;
  seeded = false;
  /** `known` was read from Redis in this window (until then a node cannot judge the cluster). */
  fresh = false;
  lastUsed = 0;
  /** What the window was computed from (a snapshot entry): a new one may move the window. */
  source: unknown;

  constructor(
    readonly name: string,
    private readonly active: Set<WindowedSum>,
  ) {}

  /** Marks it in use: the background sync keeps it current while it is. */
  touch(now: number): void {
    this.lastUsed = now;
    this.active.add(this);
  }

  /** Moves to the window ending at `windowEnd` (a no-op within the same window). */
  roll(windowEnd: number, seed = 0): void {
    if (windowEnd === this.windowEnd) return;
    this.windowEnd = windowEnd;
    this.known = seed;
    this.seed = seed;
    this.seeded = seed === 0;
    this.fresh = false;
    this.pending = 0;
    this.pushing = 0;
    this.own = 0;
  }

  get value(): number {
    return this.known + this.pending + this.pushing;
  }

  /** Increments not yet seen by the cluster: bounded by the sync allowance. */
  get unsynced(): number {
    return this.pending + this.pushing;
  }

  add(amount: number): void {
    this.pending += amount;
    this.own += amount;
  }
}

/** A level that goes up and down (requests in flight, reserved budget), summed over nodes. */
export class Gauge {
  /** This node's level. */
  local = 0;
  /** Every other live node's level at the last sync. */
  others = 0;
  /** Increase since our level was last sent (bounded by the sync allowance). */
  unsynced = 0;
  /** Our level changed since it was last sent. */
  dirty = false;
  /** `others` was read from Redis at least once. */
  fresh = false;
  lastSentAt = 0;
  lastUsed = 0;

  constructor(
    readonly name: string,
    private readonly active: Set<Gauge>,
  ) {}

  /** Marks it in use: the background sync keeps it current while it is. */
  touch(now: number): void {
    this.lastUsed = now;
    this.active.add(this);
  }

  get value(): number {
    return this.local + this.others;
  }

  add(amount: number): void {
    this.local += amount;
    if (amount > 0) this.unsynced += amount;
    this.dirty = true;
  }
}
