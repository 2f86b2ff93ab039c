import type { Logger } from "pino";
import type { SpendEvent, SpendSink } from "../../schema/spend-event.js";
import type { SpendIngest } from "./spend-ingest.js";

export interface InProcessQueueOptions {
  /** Events written per transaction. */
  batchSize?: number;
  logger: Logger;
}

/**
 * Embedded mode's spend pipeline: the data plane hands batches to this queue in the same
 * process; it writes them in order and keeps a batch the database refused until it
 * succeeds (retried with backoff).
 */
export class InProcessSpendQueue implements SpendSink {
  private pending: SpendEvent[] = [];
  private running: Promise<void> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private failures = 0;
  private stopped = false;
  private readonly batchSize: number;

  constructor(
    private readonly ingest: SpendIngest,
    private readonly options: InProcessQueueOptions,
  ) {
    this.batchSize = options.batchSize ?? 1000;
  }

  get size(): number {
    return this.pending.length;
  }

  deliver(events: SpendEvent[]): void {
    for (const e of events) this.pending.push(e);
    this.pump();
  }

  /** Resolves when everything queued so far is written (or stop's wait ran out). */
  async drain(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.pending.length > 0 || this.running !== undefined) {
      if (Date.now() > deadline) return;
      if (this.running !== undefined) await this.running;
      else await new Promise((r) => setTimeout(r, 20));
    }
  }

  async stop(): Promise<void> {
    await this.drain();
    this.stopped = true;
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    if (this.pending.length > 0) {
      this.options.logger.error(
        { events: this.pending.length },
        "spend: database unreachable at shutdown; these spend events are not recorded",
      );
    }
  }

  private pump(): void {
    if (this.running !== undefined || this.retryTimer !== undefined || this.stopped) return;
    this.running = this.run().finally(() => {
      this.running = undefined;
    });
  }

  private async run(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending.slice(0, this.batchSize);
      try {
        await this.ingest.ingest(batch);
        this.pending.splice(0, batch.length);
        this.failures = 0;
      } catch (err) {
        this.failures++;
        if (this.failures === 1 || this.failures % 50 === 0) {
          this.options.logger.warn(
            {
              events: this.pending.length,
              reason: err instanceof Error ? err.message : String(err),
            },
            "spend: could not write spend events; retrying",
          );
        }
        const delay = Math.min(2_000, 25 * 2 ** Math.min(this.failures, 7));
        this.retryTimer = setTimeout(() => {
          this.retryTimer = undefined;
          this.pump();
        }, delay);
        this.retryTimer.unref();
        return;
      }
    }
  }
}
