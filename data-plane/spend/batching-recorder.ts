import type { SpendSink } from "../../schema/spend-event.js";
import type { FinishedCall, SpendRecorder } from "./finished-call.js";
import { buildSpendEvent, type SpendEventOptions } from "./spend-event.js";

export interface BatchingRecorderOptions {
  sink: SpendSink;
  /** Read at each flush (the snapshot's master key hash and store-prompts setting). */
  eventOptions(): SpendEventOptions;
  /** A batch goes out when it has this many calls... */
  batchSize?: number;
  /** ...or this long after its first call (ms). */
  flushMs?: number;
}

/**
 * The node's spend recorder: `record` only queues the finished call; spend events are
 * built in the flush, off the request, and handed to the sink in batches.
 */
export class BatchingSpendRecorder implements SpendRecorder {
  private queue: FinishedCall[] = [];
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private readonly batchSize: number;
  private readonly flushMs: number;

  constructor(private readonly options: BatchingRecorderOptions) {
    this.batchSize = options.batchSize ?? 500;
    this.flushMs = options.flushMs ?? 25;
  }

  record(call: FinishedCall): void {
    this.queue.push(call);
    if (this.queue.length >= this.batchSize) {
      this.immediate ??= setImmediate(() => this.flush());
    } else {
      this.timer ??= setTimeout(() => this.flush(), this.flushMs);
    }
  }

  /** Builds and hands on every queued call. */
  flush(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (this.immediate !== undefined) clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
    const calls = this.queue;
    if (calls.length === 0) return;
    this.queue = [];
    const options = this.options.eventOptions();
    for (let i = 0; i < calls.length; i += this.batchSize) {
      const events = calls
        .slice(i, i + this.batchSize)
        .map((call) => buildSpendEvent(call, options));
      this.options.sink.deliver(events);
    }
  }

  /** Flushes what is queued and stops the sink (which delivers what it holds). */
  async stop(): Promise<void> {
    this.flush();
    await this.options.sink.stop();
  }
}
