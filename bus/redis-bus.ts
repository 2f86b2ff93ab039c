import { Redis, type RedisOptions } from "ioredis";
// Not in ioredis's index; the version is pinned exactly (see ClosedAwareConnector).
import { StandaloneConnector } from "ioredis/built/connectors/index.js";
import { type Logger, pino } from "pino";
import { type Bus, type BusHandler, type BusState, BusUnavailableError } from "./bus.js";

export interface RedisBusOptions {
  /** Put before every channel name on the wire, so that deployments (or test files) can share a Redis. */
  keyPrefix?: string;
  /** Connection problems (once per outage) and handlers that throw (default: JSON on stdout). */
  logger?: Logger;
  /** CLIENT SETNAME of the two connections: `<name>:pub` and `<name>:sub`. */
  connectionName?: string;
  /** How long `start()` waits for Redis before it gives up and closes the bus (ms). */
  startTimeoutMs?: number;
  /** A command (publish, ping) unanswered this long means a dead connection: it is dropped and re-made (ms). */
  commandTimeoutMs?: number;
  /** How often idle connections are pinged, so that a dead peer is noticed (ms; 0 = never). */
  pingIntervalMs?: number;
  /** Reconnect backoff: the first retry after `minMs`, doubling up to `maxMs`, forever. */
  reconnect?: { minMs?: number; maxMs?: number };
}

const DEFAULTS = {
  connectionName: "switchyard-bus",
  startTimeoutMs: 10_000,
  commandTimeoutMs: 2_000,
  pingIntervalMs: 5_000,
  reconnectMinMs: 50,
  reconnectMaxMs: 2_000,
};

const CONNECT_TIMEOUT_MS = 5_000;
/** Bound on waiting for Redis to close a connection after QUIT, in stop(). */
const CLOSE_TIMEOUT_MS = 1_000;

/**
 * The bus of distributed mode: Redis pub/sub through ioredis, over two connections (one
 * publishes, one subscribes). Reconnects forever with capped backoff; the bus is "up" when
 * both connections are ready and every channel is subscribed again, "down" otherwise.
 * Publishing while down fails at once (no offline queue: the control plane must not hang on
 * a dead Redis); subscriptions are kept here and made again on every reconnect.
 */
export class RedisBus implements Bus {
  private readonly publisher: Redis;
  private readonly subscriber: Redis;
  private readonly logger: Logger;
  private readonly prefix: string;
  private readonly target: string;
  private readonly startTimeoutMs: number;
  private readonly pingIntervalMs: number;

  /** Channel on the wire → its subscriptions; the source of truth for re-subscribing. */
  private readonly channels = new Map<string, Set<Subscription>>();
  private readonly listeners = new Set<(state: BusState) => void>();
  /** Commands awaiting a reply, per connection: failed when it closes (ioredis would leave them pending). */
  private readonly inFlight = new Map<Redis, Set<(err: Error) => void>>();
  /** Channels whose SUBSCRIBE is on its way, so a second subscriber waits for it too. */
  private readonly subscribing = new Map<string, Promise<void>>();
  private currentState: BusState = "down";
  private publisherReady = false;
  /** The subscriber connection is ready and has every channel subscribed again. */
  private subscriberReady = false;
  /** Bumped on every subscriber ready/close, so a late re-subscribe reply is recognised as stale. */
  private subscriberEpoch = 0;
  private outage: { since: number; logged: boolean } | undefined;
  /** The last connection error seen while up: the reason given when the bus goes down. */
  private lastError: string | undefined;
  private started = false;
  private stopping: Promise<void> | undefined;
  private startWaiter: { resolve: () => void; reject: (err: Error) => void } | undefined;
  private startTimer: NodeJS.Timeout | undefined;
  private pingTimer: NodeJS.Timeout | undefined;

