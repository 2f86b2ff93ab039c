import type { Redis } from "ioredis";
import { failFastRedis } from "../../bus/fail-fast-redis.js";
import type { Logger } from "pino";
import { Gauge, WindowedSum } from "./counters.js";

/**
 * How a node enforces limits now:
 * - `local`: one node and no Redis (embedded mode): local counters are exact;
 * - `cluster`: counters sync with Redis in the background; cluster-wide limits hold within
 *   the allowance bound (see `allowance`);
 * - `local-share`: Redis is unreachable: each node admits its share (limit ÷ live nodes)
 *   from what it counted itself, and catches up with Redis when it returns.
 */
export type LimitsMode = "local" | "cluster" | "local-share";

export interface SharedCountersOptions {
  /** Redis URL; none = `local` mode. */
  redisUrl?: string;
  nodeId: string;
  /** Put before every Redis key (to share a Redis between deployments or tests). */
  keyPrefix?: string;
  /** Time between two background syncs (ms). */
  syncIntervalMs?: number;
  logger: Logger;
}

/** Part of a limit one node may admit before it has told the cluster (see README, "Limits"). */
export const ALLOWANCE_SHARE = 0.02;
const DEFAULT_SYNC_MS = 20;
/** A counter untouched this long is no longer refreshed from Redis (and is forgotten later). */
const ACTIVE_MS = 5_000;
const FORGET_MS = 120_000;
/** A node silent this long no longer counts as live (its in-flight gauges are ignored). */
const NODE_TTL_MS = 5_000;
const HEARTBEAT_MS = 1_000;
const SYNC_TIMEOUT_MS = 1_000;
/** Redis keys outlive their window a little, for nodes whose clocks lag. */
const KEY_GRACE_MS = 60_000;

/**
 * The node's counters, by name, and their background sync with Redis: one pipeline per
 * tick pushes our increments (INCRBYFLOAT), our gauge levels (a hash field per node) and
 * reads the cluster's totals. No request awaits Redis, except one whose admission would
 * take this node past its allowance of not-yet-synced increments: it waits for the next
 * tick (batched with every other such request).
 */
export class SharedCounters {
  private readonly sums = new Map<string, WindowedSum>();
  private readonly gauges = new Map<string, Gauge>();
  /** The counters in use lately: each tick syncs these only, however many exist. */
  private readonly activeSums = new Set<WindowedSum>();
  private readonly activeGauges = new Set<Gauge>();
  private lastSweep = 0;
  private readonly redis: Redis | undefined;
  private readonly prefix: string;
  private readonly syncMs: number;
  private readonly nodesKey: string;
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private waiters: (() => void)[] = [];
  private lastHeartbeat = 0;
  private liveNodes = 1;
  private reachable = false;
  private stopped = false;

  constructor(private readonly options: SharedCountersOptions) {
    this.prefix = `${options.keyPrefix ?? ""}switchyard:limits:`;
    this.nodesKey = `${this.prefix}nodes`;
    this.syncMs = options.syncIntervalMs ?? DEFAULT_SYNC_MS;
    if (options.redisUrl !== undefined) {
      this.redis = failFastRedis(options.redisUrl, "switchyard-limits", SYNC_TIMEOUT_MS);
      this.redis.on("ready", () => this.onReachable(true));
      this.redis.on("close", () => this.onReachable(false));
    }
  }

  get mode(): LimitsMode {
    if (this.redis === undefined) return "local";
    return this.reachable ? "cluster" : "local-share";
  }

  /** Live data-plane nodes sharing these counters (1 when alone or unknown). */
  get nodes(): number {
    return this.liveNodes;
  }

  async start(): Promise<void> {
    if (this.redis === undefined) return;
    // Not awaited to the end: a node starts (and enforces its share) with Redis down.
    await this.redis.connect().catch(() => undefined);
    this.schedule();
  }

