import { randomBytes } from "node:crypto";
import { createConnection, createServer, type Socket } from "node:net";
import { Redis } from "ioredis";
import { type Logger, pino } from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type BusState, BusUnavailableError } from "../../bus/bus.js";
import { busChannels } from "../../bus/channels.js";
import { RedisBus, type RedisBusOptions } from "../../bus/redis-bus.js";
import { redisUnavailable } from "../helpers/redis.js";

const REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
/** Nothing listens there: a Redis that is down. */
const DEAD_URL = "redis://bus-user:s3cret@127.0.0.1:1";

const unavailable = await redisUnavailable(REDIS_URL);

if (unavailable === undefined) {
  describe("RedisBus", redisBusSuite);
} else if (process.env.CI === "true") {
  it("reaches Redis (required in CI)", () => {
    expect.fail(unavailable);
  });
} else {
  console.warn(`skipping the RedisBus tests: ${unavailable}`);
  describe.skip(`RedisBus (skipped: ${unavailable})`, () => {
    it("runs the suite", () => {});
  });
}

function redisBusSuite(): void {
  // Test files share the Redis and run in parallel: every channel and connection name of
  // this file carries its own random prefix.
  const run = randomBytes(4).toString("hex");
  const prefix = `test:${run}:`;
  let admin: Redis;
  let buses: RedisBus[] = [];
  let counter = 0;

  beforeAll(() => {
    admin = new Redis(REDIS_URL);
  });

  afterAll(async () => {
    await admin.quit();
  });

  afterEach(async () => {
    await Promise.all(buses.map((b) => b.stop()));
    buses = [];
  });

  function newBus({ url = REDIS_URL, ...options }: RedisBusOptions & { url?: string } = {}) {
    const connectionName = `switchyard-bus-test-${run}-${++counter}`;
    const { logger, lines } = captureLogger();
    const bus = new RedisBus(url, {
      keyPrefix: prefix,
      logger,
      connectionName,
      ...options,
    });
    buses.push(bus);
    const states: BusState[] = [];
    bus.onStateChange((s) => states.push(s));
    return { bus, connectionName, states, lines };
  }

  it("delivers 1000 messages to another node's subscriber in publish order", async () => {
    const controlPlane = newBus().bus;
    const node = newBus().bus;
    await Promise.all([controlPlane.start(), node.start()]);
    const { snapshot } = busChannels();
    const got: string[] = [];
    let allArrived: () => void = () => {};
    const all = new Promise<void>((resolve) => {
      allArrived = resolve;
    });
    await node.subscribe(snapshot, (m) => {
      got.push(m);
      if (got.length === 1000) allArrived();
    });
    const expected = Array.from({ length: 1000 }, (_, i) => JSON.stringify({ version: i + 1 }));
    await Promise.all(expected.map((m) => controlPlane.publish(snapshot, m)));
    await all;
    expect(got).toEqual(expected);
  });

  it("resolves subscribe only once Redis has the subscription", async () => {
    const { bus } = newBus();
    await bus.start();
    await bus.subscribe("c", () => {});
    expect(await numsub(`${prefix}c`)).toBe(1);
  });

  it("stops delivering to a handler once its unsubscribe resolves", async () => {
    const { bus } = newBus();
    await bus.start();
    const got: string[] = [];
    const offFirst = await bus.subscribe("c", (m) => got.push(`first:${m}`));
    const offSecond = await bus.subscribe("c", (m) => got.push(`second:${m}`));
    const marker = markerChannel(bus);
    await bus.publish("c", "both");
    await marker.roundTrip();
    await offFirst();
    await bus.publish("c", "second only");
    await marker.roundTrip();
    expect(got).toEqual(["first:both", "second:both", "second:second only"]);

    await offSecond();
    await offSecond(); // a second call does nothing
    expect(await numsub(`${prefix}c`)).toBe(0);
    await bus.publish("c", "nobody");
    await marker.roundTrip();
    expect(got).toHaveLength(3);
  });

  it("keeps delivering to the other handlers when one throws, and logs it", async () => {
    const { bus, lines } = newBus();
    await bus.start();
    const got: string[] = [];
    await bus.subscribe("c", () => {
      throw new Error("handler bug");
    });
    await bus.subscribe("c", (m) => got.push(m));
    const marker = markerChannel(bus);
    await bus.publish("c", "x");
    await marker.roundTrip();
    expect(got).toEqual(["x"]);
    expect(lines.filter((l) => l.level === 50).map((l) => l.msg)).toEqual([
      "Redis bus: a handler threw",
    ]);
  });

  it("keeps channels apart by keyPrefix", async () => {
    const ours = newBus().bus;
    const theirs = newBus({ keyPrefix: `${prefix}other:` }).bus;
    await Promise.all([ours.start(), theirs.start()]);
    const got: string[] = [];
    await theirs.subscribe("c", (m) => got.push(m));
    const marker = markerChannel(theirs);
    await ours.publish("c", "not for them");
    await marker.roundTrip();
    expect(got).toEqual([]);
    expect(await numsub(`${prefix}other:c`)).toBe(1);
  });

  it("goes down when its subscriber connection is cut, and up again re-subscribed", async () => {
    const { bus: node, connectionName, states, lines } = newBus();
    const controlPlane = newBus().bus;
    await Promise.all([node.start(), controlPlane.start()]);
    expect(states).toEqual(["up"]);
    const got: string[] = [];
    await node.subscribe("snapshot", (m) => got.push(m));
    await controlPlane.publish("snapshot", "before");
    await waitUntil(() => got.length === 1);

    // While down, a node may subscribe to more: made on reconnect, before "up".
    const lateGot: string[] = [];
    node.onStateChange((s) => {
      if (s === "down") void node.subscribe("late", (m) => lateGot.push(m));
    });
    const upAgain = nextState(node, "up");
    expect(await killConnections(`${connectionName}:sub`)).toBe(1);
    await upAgain;
    expect(states).toEqual(["up", "down", "up"]);
    expect(node.state).toBe("up");
    expect(await numsub(`${prefix}snapshot`)).toBe(1);
    expect(await numsub(`${prefix}late`)).toBe(1);

    await controlPlane.publish("snapshot", "after");
    await controlPlane.publish("late", "late one");
    await waitUntil(() => got.length === 2 && lateGot.length === 1);
    expect(got).toEqual(["before", "after"]);
    expect(lateGot).toEqual(["late one"]);

    // One warning for the outage, one line when it is over: no flood.
    expect(lines.filter((l) => l.level === 40)).toHaveLength(1);
    expect(lines.filter((l) => l.level === 30).map((l) => l.msg)).toEqual([
      expect.stringMatching(/^Redis bus: connected again after \d+ ms$/),
    ]);
  });

  it("goes down and up again when both its connections are cut, then publishes again", async () => {
    const { bus, connectionName, states } = newBus();
    await bus.start();
    const got: string[] = [];
    await bus.subscribe("c", (m) => got.push(m));
    const upAgain = nextState(bus, "up");
    const killed =
      (await killConnections(`${connectionName}:pub`)) +
      (await killConnections(`${connectionName}:sub`));
    expect(killed).toBe(2);
    await upAgain;
    expect(states).toEqual(["up", "down", "up"]);
    await bus.publish("c", "after");
    await waitUntil(() => got.length === 1);
    expect(got).toEqual(["after"]);
  });

  it("stays down on an unreachable Redis: publish fails at once, one masked log line, prompt stop", async () => {
    const { bus, states, lines } = newBus({ url: DEAD_URL });
    const starting = bus.start().then(
      () => "started",
      (err: Error) => err.message,
    );
    // Long enough for several reconnect attempts (50, 100, 200, 400 ms).
    await sleep(800);
    expect(bus.state).toBe("down");
    expect(states).toEqual([]);

    const before = performance.now();
    const error = await bus.publish("c", "x").catch((err: unknown) => err);
    expect(performance.now() - before).toBeLessThan(1_000);
    expect(error).toBeInstanceOf(BusUnavailableError);
    expect((error as Error).message).toMatch(/cannot publish to c: Redis is unreachable/);
    expect((error as Error).message).toContain("redis://bus-user:***@127.0.0.1:1");

    // Subscribing while down is recorded, not refused.
    await bus.subscribe("c", () => {});

    const stopping = performance.now();
    await bus.stop();
    expect(performance.now() - stopping).toBeLessThan(500);
    expect(await starting).toMatch(/stopped before connecting/);

    const warnings = lines.filter((l) => l.level === 40);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({
      redis: "redis://bus-user:***@127.0.0.1:1",
      reason: expect.stringContaining("ECONNREFUSED"),
    });
    expect(JSON.stringify(lines)).not.toContain("s3cret");
  });

  it("gives up starting after startTimeoutMs with a clear error", async () => {
    const { bus } = newBus({ url: DEAD_URL, startTimeoutMs: 300 });
    await expect(bus.start()).rejects.toThrow(
      "Redis bus: cannot reach redis://bus-user:***@127.0.0.1:1 within 300 ms; giving up",
    );
    await expect(bus.publish("c", "x")).rejects.toThrow(/stopped/);
  });

  it("notices a Redis that stops answering: publish fails within commandTimeoutMs, then up again", async () => {
    const proxy = await freezableProxy(new URL(REDIS_URL));
    try {
      const { bus, states, lines } = newBus({
        url: proxy.url,
        commandTimeoutMs: 300,
        pingIntervalMs: 100,
      });
      const controlPlane = newBus().bus;
      await Promise.all([bus.start(), controlPlane.start()]);
      const got: string[] = [];
      await bus.subscribe("c", (m) => got.push(m));

      proxy.freeze(); // connections stay open, nothing gets through
      const before = performance.now();
      await expect(bus.publish("c", "lost")).rejects.toBeInstanceOf(BusUnavailableError);
      expect(performance.now() - before).toBeLessThan(1_000);
      await waitUntil(() => bus.state === "down", 2_000);

      const upAgain = nextState(bus, "up");
      proxy.thaw();
      await upAgain;
      expect(states).toEqual(["up", "down", "up"]);
      await controlPlane.publish("c", "after");
      await waitUntil(() => got.length === 1);
      expect(got).toEqual(["after"]);
      expect(lines.filter((l) => l.level === 40)).toHaveLength(1);
    } finally {
      await Promise.all(buses.map((b) => b.stop()));
      await proxy.close();
    }
  });

  it("refuses to publish before start", async () => {
    const { bus } = newBus();
    await expect(bus.publish("c", "x")).rejects.toThrow(/not started/);
  });

  it("leaves no socket or timer behind after stop, up or down", async () => {
    const before = activeHandles();
    const { bus: live, connectionName } = newBus();
    const { bus: dead } = newBus({ url: DEAD_URL });
    const deadStart = dead.start().catch(() => {});
    await live.start();
    await live.subscribe("c", () => {});
    const upAgain = nextState(live, "up");
    await killConnections(`${connectionName}:sub`);
    await upAgain;
    await live.publish("c", "x");
    await sleep(200); // the dead one is between reconnect attempts now
    await Promise.all([live.stop(), dead.stop(), deadStart]);
    // Not one more than before (the runner's own timers may have ended meanwhile).
    const after = activeHandles();
    for (const kind of ["TCPSocketWrap", "Timeout"]) {
      expect(after[kind] ?? 0, kind).toBeLessThanOrEqual(before[kind] ?? 0);
    }
  });

  /** A channel on `bus` whose round trip shows that every message published before it arrived. */
  function markerChannel(bus: RedisBus) {
    const channel = `marker-${++counter}`;
    let arrived: (() => void) | undefined;
    const subscribed = bus.subscribe(channel, () => arrived?.());
    return {
      async roundTrip(): Promise<void> {
        await subscribed;
        const seen = new Promise<void>((resolve) => {
          arrived = resolve;
        });
        await bus.publish(channel, "marker");
        await seen;
      },
    };
  }

  async function numsub(channel: string): Promise<number> {
    // Under RESP3 ioredis's default "legacy" reply mapping flattens maps to [name, count].
    const reply = (await admin.call("PUBSUB", "NUMSUB", channel)) as [string, number];
    return Number(reply[1]);
  }

  /** Cuts this process's connections named `name` from the server side; how many there were. */
  async function killConnections(name: string): Promise<number> {
    // CLIENT LIST is a verbatim string under RESP3; ioredis hands it over as a plain string.
    const list = String(await admin.call("CLIENT", "LIST"));
    const ids = list
      .split("\n")
      .filter((line) => line.includes(` name=${name} `))
      .map((line) => /^id=(\d+)/.exec(line)?.[1])
      .filter((id): id is string => id !== undefined);
    for (const id of ids) await admin.call("CLIENT", "KILL", "ID", id);
    return ids.length;
  }
}

