import type { Logger } from "pino";
import { addDuration } from "../../schema/durations.js";
import type { SpendStore } from "./spend-store.js";

export interface RetentionOptions {
  /** `general_settings.spend_logs_retention`, e.g. `90d`. */
  retention: string;
  store: SpendStore;
  logger: Logger;
  /** How often old rows are looked for (ms). */
  intervalMs?: number;
  /** Rows deleted per statement, so no delete holds locks for long. */
  batchSize?: number;
}

/**
 * Deletes spend log rows older than the retention, in bounded batches, at start and then
 * periodically. Totals and daily aggregates are separate rows and stay.
 */
export class SpendRetention {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;
  private stopped = false;

  constructor(private readonly options: RetentionOptions) {}

  start(): void {
    this.schedule(1_000);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
  }

  /** Deletes every row past the retention now; returns how many. */
  async runOnce(now = new Date()): Promise<number> {
    const span = addDuration(new Date(0), this.options.retention).getTime();
    const cutoff = new Date(now.getTime() - span);
    const batch = this.options.batchSize ?? 5_000;
    let total = 0;
    for (;;) {
      const deleted = await this.options.store.deleteOlderThan(cutoff, batch);
      total += deleted;
      if (deleted < batch || this.stopped) break;
      // Let requests and ingest batches in between deletes.
      await new Promise((r) => setImmediate(r));
    }
    if (total > 0) {
      this.options.logger.info(
        { deleted: total, before: cutoff.toISOString() },
        "spend: old spend logs deleted (spend_logs_retention)",
      );
    }
    return total;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.runOnce();
      this.running
        .catch((err: unknown) =>
          this.options.logger.warn(
            { reason: err instanceof Error ? err.message : String(err) },
            "spend: could not delete old spend logs; will retry",
          ),
        )
        .finally(() => this.schedule(this.options.intervalMs ?? 3_600_000));
    }, delayMs);
    this.timer.unref();
  }
}
