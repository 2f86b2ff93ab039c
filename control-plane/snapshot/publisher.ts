import type { Logger } from "pino";
import type { Bus } from "../../bus/bus.js";
import {
  type SnapshotDelta,
  type SnapshotMessage,
  SnapshotMessageSchema,
} from "../../schema/bus-messages.js";
import type { Snapshot } from "../../schema/snapshot.js";
import { diffSnapshots } from "./diff-snapshots.js";

/**
 * Publishes each new snapshot to the nodes as a delta from the one before, and the latest
 * version every second (so a node that missed a delta notices even when nothing else
 * changes). A failed publish never fails the change: the database has it, and nodes
 * catch up through the version beat and a full fetch.
 */
export class SnapshotPublisher {
  private previous: Snapshot | undefined;
  private timer: NodeJS.Timeout | undefined;
  private failing = false;
  private unsubscribe: (() => Promise<void>) | undefined;

  constructor(
    private readonly bus: Bus,
    private readonly channel: string,
    private readonly logger: Logger,
    private readonly versionEveryMs = 1_000,
  ) {}

  get version(): number {
    return this.previous?.version ?? 0;
  }

  start(): void {
    this.timer = setInterval(() => {
      if (this.previous === undefined) return;
      void this.send({
        type: "version",
        version: this.previous.version,
        builtAt: this.previous.builtAt,
      });
    }, this.versionEveryMs);
    this.timer.unref();
  }

  /**
   * Hands every snapshot message on the channel to `handler` (other control planes'
   * deltas and version beats; ours come back too, and are recognised by their version).
   */
  async listen(handler: (message: SnapshotMessage) => void): Promise<void> {
    this.unsubscribe = await this.bus.subscribe(this.channel, (text) => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        return;
      }
      const message = SnapshotMessageSchema.safeParse(parsed);
      if (message.success) handler(message.data);
    });
  }

  /** Takes `snapshot` as the base of the next delta and beat, without publishing it. */
  adopt(snapshot: Snapshot): void {
    this.previous = snapshot;
  }

  stop(): void {
    clearInterval(this.timer);
    void this.unsubscribe?.().catch(() => undefined);
  }

  /** Publishes the change's delta (or, without one, the diff from the last snapshot). */
  async publish(snapshot: Snapshot, change: string, delta?: SnapshotDelta): Promise<void> {
    const previous = this.previous;
    this.previous = snapshot;
    if (previous === undefined) return;
    const message =
      delta !== undefined && delta.baseVersion === previous.version
        ? delta
        : diffSnapshots(previous, snapshot, change);
    await this.send({ type: "delta", delta: message });
  }

  private async send(message: SnapshotMessage): Promise<void> {
    try {
      await this.bus.publish(this.channel, JSON.stringify(message));
      if (this.failing) this.logger.info("publishing snapshot changes again");
      this.failing = false;
    } catch (err) {
      if (!this.failing) {
        this.logger.warn(
          { err: err instanceof Error ? err.message : String(err) },
          "cannot publish snapshot changes; nodes will catch up when the bus is back",
        );
      }
      this.failing = true;
    }
  }
}
