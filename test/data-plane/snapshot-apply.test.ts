import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { pino } from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { InProcessBus } from "../../bus/in-process-bus.js";
import { indexInSlices } from "../../data-plane/snapshot/index-in-slices.js";
import { IndexedSnapshot } from "../../data-plane/snapshot/indexed-snapshot.js";
import { partsOf, type SnapshotParts } from "../../data-plane/snapshot/snapshot-parts.js";
import { HttpSnapshotSource, INLINE_BYTES } from "../../data-plane/sync/snapshot-source.js";
import { SnapshotSync } from "../../data-plane/sync/snapshot-sync.js";
import type { SnapshotDelta } from "../../schema/bus-messages.js";
import type { KeyEntry, Snapshot } from "../../schema/snapshot.js";

/**
 * A whole snapshot applied in the background: parsed in a worker thread, indexed in slices
 * between turns of the event loop, swapped in with one assignment.
 */

function key(n: number): KeyEntry {
  return {
    tokenHash: `hash-${String(n).padStart(8, "0")}`,
    id: `key-${n}`,
    keyName: `sk-...${n}`,
    models: ["m1"],
    blocked: false,
    rpmLimit: 1_000,
    spend: 0,
  };
}

/** 20k keys: ~2.5 MB of JSON, ten times what a node parses on its event loop. */
function large(version: number, keys = 20_000): Snapshot {
  return {
    version,
    builtAt: new Date(1_700_000_000_000 + version).toISOString(),
    masterKeyHash: "a".repeat(64),
    deployments: [
      {
        id: "d1",
        modelName: "m1",
        provider: "mock",
        model: "m1",
        timeoutMs: 1000,
        streamTimeoutMs: 1000,
        weight: 1,
        extraHeaders: {},
        modelInfo: {},
      },
    ],
    keys: Array.from({ length: keys }, (_, i) => key(i)),
    users: [{ userId: "u1", role: "internal_user", models: [], spend: 0 }],
    teams: [{ teamId: "t1", models: [], blocked: false, spend: 0 }],
    settings: { maxBodyBytes: 1000, gracefulShutdownMs: 0 },
  };
}

/** Everything a node serves from, as plain data to compare. */
function view(s: IndexedSnapshot) {
  return {
    version: s.version,
    builtAt: s.builtAt,
    settings: s.settings,
    masterKeyHash: s.masterKeyHash?.toString("latin1"),
    keys: [...s.keysByHash.entries()].sort(([a], [b]) => a.localeCompare(b)),
    users: [...s.usersById.entries()],
    teams: [...s.teamsById.entries()],
    deployments: [...s.deploymentsById.entries()],
    models: s.modelNames,
  };
}

/** A control plane's `/internal/snapshot` serving whatever body the test sets. */
class SnapshotServer {
  body = "";
  status = 200;
  requests = 0;
  private server: Server | undefined;