  constructor(url: string, options: RedisBusOptions = {}) {
    this.logger = options.logger ?? pino({ base: { service: "switchyard", component: "bus" } });
    this.prefix = options.keyPrefix ?? "";
    this.target = maskRedisUrl(url);
    this.startTimeoutMs = options.startTimeoutMs ?? DEFAULTS.startTimeoutMs;
    this.pingIntervalMs = options.pingIntervalMs ?? DEFAULTS.pingIntervalMs;
    const name = options.connectionName ?? DEFAULTS.connectionName;
    const minMs = options.reconnect?.minMs ?? DEFAULTS.reconnectMinMs;
    const maxMs = options.reconnect?.maxMs ?? DEFAULTS.reconnectMaxMs;
    const common: RedisOptions = {
      lazyConnect: true,
      // Nothing waits for a connection: commands while disconnected fail at once.
      enableOfflineQueue: false,
      // A command in flight when the connection drops is failed, never sent again later (a
      // publish the caller was told had failed must not arrive after all).
      autoResendUnfulfilledCommands: false,
      // Re-subscribing is ours (see onSubscriberReady): ioredis's own would not tell us when
      // it is done, nor know of channels (un)subscribed while down.
      autoResubscribe: false,
      maxRetriesPerRequest: null,
      retryStrategy: (attempt) => backoff(attempt, minMs, maxMs),
      connectTimeout: CONNECT_TIMEOUT_MS,
      socketTimeout: options.commandTimeoutMs ?? DEFAULTS.commandTimeoutMs,
      disconnectTimeout: CLOSE_TIMEOUT_MS,
      Connector: ClosedAwareConnector,
    };
    this.publisher = new Redis(url, { ...common, connectionName: `${name}:pub` });
    this.subscriber = new Redis(url, { ...common, connectionName: `${name}:sub` });
    this.listen();
  }

  get state(): BusState {
    return this.currentState;
  }

  async start(): Promise<void> {
    if (this.stopping !== undefined)
      throw new BusUnavailableError(`Redis bus (${this.target}): stopped`);
    if (this.started) throw new Error("Redis bus: start() called twice");
    this.started = true;
    this.outage = { since: Date.now(), logged: false };
    const ready = new Promise<void>((resolve, reject) => {
      this.startWaiter = { resolve, reject };
    });
    this.startTimer = setTimeout(() => {
      this.startTimer = undefined;
      this.startWaiter?.reject(
        new BusUnavailableError(
          `Redis bus: cannot reach ${this.target} within ${this.startTimeoutMs} ms; giving up`,
        ),
      );
      this.startWaiter = undefined;
      void this.stop();
    }, this.startTimeoutMs);
    // Failures are retried by ioredis and reported through the "error" events.
    this.publisher.connect().catch(() => {});
    this.subscriber.connect().catch(() => {});
    if (this.pingIntervalMs > 0) {
      this.pingTimer = setInterval(() => this.ping(), this.pingIntervalMs);
      this.pingTimer.unref();
    }
    await ready;
  }

  stop(): Promise<void> {
    this.stopping ??= this.close();
    return this.stopping;
  }

  publish(channel: string, message: string): Promise<void> {
    if (this.stopping !== undefined || !this.started || this.publisher.status !== "ready") {
      const why = this.stopping ? "stopped" : this.started ? "Redis is unreachable" : "not started";
      return Promise.reject(
        new BusUnavailableError(`Redis bus (${this.target}): cannot publish to ${channel}: ${why}`),
      );
    }
    return this.track(this.publisher, this.publisher.publish(this.prefix + channel, message)).then(
      () => {},
      (err: unknown) => {
        throw new BusUnavailableError(
          `Redis bus (${this.target}): publish to ${channel} failed: ${errorMessage(err)}`,
        );
      },
    );
  }

  async subscribe(channel: string, handler: BusHandler): Promise<() => Promise<void>> {
    if (this.stopping !== undefined) {
      throw new BusUnavailableError(
        `Redis bus (${this.target}): cannot subscribe to ${channel}: stopped`,
      );
    }
    const wire = this.prefix + channel;
    const sub: Subscription = { handler };
    let subs = this.channels.get(wire);
    if (subs === undefined) {
      subs = new Set();
      this.channels.set(wire, subs);
    }
    subs.add(sub);
    // A channel new to the connection is subscribed now; while down it is left to the
    // re-subscribe on reconnect. Subscribing twice to a channel is harmless in Redis.
    if (subs.size === 1 && this.subscriber.status === "ready") {
      const subscribing = this.track(this.subscriber, this.subscriber.subscribe(wire)).then(
        () => {},
      );
      this.subscribing.set(wire, subscribing);
      try {
        await subscribing;
      } catch (err) {
        if (this.subscriber.status === "ready") {
          // Refused by Redis itself (e.g. an ACL), not a lost connection: give up on it.
          this.remove(wire, sub);
          throw new Error(`Redis bus: cannot subscribe to ${channel}: ${errorMessage(err)}`);
        }
      } finally {
        if (this.subscribing.get(wire) === subscribing) this.subscribing.delete(wire);
      }
    } else {
      await this.subscribing.get(wire)?.catch(() => {});
    }
    let subscribed = true;
    return async () => {
      if (!subscribed) return;
      subscribed = false;
      if (!this.remove(wire, sub) || this.subscriber.status !== "ready") return;
      try {
        await this.track(this.subscriber, this.subscriber.unsubscribe(wire));
      } catch (err) {
        // A lost connection unsubscribes by itself, and the channel is no longer re-made.
        if (this.subscriber.status === "ready") throw err;
      }
    };
  }

