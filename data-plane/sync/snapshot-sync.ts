import type { Logger } from "pino";
import type { Bus } from "../../bus/bus.js";
import {
  type NodeHeartbeat,
  type SnapshotDelta,
  SnapshotMessageSchema,
} from "../../schema/bus-messages.js";
import { indexInSlices } from "../snapshot/index-in-slices.js";
import type { IndexedSnapshot } from "../snapshot/indexed-snapshot.js";
import type { SnapshotSource } from "./snapshot-source.js";
import type { SyncStatus } from "./sync-status.js";

/** What the sync keeps current: the data-plane server. */
export interface SnapshotTarget {
  readonly snapshotVersion: number;
  /** Serves from `snapshot` from now on (one assignment: it is fully indexed). */
  swapSnapshot(snapshot: IndexedSnapshot): void;
  applyDelta(delta: SnapshotDelta): void;
}

export interface SnapshotSyncOptions {
  bus: Bus;
  snapshotChannel: string;
  nodesChannel: string;
  source: SnapshotSource;
  target: SnapshotTarget;
  logger: Logger;
  nodeId: string;
  address: string;
  /** How often this node says it is alive (ms). */
  heartbeatMs?: number;
  /** Without word from the control plane for this long, the snapshot is called stale (ms). */
  staleAfterMs?: number;
  /** How often to retry fetching the whole snapshot while stale (ms). */
  retryMs?: number;
}

/**
 * Keeps a node's snapshot current: applies deltas in version order; on a gap, a bus
 * reconnect, or silence from the control plane, fetches the whole snapshot again. Until
 * then it keeps serving the last one and reports itself stale. A whole snapshot is parsed
 * off the event loop and indexed in slices while the node keeps serving the last one;
 * deltas that arrive meanwhile wait, and are applied after the swap when they follow it.
 */
export class SnapshotSync {
  private lastSyncAt = 0;
  /**
   * When the snapshot this node serves was built. With the version it names one build: a
   * restarted control plane numbers from 1 again, so a version alone can match another build.
   */
  private builtAt: string | undefined;
  private staleReason: string | undefined = "not synced yet";
  private refetching: Promise<void> | undefined;
  /** Deltas that arrived while a whole snapshot was on its way, in arrival order. */
  private pending: SnapshotDelta[] = [];
  private unsubscribe: (() => Promise<void>) | undefined;
  private offState: (() => void) | undefined;
  private timers: NodeJS.Timeout[] = [];
  private stopped = false;

  constructor(private readonly options: SnapshotSyncOptions) {}

  status(): SyncStatus {
    const silentFor = Date.now() - this.lastSyncAt;
    const staleAfter = this.options.staleAfterMs ?? 5_000;
    if (this.staleReason !== undefined)
      return { stale: true, lastSyncAt: this.lastSyncAt, reason: this.staleReason };
    if (silentFor > staleAfter) {
      return {
        stale: true,
        lastSyncAt: this.lastSyncAt,
        reason: `no word from the control plane for ${Math.round(silentFor / 1000)}s`,
      };
    }
    return { stale: false, lastSyncAt: this.lastSyncAt };
  }

