import type { Bus } from "../../bus/bus.js";
import { type NodeHeartbeat, NodeHeartbeatSchema } from "../../schema/bus-messages.js";

/** A data-plane node as the control plane last heard of it. */
export interface NodeState extends NodeHeartbeat {
  /** Versions behind the control plane's latest snapshot. */
  lag: number;
}

/** Nodes silent for this long are forgotten. */
const FORGET_AFTER_MS = 60_000;

/** Collects data-plane heartbeats from the bus, for the GraphQL `nodes` query. */
export class NodeRegistry {
  private readonly nodes = new Map<string, NodeHeartbeat>();
  private unsubscribe: (() => Promise<void>) | undefined;

  constructor(
    private readonly bus: Bus,
    private readonly channel: string,
    private readonly latestVersion: () => number,
  ) {}

  async start(): Promise<void> {
    this.unsubscribe = await this.bus.subscribe(this.channel, (text: string) => {
      try {
        const beat = NodeHeartbeatSchema.safeParse(JSON.parse(text));
        if (beat.success) this.nodes.set(beat.data.nodeId, beat.data);
      } catch {
        // Not a heartbeat: ignore.
      }
    });
  }

  async stop(): Promise<void> {
    await this.unsubscribe?.().catch(() => undefined);
  }

  list(now = Date.now()): NodeState[] {
    const latest = this.latestVersion();
    const out: NodeState[] = [];
    for (const [id, beat] of this.nodes) {
      if (now - beat.at > FORGET_AFTER_MS) {
        this.nodes.delete(id);
        continue;
      }
      out.push({ ...beat, lag: Math.max(0, latest - beat.version) });
    }
    return out.sort((a, b) => a.nodeId.localeCompare(b.nodeId));
  }
}