  onStateChange(listener: (state: BusState) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  private listen(): void {
    const { publisher, subscriber } = this;
    publisher.on("ready", () => {
      this.publisherReady = true;
      this.update();
    });
    publisher.on("close", () => {
      this.publisherReady = false;
      this.failInFlight(publisher);
      this.update();
    });
    publisher.on("error", (err: Error) => this.onError("publisher", err));

    subscriber.on("ready", () => this.onSubscriberReady());
    subscriber.on("close", () => {
      this.subscriberEpoch++;
      this.subscriberReady = false;
      this.failInFlight(subscriber);
      this.update();
    });
    subscriber.on("error", (err: Error) => this.onError("subscriber", err));
    subscriber.on("message", (wire: string, message: string) => this.dispatch(wire, message));
  }

  private onSubscriberReady(): void {
    const epoch = ++this.subscriberEpoch;
    const done = () => {
      if (epoch !== this.subscriberEpoch || this.stopping !== undefined) return;
      this.subscriberReady = true;
      this.update();
    };
    const wires = [...this.channels.keys()];
    if (wires.length === 0) {
      done();
      return;
    }
    this.track(this.subscriber, this.subscriber.subscribe(...wires)).then(done, (err: unknown) => {
      if (epoch !== this.subscriberEpoch || this.subscriber.status !== "ready") return;
      // Connected but refused: reconnect (with backoff) rather than claim to be up.
      this.reportOutage("subscriber", errorMessage(err));
      this.subscriber.disconnect(true);
    });
  }

  private update(): void {
    if (this.stopping !== undefined) return;
    const next: BusState = this.publisherReady && this.subscriberReady ? "up" : "down";
    if (next === this.currentState) return;
    this.currentState = next;
    if (next === "up") {
      if (this.outage?.logged) {
        const ms = Date.now() - this.outage.since;
        this.logger.info({ redis: this.target }, `Redis bus: connected again after ${ms} ms`);
      }
      this.outage = this.lastError = undefined;
      if (this.startTimer !== undefined) clearTimeout(this.startTimer);
      this.startTimer = undefined;
      this.startWaiter?.resolve();
      this.startWaiter = undefined;
    } else {
      this.outage = { since: Date.now(), logged: false };
      this.reportOutage(
        this.publisherReady ? "subscriber" : "publisher",
        this.lastError ?? "connection lost",
      );
    }
    for (const listener of [...this.listeners]) {
      try {
        listener(next);
      } catch (err) {
        this.logger.error({ err }, "Redis bus: a state listener threw");
      }
    }
  }

  private onError(connection: "publisher" | "subscriber", err: Error): void {
    if (this.stopping !== undefined) return;
    // While up, an error is the cause of the close that follows: reported with it.
    if (this.currentState === "up") this.lastError = err.message;
    else this.reportOutage(connection, err.message);
  }

  /** Once per outage, so that a Redis that stays away does not flood the log. */
  private reportOutage(connection: "publisher" | "subscriber", reason: string): void {
    if (this.stopping !== undefined) return;
    this.outage ??= { since: Date.now(), logged: false };
    if (this.outage.logged) return;
    this.outage.logged = true;
    this.logger.warn(
      { redis: this.target, connection, reason },
      "Redis bus: connection problem; reconnecting (logged once until connected again)",
    );
  }

  /** The command's promise, failed early if the connection closes before the reply. */
  private track<T>(connection: Redis, command: Promise<T>): Promise<T> {
    let waiting = this.inFlight.get(connection);
    if (waiting === undefined) {
      waiting = new Set();
      this.inFlight.set(connection, waiting);
    }
    const set = waiting;
    return new Promise<T>((resolve, reject) => {
      const fail = (err: Error) => {
        set.delete(fail);
        reject(err);
      };
      set.add(fail);
      command.then(
        (value) => {
          set.delete(fail);
          resolve(value);
        },
        (err: unknown) => fail(err instanceof Error ? err : new Error(String(err))),
      );
    });
  }

  private failInFlight(connection: Redis): void {
    const waiting = this.inFlight.get(connection);
    if (waiting === undefined || waiting.size === 0) return;
    const lost = new Error("connection lost before Redis replied");
    for (const fail of [...waiting]) fail(lost);
  }

  private dispatch(wire: string, message: string): void {
    const subs = this.channels.get(wire);
    if (subs === undefined) return;
    // Those subscribed when the message came, less any a handler unsubscribed meanwhile.
    for (const sub of [...subs]) {
      if (!subs.has(sub)) continue;
      try {
        sub.handler(message);
      } catch (err) {
        // Thrown into ioredis, it would surface as an uncaught exception.
        this.logger.error({ err, channel: wire }, "Redis bus: a handler threw");
      }
    }
  }

  /** @returns whether that was the channel's last subscription. */
  private remove(wire: string, sub: Subscription): boolean {
    const subs = this.channels.get(wire);
    if (subs === undefined || !subs.delete(sub) || subs.size > 0) return false;
    this.channels.delete(wire);
    return true;
  }

  /** An unanswered ping trips the socket timeout, which drops and re-makes the connection. */
  private ping(): void {
    for (const connection of [this.publisher, this.subscriber]) {
      if (connection.status === "ready") connection.ping().catch(() => {});
    }
  }

  private async close(): Promise<void> {
    if (this.startTimer !== undefined) clearTimeout(this.startTimer);
    if (this.pingTimer !== undefined) clearInterval(this.pingTimer);
    this.startTimer = this.pingTimer = undefined;
    this.startWaiter?.reject(
      new BusUnavailableError(`Redis bus (${this.target}): stopped before connecting`),
    );
    this.startWaiter = undefined;
    this.listeners.clear();
    this.channels.clear();
    this.currentState = "down";
    // Publishes already sent are answered before QUIT is.
    await Promise.all([closeConnection(this.publisher), closeConnection(this.subscriber)]);
  }
}

interface Subscription {
  readonly handler: BusHandler;
}

/**
 * ioredis's own connector, except that disconnecting while between connections (the socket
 * already closed, a reconnect scheduled) arms no timer: stock, it would wait for a "close"
 * that has already happened, and stop() during an outage would leave that timer behind.
 */
class ClosedAwareConnector extends StandaloneConnector {
  // ioredis hands a connector the whole of its (parsed) options.
  constructor(options: unknown) {
    super(options as ConstructorParameters<typeof StandaloneConnector>[0]);
  }

