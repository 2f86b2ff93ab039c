/**
 * How the control plane pushes snapshot deltas (and nodes their heartbeats) to everyone:
 * fire-and-forget pub/sub. A message published while a subscriber is disconnected is lost
 * for it; that is what the "up" state change is for (refetch the whole snapshot after a gap).
 */

export type BusHandler = (message: string) => void;

export type BusState = "up" | "down";

export interface Bus {
  /**
   * Connect; resolves when ready to publish and subscribe. (Redis: rejects, and stops the bus,
   * when Redis stays unreachable for `startTimeoutMs`.)
   */
  start(): Promise<void>;
  /** Unsubscribes, closes connections, no timers left. */
  stop(): Promise<void>;
  /**
   * Resolves once the message is on its way (in-process: queued for delivery; Redis: accepted
   * by Redis). Rejects with BusUnavailableError at once when it cannot be sent (Redis unreachable,
   * not started, stopped): it never waits for a reconnect.
   */
  publish(channel: string, message: string): Promise<void>;
  /**
   * Resolves once messages on `channel` reach `handler`; returns the unsubscribe. While the
   * bus is down the subscription is recorded and made on the next reconnect.
   */
  subscribe(channel: string, handler: BusHandler): Promise<() => Promise<void>>;
  /**
   * Connection state changes: "up" after (re)connecting and re-subscribing, "down" when the
   * connection is lost. Lets a data-plane node refetch the full snapshot after a gap.
   * Returns a function that removes the listener.
   */
  onStateChange(listener: (state: BusState) => void): () => void;
  readonly state: BusState;
}

/**
 * The bus could not do it: Redis unreachable (or lost before it replied: such a message may
 * still have been delivered), not started, or stopped.
 */
export class BusUnavailableError extends Error {
  override readonly name = "BusUnavailableError";
}
