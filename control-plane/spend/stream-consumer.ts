import type { Redis } from "ioredis";
import { failFastRedis } from "../../bus/fail-fast-redis.js";
import type { Logger } from "pino";
import type { SpendEvent } from "../../schema/spend-event.js";
import type { SpendIngest } from "./spend-ingest.js";

export interface StreamConsumerOptions {
  redisUrl: string;
  /** The stream nodes write to (`spendStreamKey` in data-plane/spend). */
  stream: string;
  /** This control plane's name in the consumer group (stable across its restarts). */
  consumer: string;
  group?: string;
  ingest: SpendIngest;
  logger: Logger;
  /** Entries another consumer has held unacknowledged this long are taken over (ms). */
  claimIdleMs?: number;
  /** Stream entries (node batches) read per transaction. */
  count?: number;
}

type Entry = [id: string, fields: string[]];

const BLOCK_MS = 1_000;
/** At stop, how long a write in progress may take to finish (its entries stay pending otherwise). */
const STOP_WAIT_MS = 5_000;

/**
 * Distributed mode: reads the spend stream as one consumer of a group that every control
 * plane joins, writes each read in one transaction (ingest), and acknowledges (and deletes)
 * the entries only after the commit. While the database refuses, the same entries are
 * retried; entries left pending by a control plane that died are claimed (XAUTOCLAIM) once
 * idle long enough, and a restarted one rereads its own pending entries first.
 */
export class SpendStreamConsumer {
  private readonly redis: Redis;
  private readonly group: string;
  private readonly claimIdleMs: number;
  private readonly count: number;
  private stopped = false;
  private loop: Promise<void> | undefined;
  private lastClaim = 0;
  private failures = 0;

  constructor(private readonly options: StreamConsumerOptions) {
    this.group = options.group ?? "switchyard-spend";
    this.claimIdleMs = options.claimIdleMs ?? 30_000;
    this.count = options.count ?? 4;
    // A command cut by a lost connection fails (the loop retries it); none waits longer
    // than a blocking read plus margin.
    this.redis = failFastRedis(options.redisUrl, "switchyard-spend-consumer", BLOCK_MS + 4_000);
  }

  async start(): Promise<void> {
    await this.redis.connect().catch(() => undefined);
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    // Ends a blocking read at once; entries read and not yet acknowledged stay pending.
    this.redis.disconnect();
    await Promise.race([this.loop, sleep(STOP_WAIT_MS)]);
  }

  private async run(): Promise<void> {
    let ownPendingRead = false;
    while (!this.stopped) {
      try {
        if (this.redis.status !== "ready") {
          await sleep(100);
          continue;
        }
        await this.ensureGroup();
        if (!ownPendingRead) {
          // After a restart: what this consumer read and did not acknowledge, first.
          for (;;) {
            const mine = await this.read("0", false);
            if (mine.length === 0) break;
            await this.process(mine);
          }
          ownPendingRead = true;
        }
        if (Date.now() - this.lastClaim > this.claimIdleMs / 2) {
          this.lastClaim = Date.now();
          await this.claimIdle();
        }
        const entries = await this.read(">", true);
        if (entries.length > 0) await this.process(entries);
        this.failures = 0;
      } catch (err) {
        if (this.stopped) return;
        this.failures++;
        if (isNoGroup(err)) this.groupReady = false;
        if (this.failures === 1 || this.failures % 100 === 0) {
          this.options.logger.warn(
            { reason: err instanceof Error ? err.message : String(err) },
            "spend: cannot read the spend stream; retrying",
          );
        }
        await sleep(Math.min(2_000, 50 * 2 ** Math.min(this.failures, 6)));
      }
    }
  }

  private groupReady = false;

  private async ensureGroup(): Promise<void> {
    if (this.groupReady) return;
    try {
      await this.redis.xgroup("CREATE", this.options.stream, this.group, "0", "MKSTREAM");
    } catch (err) {
      if (!(err instanceof Error && err.message.includes("BUSYGROUP"))) throw err;
    }
    this.groupReady = true;
  }

  private async read(from: string, block: boolean): Promise<Entry[]> {
    const args: (string | number)[] = [
      "GROUP",
      this.group,
      this.options.consumer,
      "COUNT",
      this.count,
    ];
    if (block) args.push("BLOCK", BLOCK_MS);
    args.push("STREAMS", this.options.stream, from);
    const reply = (await this.redis.call("XREADGROUP", ...args)) as unknown[] | null;
    // Pending entries since deleted come back with no fields: only acknowledged.
    return entriesOf(reply);
  }

  /** Takes over entries another consumer left pending for claimIdleMs, and writes them. */
  private async claimIdle(): Promise<void> {
    let cursor = "0-0";
    for (;;) {
      const reply = (await this.redis.call(
        "XAUTOCLAIM",
        this.options.stream,
        this.group,
        this.options.consumer,
        this.claimIdleMs,
        cursor,
        "COUNT",
        this.count,
      )) as [string, Entry[], ...unknown[]];
      const [next, entries] = reply;
      if (entries.length > 0) {
        this.options.logger.info(
          { entries: entries.length },
          "spend: took over spend entries another control plane left unacknowledged",
        );
        await this.process(entries);
      }
      if (next === "0-0" || this.stopped) return;
      cursor = next;
    }
  }

  /** Writes the entries' events (retrying while the database refuses), then acks them. */
  private async process(entries: Entry[]): Promise<void> {
    const events: SpendEvent[] = [];
    for (const [id, fields] of entries) {
      const json = fieldOf(fields, "b");
      if (json === undefined) continue;
      try {
        for (const e of JSON.parse(json) as SpendEvent[]) events.push(e);
      } catch {
        this.options.logger.error({ entry: id }, "spend: unreadable spend entry skipped");
      }
    }
    for (let attempt = 1; events.length > 0; attempt++) {
      try {
        await this.options.ingest.ingest(events);
        break;
      } catch (err) {
        // Stopping: the entries stay pending, for this consumer's restart or another's claim.
        if (this.stopped) throw err;
        if (attempt === 1 || attempt % 50 === 0) {
          this.options.logger.warn(
            { events: events.length, reason: err instanceof Error ? err.message : String(err) },
            "spend: could not write spend events; they wait in the stream",
          );
        }
        await sleep(Math.min(2_000, 50 * 2 ** Math.min(attempt, 6)));
      }
    }
    const ids = entries.map(([id]) => id);
    await this.redis.xack(this.options.stream, this.group, ...ids);
    await this.redis.xdel(this.options.stream, ...ids);
  }
}

/** RESP2 answers `[[stream, entries]]`, RESP3 a map (`[stream, entries]` here); null: none. */
function entriesOf(reply: unknown[] | null): Entry[] {
  if (reply === null || reply.length === 0) return [];
  const first = reply[0];
  const entries = typeof first === "string" ? reply[1] : (first as unknown[])[1];
  return Array.isArray(entries) ? (entries as Entry[]) : [];
}

function fieldOf(fields: string[] | null, name: string): string | undefined {
  if (fields === null) return undefined;
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
  return undefined;
}

function isNoGroup(err: unknown): boolean {
  return err instanceof Error && err.message.includes("NOGROUP");
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