  override disconnect(): void {
    if (this.stream?.destroyed) {
      this.connecting = false;
      return;
    }
    super.disconnect();
  }
}

/** QUIT when connected (Redis drops the subscriptions with it), else stop reconnecting. */
async function closeConnection(connection: Redis): Promise<void> {
  switch (connection.status) {
    case "end":
      return;
    case "wait":
    case "reconnecting":
    case "close":
      // No socket: disconnect() only cancels the reconnect timer.
      connection.disconnect();
      return;
  }
  const ended = new Promise<void>((resolve) => {
    // A Redis that does not answer QUIT in time has its socket cut; "end" follows at once.
    const timer = setTimeout(() => connection.stream?.destroy(), CLOSE_TIMEOUT_MS);
    connection.once("end", () => {
      clearTimeout(timer);
      resolve();
    });
  });
  if (connection.status === "ready") connection.quit().catch(() => connection.disconnect());
  else connection.disconnect();
  await ended;
}

function backoff(attempt: number, minMs: number, maxMs: number): number {
  const delay = Math.min(minMs * 2 ** Math.min(attempt - 1, 30), maxMs);
  // Jitter, so that many nodes do not all reconnect in the same instant.
  return Math.round(delay * (0.8 + Math.random() * 0.2));
}

/** The URL for logs and errors: the password replaced by `***`. */
function maskRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== "") parsed.password = "***";
    return parsed.toString();
  } catch {
    return url.replace(/\/\/[^@/]*@/, "//***@");
  }
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