  /**
   * Subscribes, and resolves once a whole snapshot has been fetched and applied (retrying
   * while the control plane cannot be reached: a node cannot serve without one).
   */
  async start(): Promise<void> {
    const { bus, snapshotChannel } = this.options;
    this.unsubscribe = await bus.subscribe(snapshotChannel, (message: string) =>
      this.onMessage(message),
    );
    this.offState = bus.onStateChange((state: "up" | "down") => {
      if (state === "up") void this.refetch("bus reconnected");
      else this.staleReason = "lost the connection to Redis";
    });
    const retryMs = this.options.retryMs ?? 2_000;
    this.timers.push(
      setInterval(() => {
        if (this.status().stale) void this.refetch("stale");
      }, retryMs),
      setInterval(() => void this.heartbeat(), this.options.heartbeatMs ?? 2_000),
    );
    for (const t of this.timers) t.unref();
    while (!this.stopped && this.lastSyncAt === 0) {
      await this.refetch("start");
      if (this.lastSyncAt === 0) await new Promise((r) => setTimeout(r, Math.min(retryMs, 500)));
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    this.offState?.();
    await this.unsubscribe?.().catch(() => undefined);
    await this.refetching?.catch(() => undefined);
  }

  private onMessage(text: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return;
    }
    const message = SnapshotMessageSchema.safeParse(parsed);
    if (!message.success) return;
    const current = this.options.target.snapshotVersion;
    if (message.data.type === "version") {
      // Not the snapshot this node has, ahead or behind (a restarted control plane).
      if (message.data.version !== current || message.data.builtAt !== this.builtAt)
        void this.refetch(`differs: at ${current}, control plane at ${message.data.version}`);
      else if (this.refetching === undefined) this.markSynced();
      return;
    }
    // The snapshot on its way may be older than this delta: keep it for after the swap.
    if (this.refetching !== undefined) this.pending.push(message.data.delta);
    else this.applyNext(message.data.delta);
  }

  /** Applies a delta that follows the current version; refetches on a gap. */
  private applyNext(delta: SnapshotDelta): void {
    const current = this.options.target.snapshotVersion;
    if (delta.version <= current) return;
    if (delta.baseVersion !== current) {
      void this.refetch(`gap: at ${current}, delta ${delta.baseVersion}→${delta.version}`);
      return;
    }
    this.options.target.applyDelta(delta);
    this.builtAt = delta.builtAt;
    this.markSynced();
  }

  /**
   * One fetch at a time. Never rejects: a failure leaves the node stale (serving its last
   * snapshot) and the retry timer tries again.
   */
  private refetch(why: string): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.refetching ??= (async () => {
      try {
        // Applied even when its version is lower: it is what the control plane has now (no
        // delta is applied while a fetch is on its way), and after a control-plane restart
        // versions start again from 1.
        const parts = await this.options.source.fetch();
        const { snapshot, yields } = await indexInSlices(parts);
        this.options.target.swapSnapshot(snapshot);
        this.builtAt = snapshot.builtAt;
        this.markSynced();
        this.options.logger.debug(
          { version: snapshot.version, why, yields },
          "fetched the whole snapshot",
        );
      } catch (err) {
        const reason = `cannot fetch the snapshot from the control plane (${err instanceof Error ? err.message : String(err)})`;
        if (this.staleReason !== reason) this.options.logger.warn({ why }, reason);
        this.staleReason = reason;
      } finally {
        this.refetching = undefined;
        this.applyPending();
      }
    })();
    return this.refetching;
  }

  /**
   * After a fetch, swapped in or failed: the deltas that came meanwhile, in order. Those the
   * snapshot already has are skipped; one that does not follow starts the next refetch.
   */
  private applyPending(): void {
    const pending = this.pending;
    this.pending = [];
    for (const [i, delta] of pending.entries()) {
      this.applyNext(delta);
      if (this.refetching !== undefined) {
        // A gap: the refetch brings everything up to now; the rest would be checked after it.
        this.pending = pending.slice(i + 1);
        return;
      }
    }
  }

  private markSynced(): void {
    this.lastSyncAt = Date.now();
    if (this.staleReason !== undefined && this.options.bus.state === "up")
      this.staleReason = undefined;
    else if (this.options.bus.state !== "up") this.staleReason = "lost the connection to Redis";
  }

  private async heartbeat(): Promise<void> {
    const status = this.status();
    const beat: NodeHeartbeat = {
      nodeId: this.options.nodeId,
      address: this.options.address,
      version: this.options.target.snapshotVersion,
      stale: status.stale,
      lastSyncAt: status.lastSyncAt,
      at: Date.now(),
    };
    await this.options.bus
      .publish(this.options.nodesChannel, JSON.stringify(beat))
      .catch(() => undefined);
  }
}
