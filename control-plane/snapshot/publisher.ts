import type { Logger } from "pino";
import type { Bus } from "../../bus/bus.js";
import type { SnapshotDelta, SnapshotMessage } from "../../schema/bus-messages.js";
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

  stop(): void {
    clearInterval(this.timer);
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
