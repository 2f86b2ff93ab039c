import { type Logger, pino } from "pino";
import { type Bus, type BusHandler, type BusState, BusUnavailableError } from "./bus.js";

export interface InProcessBusOptions {
  /** Where a handler that throws is reported (default: JSON on stdout). */
  logger?: Logger;
}

/**
 * The bus of embedded mode: both planes in one process. Messages reach handlers on the next
 * microtask, in publish order, never inside `publish` itself (as over Redis, a publisher
 * never runs subscriber code on its own stack). Always "up".
 */
export class InProcessBus implements Bus {
  readonly state: BusState = "up";
  private readonly subscriptions = new Map<string, Set<Subscription>>();
  private started = false;
  private stopped = false;
  private readonly logger: Logger;

  constructor(options: InProcessBusOptions = {}) {
    this.logger = options.logger ?? pino({ base: { service: "switchyard", component: "bus" } });
  }

  async start(): Promise<void> {
    if (this.stopped) throw new BusUnavailableError("in-process bus: stopped; create a new one");
    this.started = true;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const subs of this.subscriptions.values()) {
      for (const sub of subs) sub.active = false;
    }
    this.subscriptions.clear();
  }

  async publish(channel: string, message: string): Promise<void> {
    if (!this.started || this.stopped) {
      throw new BusUnavailableError(
        `in-process bus: cannot publish to ${channel}: ${this.stopped ? "stopped" : "not started"}`,
      );
    }
    const subs = this.subscriptions.get(channel);
    if (subs === undefined || subs.size === 0) return;
    // Who hears a message is decided when it is published; one unsubscribed since is skipped.
    const recipients = [...subs];
    queueMicrotask(() => {
      for (const sub of recipients) {
        if (sub.active) this.deliver(channel, sub.handler, message);
      }
    });
  }

  async subscribe(channel: string, handler: BusHandler): Promise<() => Promise<void>> {
    if (this.stopped) {
      throw new BusUnavailableError(`in-process bus: cannot subscribe to ${channel}: stopped`);
    }
    const sub: Subscription = { handler, active: true };
    let subs = this.subscriptions.get(channel);
    if (subs === undefined) {
      subs = new Set();
      this.subscriptions.set(channel, subs);
    }
    subs.add(sub);
    return async () => {
      if (!sub.active) return;
      sub.active = false;
      const current = this.subscriptions.get(channel);
      current?.delete(sub);
      if (current?.size === 0) this.subscriptions.delete(channel);
    };
  }

  /** Never called: the in-process bus cannot lose a connection. */
  onStateChange(_listener: (state: BusState) => void): () => void {
    return () => {};
  }

  private deliver(channel: string, handler: BusHandler, message: string): void {
    try {
      handler(message);
    } catch (err) {
      // One failing handler must not keep the message from the others.
      this.logger.error({ err, channel }, "bus handler threw");
    }
  }
}

interface Subscription {
  readonly handler: BusHandler;
  active: boolean;
}