/** A TCP proxy to Redis that can stop passing bytes while keeping connections open (a hung peer). */
async function freezableProxy(target: URL) {
  let frozen = false;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = createConnection(Number(target.port || 6379), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("close", () => {
        sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
      socket.on("error", () => {});
    }
    client.on("data", (data) => frozen || upstream.write(data));
    upstream.on("data", (data) => frozen || client.write(data));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("proxy has no port");
  return {
    url: `redis://127.0.0.1:${address.port}`,
    freeze: () => {
      frozen = true;
    },
    thaw: () => {
      frozen = false;
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

function captureLogger(): {
  logger: Logger;
  lines: Array<Record<string, unknown> & { level: number; msg: string }>;
} {
  const lines: Array<Record<string, unknown> & { level: number; msg: string }> = [];
  const logger = pino(
    { level: "debug" },
    { write: (line: string) => lines.push(JSON.parse(line)) },
  );
  return { logger, lines };
}

function nextState(bus: RedisBus, state: BusState, timeoutMs = 5_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`bus not ${state} within ${timeoutMs} ms`));
    }, timeoutMs);
    const off = bus.onStateChange((s) => {
      if (s !== state) return;
      clearTimeout(timer);
      off();
      resolve();
    });
  });
}

async function waitUntil(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 5_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(10);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Sockets and timers of this process, by kind. */
function activeHandles(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) {
    if (kind === "TCPSocketWrap" || kind === "Timeout") counts[kind] = (counts[kind] ?? 0) + 1;
  }
  return counts;
}