  async start(): Promise<string> {
    this.server = createServer((_req, res) => {
      this.requests++;
      res.writeHead(this.status, { "content-type": "application/json" }).end(this.body);
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise((resolve) => this.server?.close(resolve));
  }
}

describe("indexing a whole snapshot in slices", () => {
  it("gives the event loop back between parts: a timer set before it fires before it is done", async () => {
    const snapshot = large(1);
    let timerFiredAt: "before" | "after" | undefined;
    let done = false;
    const timer = setTimeout(() => {
      timerFiredAt = done ? "after" : "before";
    }, 0);
    const { snapshot: indexed, yields } = await indexInSlices(partsOf(snapshot), 0);
    done = true;
    clearTimeout(timer);
    expect(yields).toBeGreaterThanOrEqual(20);
    expect(timerFiredAt).toBe("before");
    expect(view(indexed)).toEqual(view(new IndexedSnapshot(snapshot)));
  });
});

describe("fetching a large snapshot from the control plane", () => {
  const server = new SnapshotServer();
  let url = "";

  beforeAll(async () => {
    url = await server.start();
  });
  afterAll(() => server.stop());

  it("parses it in a worker and indexes exactly the snapshot served", async () => {
    const served = large(7);
    server.body = JSON.stringify(served);
    let ticks = 0;
    const probe = setInterval(() => ticks++, 0);
    try {
      const parts = await new HttpSnapshotSource(url, "token").fetch();
      const { snapshot } = await indexInSlices(parts, 0);
      // Keys, users and teams came packed, decoded here as they are read: the same entries.
      expect(view(snapshot)).toEqual(view(new IndexedSnapshot(served)));
      // The event loop kept turning while the worker parsed and the parts were indexed.
      expect(ticks).toBeGreaterThan(0);
    } finally {
      clearInterval(probe);
    }
  });

  it("refuses a body that is not a snapshot, from the worker", async () => {
    server.body = `{"version": 1, "keys": [${"1,".repeat(200_000)}1]}`;
    await expect(new HttpSnapshotSource(url, "token").fetch()).rejects.toThrow(
      /does not match its schema/,
    );
    server.body = `${JSON.stringify(large(1)).slice(0, -10)}`;
    await expect(new HttpSnapshotSource(url, "token").fetch()).rejects.toThrow(/not JSON/);
  });

  it("has the worker request the body itself when the last one was large, with the same result", async () => {
    const source = new HttpSnapshotSource(url, "token");
    server.body = JSON.stringify(large(8));
    await indexInSlices(await source.fetch());
    const served = large(9);
    server.body = JSON.stringify(served);
    const before = server.requests;
    const { snapshot } = await indexInSlices(await source.fetch());
    expect(server.requests).toBe(before + 1);
    expect(view(snapshot)).toEqual(view(new IndexedSnapshot(served)));

    server.status = 503;
    try {
      await expect(source.fetch()).rejects.toThrow(/HTTP 503/);
    } finally {
      server.status = 200;
    }
  });

  it("gives the same result for a small snapshot, parsed on the event loop", async () => {
    const served = large(3, 10);
    server.body = JSON.stringify(served);
    expect(Buffer.byteLength(server.body)).toBeLessThan(INLINE_BYTES);
    const parts = await new HttpSnapshotSource(url, "token").fetch();
    expect(view((await indexInSlices(parts)).snapshot)).toEqual(view(new IndexedSnapshot(served)));
  });
});

describe("a node applying a whole snapshot in the background", () => {
  const bus = new InProcessBus();
  const server = new SnapshotServer();
  let url = "";
  let sync: SnapshotSync | undefined;

  beforeAll(async () => {
    await bus.start();
    url = await server.start();
  });
  afterAll(async () => {
    await server.stop();
    await bus.stop();
  });
  afterEach(async () => {
    await sync?.stop();
    sync = undefined;
  });

  function node(source: { fetch(): Promise<SnapshotParts> }) {
    let current = new IndexedSnapshot(large(1, 1));
    let swaps = 0;
    sync = new SnapshotSync({
      bus,
      snapshotChannel: "snap",
      nodesChannel: "nodes",
      source,
      target: {
        get snapshotVersion() {
          return current.version;
        },
        swapSnapshot: (s) => {
          current = s;
          swaps++;
        },
        applyDelta: (d: SnapshotDelta) => current.applyDelta(d),
      },
      logger: pino({ level: "silent" }),
      nodeId: "n1",
      address: "test",
    });
    return { current: () => current, swaps: () => swaps };
  }

  async function until(check: () => boolean): Promise<void> {
    for (let i = 0; i < 1_000 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
    expect(check()).toBe(true);
  }

  const beat = (s: Snapshot) =>
    bus.publish(
      "snap",
      JSON.stringify({ type: "version", version: s.version, builtAt: s.builtAt }),
    );

  it("applies a delta that arrived during the apply after the swap", async () => {
    const served = large(5);
    let fetches = 0;
    let release: (() => void) | undefined;
    const n = node({
      fetch: async () => {
        fetches++;
        // The second fetch (after start) waits until the test has published a delta.
        if (fetches === 2) await new Promise<void>((r) => (release = r));
        return partsOf(served);
      },
    });
    await sync!.start();
    await beat(large(6)); // the control plane is ahead: refetch
    await until(() => release !== undefined);
    const delta: SnapshotDelta = {
      version: 6,
      baseVersion: 5,
      builtAt: large(6).builtAt,
      change: "key.generate",
      upsert: { deployments: [], keys: [key(99_999)], users: [], teams: [] },
      remove: { deployments: [], keys: [], users: [], teams: [] },
    };
    await bus.publish("snap", JSON.stringify({ type: "delta", delta }));
    release!();
    await until(() => n.current().version === 6);
    expect(n.current().keysByHash.has(key(99_999).tokenHash)).toBe(true);
    expect(n.current().keysByHash.size).toBe(served.keys.length + 1);
    expect(fetches).toBe(2);
    expect(sync!.status().stale).toBe(false);
  });

  it("keeps its old snapshot and reports itself stale when the worker cannot parse the new one", async () => {
    const first = large(2);
    server.body = JSON.stringify(first);
    const n = node(new HttpSnapshotSource(url, "token"));
    await sync!.start();
    expect(view(n.current())).toEqual(view(new IndexedSnapshot(first)));

    server.body = `${JSON.stringify(large(3)).slice(0, -10)}`; // cut short: not JSON
    await beat(large(3));
    await until(() => sync!.status().stale);
    expect(sync!.status().reason).toMatch(/not JSON/);
    expect(n.current().version).toBe(2);
    expect(n.current().keysByHash.size).toBe(first.keys.length);
    expect(n.swaps()).toBe(1);
  });
});
