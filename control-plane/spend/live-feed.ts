import { randomBytes } from "node:crypto";
import type { Bus } from "../../bus/bus.js";
import type { SpendIngest } from "./spend-ingest.js";
import type { RunningTotals, WriteResult } from "./spend-store.js";

/** One request's cost and the running totals right after it, for live subscribers. */
export interface SpendUpdate {
  requestId: string;
  keyId: string | null;
  userId: string | null;
  teamId: string | null;
  model: string;
  status: string;
  /** This request's cost (USD). */
  spend: number;
  /** Totals including this request (null: no such subject, or not tracked). */
  keyTotal: number | null;
  userTotal: number | null;
  teamTotal: number | null;
  /** Epoch ms the request ended (when its response was complete). */
  endTime: number;
}

type Listener = (update: SpendUpdate) => void;

/**
 * Each written request's cost and new running totals, in the order written, to GraphQL
 * subscribers. With several control planes each publishes what it wrote on the bus, so a
 * subscriber on any of them hears every request.
 */
export class SpendLiveFeed {
  private readonly listeners = new Set<Listener>();
  private readonly origin = randomBytes(6).toString("hex");
  private bus: { bus: Bus; channel: string } | undefined;
  private unsubscribeIngest: (() => void) | undefined;

  constructor(private readonly ingest: SpendIngest) {}

  start(): void {
    this.unsubscribeIngest = this.ingest.onIngested((result) => {
      const updates = updatesOf(result);
      this.emit(updates);
      if (this.bus !== undefined) {
        const { bus, channel } = this.bus;
        bus.publish(channel, JSON.stringify({ origin: this.origin, updates })).catch(() => {
          // Live updates are best effort; totals are in the database either way.
        });
      }
    });
  }

  /** Hears (and tells) the other control planes on `channel`. */
  async connect(bus: Bus, channel: string): Promise<void> {
    this.bus = { bus, channel };
    await bus.subscribe(channel, (message) => {
      try {
        const m = JSON.parse(message) as { origin: string; updates: SpendUpdate[] };
        if (m.origin !== this.origin) this.emit(m.updates);
      } catch {
        // Not ours to read.
      }
    });
  }

  stop(): void {
    this.unsubscribeIngest?.();
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(updates: readonly SpendUpdate[]): void {
    for (const u of updates) for (const l of this.listeners) l(u);
  }
}

/** Per-request running totals: walking back from the batch's final totals. */
export function updatesOf(result: WriteResult): SpendUpdate[] {
  const { inserted, totals } = result;
  const running: Record<keyof RunningTotals, Map<string, number>> = {
    keys: new Map(totals.keys),
    users: new Map(totals.users),
    teams: new Map(totals.teams),
    organizations: new Map(),
  };
  const updates = new Array<SpendUpdate>(inserted.length);
  for (let i = inserted.length - 1; i >= 0; i--) {
    const e = inserted[i]!;
    updates[i] = {
      requestId: e.request_id,
      keyId: e.key_id ?? null,
      userId: e.user ?? null,
      teamId: e.team_id ?? null,
      model: e.model_group || e.model,
      status: e.status,
      spend: e.spend,
      keyTotal: take(running.keys, e.key_id, e.spend),
      userTotal: take(running.users, e.user, e.spend),
      teamTotal: take(running.teams, e.team_id, e.spend),
      endTime: e.endTime,
    };
  }
  return updates;
}

/** The total after this event, and steps the running total back to before it. */
function take(map: Map<string, number>, id: string | undefined, spend: number): number | null {
  if (id === undefined) return null;
  const total = map.get(id);
  if (total === undefined) return null;
  map.set(id, total - spend);
  return total;
}