  /** Pushes what is left, then closes the connection. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.ticking;
    if (this.redis === undefined) return;
    if (this.reachable) await this.tick().catch(() => undefined);
    this.releaseWaiters();
    await this.redis.quit().catch(() => this.redis?.disconnect());
  }

  sum(name: string): WindowedSum {
    let c = this.sums.get(name);
    if (c === undefined) {
      c = new WindowedSum(name, this.activeSums);
      this.sums.set(name, c);
    }
    return c;
  }

  gauge(name: string): Gauge {
    let g = this.gauges.get(name);
    if (g === undefined) {
      g = new Gauge(name, this.activeGauges);
      this.gauges.set(name, g);
    }
    return g;
  }

  /**
   * How much this node may admit of `limit` before the cluster has seen it. With N live
   * nodes the cluster's total can pass a limit by at most (N-1) × this (README, "Limits").
   */
  allowance(limit: number, whole = true): number {
    if (this.mode !== "cluster") return Number.POSITIVE_INFINITY;
    const share = (limit * ALLOWANCE_SHARE) / this.liveNodes;
    // Requests and tokens come whole: at least one; money does not.
    return whole ? Math.max(1, Math.floor(share)) : share;
  }

  /** This node's share of `limit` while Redis is unreachable. */
  share(limit: number): number {
    return Math.ceil(limit / this.liveNodes);
  }

