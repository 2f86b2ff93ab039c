import type { Redis } from "ioredis";
import { failFastRedis } from "../../bus/fail-fast-redis.js";
import type { Logger } from "pino";
import type { SpendEvent, SpendSink } from "../../schema/spend-event.js";
import { SpendSpool } from "./spool.js";

export interface RedisStreamSinkOptions {
  redisUrl: string;
  /** The stream's key (see `spendStreamKey`). */
  stream: string;
  /** Where batches go when Redis is down and memory is full, and at shutdown. */
  spoolFile: string;
  /** Events held in memory while Redis is down before batches go to the spool. */
  maxMemoryEvents?: number;
  logger: Logger;
}

/** Batches sent in one pipeline (each batch is one stream entry). */
const PIPELINE_BATCHES = 64;
const RETRY_MS = 500;
const STOP_WAIT_MS = 5_000;

/** The spend stream's key, behind the bus prefix. */
export function spendStreamKey(prefix = ""): string {
  return `${prefix}switchyard:spend`;
}

/**
 * Distributed mode: a node's spend batches go to a Redis Stream, one entry a batch, sent
 * pipelined in the background (nothing on the request path waits on Redis). While Redis is
 * unreachable batches wait in memory, bounded, then in a local spool file; both are
 * delivered once Redis is back. A batch may reach the stream twice (a reply lost with the
 * connection); the control plane's ingest is idempotent by request id.
 */
export class RedisStreamSink implements SpendSink {
  private readonly redis: Redis;
  private readonly spool: SpendSpool;
  private buffer: SpendEvent[][] = [];
  private buffered = 0;
  private sending: Promise<void> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private failures = 0;
  private stopped = false;
  private readonly maxMemoryEvents: number;

  constructor(private readonly options: RedisStreamSinkOptions) {
    this.maxMemoryEvents = options.maxMemoryEvents ?? 100_000;
    this.spool = new SpendSpool(options.spoolFile);
    this.redis = failFastRedis(options.redisUrl, "switchyard-spend", 5_000);
    this.redis.on("ready", () => this.pump());
  }

  /** Events not yet in the stream (memory and spool file). */
  get waiting(): { memory: number; spooled: boolean } {
    return { memory: this.buffered, spooled: this.spool.hasBatches };
  }

  async start(): Promise<void> {
    // A node starts with Redis down: what it records waits until Redis is back.
    await this.redis.connect().catch(() => undefined);
    this.pump();
  }

  deliver(events: SpendEvent[]): void {
    if (events.length === 0) return;
    this.buffer.push(events);
    this.buffered += events.length;
    if (this.buffered > this.maxMemoryEvents) this.spillOldest();
    this.pump();
  }

  async stop(): Promise<void> {
    const deadline = Date.now() + STOP_WAIT_MS;
    while (this.buffered > 0 && this.redis.status === "ready" && Date.now() < deadline) {
      this.pump();
      await (this.sending ?? new Promise((r) => setTimeout(r, 20)));
    }
    this.stopped = true;
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    await this.sending;
    if (this.buffered > 0) {
      // Kept for the next start of this node (same spool file).
      this.spool.append(this.buffer);
      this.options.logger.warn(
        { events: this.buffered, spool: this.options.spoolFile },
        "spend: Redis unreachable at shutdown; spend events spooled to disk for the next start",
      );
      this.buffer = [];
      this.buffered = 0;
    }
    this.redis.disconnect();
  }

  private spillOldest(): void {
    const spill: SpendEvent[][] = [];
    while (this.buffered > this.maxMemoryEvents / 2 && this.buffer.length > 0) {
      const batch = this.buffer.shift()!;
      this.buffered -= batch.length;
      spill.push(batch);
    }
    try {
      this.spool.append(spill);
    } catch (err) {
      // The disk refused too: keep them in memory rather than drop them.
      this.buffer.unshift(...spill);
      for (const b of spill) this.buffered += b.length;
      this.options.logger.error(
        { reason: err instanceof Error ? err.message : String(err) },
        "spend: cannot write the spool file; spend events stay in memory",
      );
    }
  }

  private pump(): void {
    if (this.sending !== undefined || this.retryTimer !== undefined || this.stopped) return;
    if (this.redis.status !== "ready") return;
    if (this.buffered === 0 && !this.spool.hasBatches) return;
    this.sending = this.send().finally(() => {
      this.sending = undefined;
      if (!this.stopped && this.retryTimer === undefined && this.buffered > 0) this.pump();
    });
  }

  private async send(): Promise<void> {
    try {
      const spooled = this.spool.take();
      if (spooled !== undefined) {
        for (let i = 0; i < spooled.length; i += PIPELINE_BATCHES) {
          await this.xadd(spooled.slice(i, i + PIPELINE_BATCHES));
        }
        this.spool.delivered();
        this.options.logger.info(
          { batches: spooled.length },
          "spend: spooled spend events delivered",
        );
      }
      while (this.buffer.length > 0) {
        const batches = this.buffer.slice(0, PIPELINE_BATCHES);
        await this.xadd(batches);
        this.buffer.splice(0, batches.length);
        for (const b of batches) this.buffered -= b.length;
      }
      this.failures = 0;
    } catch (err) {
      this.failures++;
      if (this.failures === 1) {
        this.options.logger.warn(
          { waiting: this.buffered, reason: err instanceof Error ? err.message : String(err) },
          "spend: cannot reach Redis; spend events wait on this node",
        );
      }
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        this.pump();
      }, RETRY_MS);
      this.retryTimer.unref();
    }
  }

  private async xadd(batches: readonly SpendEvent[][]): Promise<void> {
    const pipeline = this.redis.pipeline();
    for (const b of batches) pipeline.xadd(this.options.stream, "*", "b", JSON.stringify(b));
    const results = await pipeline.exec();
    for (const [err] of results ?? []) if (err) throw err;
  }
}
