import type { ChangeRefs } from "../services/context.js";
import type { SpendIngest } from "./spend-ingest.js";

/**
 * Brings new spend totals to the snapshot (and so to every node), at most once per
 * interval for all that was ingested meanwhile. Nodes seed a budget window from these
 * totals only when the window starts (a new node, a reset), never mid-window, so what they
 * counted themselves is not counted twice.
 */
export class TotalsFeedback {
  private keys = new Set<string>();
  private users = new Set<string>();
  private teams = new Set<string>();
  private organizations = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  private publishing: Promise<void> = Promise.resolve();

  constructor(
    private readonly ingest: SpendIngest,
    private readonly publish: (refs: ChangeRefs) => Promise<void>,
    // Versions count up by one a change from the start time in seconds: stay well under one a second.
    private readonly intervalMs = 2_000,
  ) {}

  start(): void {
    this.unsubscribe = this.ingest.onIngested(({ totals }) => {
      for (const id of totals.keys.keys()) this.keys.add(id);
      for (const id of totals.users.keys()) this.users.add(id);
      for (const id of totals.teams.keys()) this.teams.add(id);
      for (const id of totals.organizations.keys()) this.organizations.add(id);
      this.timer ??= setTimeout(() => this.flush(), this.intervalMs);
    });
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    await this.publishing;
  }

  private flush(): void {
    this.timer = undefined;
    const refs: ChangeRefs = {
      keys: [...this.keys],
      users: [...this.users],
      teams: [...this.teams],
      organizations: [...this.organizations],
    };
    this.keys = new Set();
    this.users = new Set();
    this.teams = new Set();
    this.organizations = new Set();
    this.publishing = this.publishing.then(() => this.publish(refs)).catch(() => undefined);
  }
}