  /** Resolves after the next sync with Redis (at once when there is nothing to sync with). */
  nextSync(): Promise<void> {
    if (this.mode !== "cluster" || this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      this.waiters.push(resolve);
      if (this.ticking === undefined) {
        clearTimeout(this.timer);
        this.timer = setTimeout(() => this.run(), 0);
      }
    });
  }

  /**
   * True for exactly one node per `id` until `expireAt` (a Redis SET NX); alone, or while
   * Redis is unreachable, this node decides for itself.
   */
  async claimOnce(id: string, expireAt: number): Promise<boolean> {
    if (this.redis === undefined || !this.reachable) return true;
    const reply = await this.redis.set(
      `${this.prefix}once:${id}`,
      this.options.nodeId,
      "PXAT",
      expireAt,
      "NX",
    );
    return reply === "OK";
  }

  private onReachable(up: boolean): void {
    if (this.reachable === up) return;
    this.reachable = up;
    this.options.logger[up ? "info" : "warn"](
      { mode: this.mode, nodes: this.liveNodes },
      up
        ? "limits: Redis reachable, enforcing cluster-wide limits"
        : "limits: Redis unreachable, enforcing this node's share of each limit",
    );
    // Waiters decide again, now by their share.
    if (!up) this.releaseWaiters();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => this.run(), this.syncMs);
  }

  private run(): void {
    if (this.ticking !== undefined) return;
    const tick = this.reachable ? this.tick() : Promise.resolve();
    this.ticking = tick
      .catch((err: unknown) => {
        this.options.logger.debug({ err: String(err) }, "limits: sync failed");
      })
      .finally(() => {
        this.ticking = undefined;
        this.releaseWaiters();
        this.schedule();
      });
  }

  private releaseWaiters(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  /** One pipeline: push increments and levels, pull totals. */
  private async tick(): Promise<void> {
    const redis = this.redis;
    if (redis === undefined) return;
    const now = Date.now();
    const pipeline = redis.pipeline();
    // One entry per pipelined command, in order: what to do with its reply, or if it fails.
    const replies: ((value: unknown) => void)[] = [];
    const failures: ((() => void) | undefined)[] = [];
    const expect = (onReply: (value: unknown) => void, onFailure?: () => void) => {
      replies.push(onReply);
      failures.push(onFailure);
    };
    const { nodeId } = this.options;

    if (now - this.lastSweep > FORGET_MS) this.sweep(now);
    for (const c of this.activeSums) {
      if (c.pending === 0 && c.pushing === 0 && now - c.lastUsed > ACTIVE_MS) {
        this.activeSums.delete(c);
        continue;
      }
      if (c.windowEnd <= now - KEY_GRACE_MS) continue;
      const key = `${this.prefix}s:${c.name}:${c.windowEnd}`;
      const expireAt = c.windowEnd + KEY_GRACE_MS;
      if (!c.seeded) {
        // The control plane's figure for this window, unless a node wrote it first.
        pipeline.set(key, String(c.seed), "PXAT", expireAt, "NX");
        const windowEnd = c.windowEnd;
        expect(() => {
          if (c.windowEnd === windowEnd) c.seeded = true;
        });
      }
      if (c.pending !== 0) {
        const sent = c.pending;
        const windowEnd = c.windowEnd;
        c.pending = 0;
        c.pushing += sent;
        pipeline.incrbyfloat(key, sent);
        expect(
          (total) => {
            if (c.windowEnd !== windowEnd) return;
            c.pushing -= sent;
            c.known = Number(total) - c.pushing;
            c.fresh = true;
          },
          () => {
            // Not counted by Redis: send it again next time.
            if (c.windowEnd !== windowEnd) return;
            c.pushing -= sent;
            c.pending += sent;
          },
        );
        pipeline.pexpireat(key, expireAt);
        expect(() => undefined);
      } else if (now - c.lastUsed < ACTIVE_MS) {
        const windowEnd = c.windowEnd;
        pipeline.get(key);
        expect((total) => {
          if (c.windowEnd !== windowEnd || c.pushing !== 0) return;
          if (total !== null) c.known = Number(total);
          c.fresh = true;
        });
      }
    }

    for (const g of this.activeGauges) {
      if (g.local === 0 && !g.dirty && now - g.lastUsed > ACTIVE_MS) {
        this.activeGauges.delete(g);
        continue;
      }
      const key = `${this.prefix}g:${g.name}`;
      if (g.dirty || (g.local !== 0 && now - g.lastSentAt >= HEARTBEAT_MS)) {
        const unsynced = g.unsynced;
        g.dirty = false;
        g.lastSentAt = now;
        if (g.local === 0) pipeline.hdel(key, nodeId);
        else pipeline.hset(key, nodeId, `${g.local}:${now}`);
        expect(
          () => {
            g.unsynced = Math.max(0, g.unsynced - unsynced);
          },
          () => {
            g.dirty = true;
          },
        );
        pipeline.pexpire(key, FORGET_MS);
        expect(() => undefined);
      }
      if (now - g.lastUsed < ACTIVE_MS) {
        pipeline.hgetall(key);
        expect((fields) => {
          g.others = sumOthers(fields as Record<string, string>, nodeId, now);
          g.fresh = true;
        });
      }
    }

    if (now - this.lastHeartbeat >= HEARTBEAT_MS) {
      this.lastHeartbeat = now;
      pipeline.hset(this.nodesKey, nodeId, String(now));
      expect(() => undefined);
      pipeline.hgetall(this.nodesKey);
      expect((fields) => {
        this.liveNodes = this.countLiveNodes(fields as Record<string, string>, now);
      });
    }

    if (replies.length === 0) return;
    let results: [Error | null, unknown][] | null;
    try {
      results = await pipeline.exec();
    } catch (err) {
      for (const f of failures) f?.();
      throw err;
    }
    for (let i = 0; i < replies.length; i++) {
      const [err, value] = results?.[i] ?? [new Error("no reply"), null];
      if (err === null) replies[i]?.(value);
      else failures[i]?.();
    }
  }

  /** Forgets counters unused for a while (their Redis keys expire on their own). */
  private sweep(now: number): void {
    this.lastSweep = now;
    for (const [name, c] of this.sums) {
      if (!this.activeSums.has(c) && now - c.lastUsed > FORGET_MS) this.sums.delete(name);
    }
    for (const [name, g] of this.gauges) {
      if (!this.activeGauges.has(g) && g.local === 0 && now - g.lastUsed > FORGET_MS)
        this.gauges.delete(name);
    }
  }

  private countLiveNodes(fields: Record<string, string>, now: number): number {
    let live = 0;
    const dead: string[] = [];
    for (const [node, seen] of Object.entries(fields)) {
      if (now - Number(seen) <= NODE_TTL_MS) live++;
      else dead.push(node);
    }
    if (dead.length > 0) this.redis?.hdel(this.nodesKey, ...dead).catch(() => undefined);
    return Math.max(1, live);
  }
}

/** Sum of the other live nodes' levels in a gauge hash (`level:timestamp` per node). */
function sumOthers(fields: Record<string, string>, self: string, now: number): number {
  let total = 0;
  for (const [node, value] of Object.entries(fields)) {
    if (node === self) continue;
    const colon = value.indexOf(":");
    if (now - Number(value.slice(colon + 1)) > NODE_TTL_MS) continue;
    total += Number(value.slice(0, colon));
  }
  return total;
}
