import { pino } from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { InProcessBus } from "../../bus/in-process-bus.js";
import { diffSnapshots } from "../../control-plane/snapshot/diff-snapshots.js";
import { IndexedSnapshot } from "../../data-plane/snapshot/indexed-snapshot.js";
import { partsOf } from "../../data-plane/snapshot/snapshot-parts.js";
import { SnapshotSync } from "../../data-plane/sync/snapshot-sync.js";
import type { SnapshotDelta, SnapshotMessage } from "../../schema/bus-messages.js";
import type { Deployment, KeyEntry, Snapshot } from "../../schema/snapshot.js";

function key(n: number, over: Partial<KeyEntry> = {}): KeyEntry {
  return {
    tokenHash: `hash-${n}`,
    id: `key-${n}`,
    keyName: `sk-...${n}`,
    models: [],
    blocked: false,
    spend: 0,
    ...over,
  };
}

function deployment(id: string, modelName: string): Deployment {
  return {
    id,
    modelName,
    provider: "mock",
    model: modelName,
    timeoutMs: 1000,
    streamTimeoutMs: 1000,
    weight: 1,
    extraHeaders: {},
    modelInfo: {},
  };
}

function snapshot(
  version: number,
  keys: KeyEntry[],
  deployments: Deployment[] = [deployment("d1", "m1")],
): Snapshot {
  return {
    version,
    builtAt: new Date(1_700_000_000_000 + version).toISOString(),
    masterKeyHash: "a".repeat(64),
    deployments,
    keys,
    users: [],
    teams: [],
    settings: { maxBodyBytes: 1000, gracefulShutdownMs: 0 },
  };
}

/** The indexes a node serves from, as plain data to compare. */
function view(s: IndexedSnapshot) {
  return {
    version: s.version,
    keys: [...s.keysByHash.values()].sort((a, b) => a.tokenHash.localeCompare(b.tokenHash)),
    models: s.modelNames,
    deployments: [...s.deploymentsById.keys()].sort(),
  };
}

describe("snapshot deltas", () => {
  it("applying the diff of two snapshots gives the same indexes as the second one whole", () => {
    const a = snapshot(1, [key(1), key(2), key(3)]);
    const b = snapshot(
      2,
      [key(1), key(2, { blocked: true }), key(4)],
      [deployment("d1", "m1"), deployment("d2", "m2")],
    );
    const delta = diffSnapshots(a, b, "test");
    expect(delta.remove.keys).toEqual(["hash-3"]);
    expect(delta.upsert.keys.map((k) => k.tokenHash).sort()).toEqual(["hash-2", "hash-4"]);
    const node = new IndexedSnapshot(a);
    node.applyDelta(delta);
    expect(view(node)).toEqual(view(new IndexedSnapshot(b)));
  });

  it("refuses a delta that does not start at the node's version", () => {
    const node = new IndexedSnapshot(snapshot(5, []));
    const delta = diffSnapshots(snapshot(3, []), snapshot(4, [key(1)]), "test");
    expect(() => node.applyDelta(delta)).toThrow(/does not apply/);
  });
});

describe("a node's snapshot sync", () => {
  let sync: SnapshotSync | undefined;
  const bus = new InProcessBus();

  beforeAll(() => bus.start());
  afterAll(() => bus.stop());
  afterEach(async () => {
    await sync?.stop();
  });

  /** A control plane in memory: its latest snapshot, and deltas it could publish. */
  function setup() {
    let latest = snapshot(1, [key(1)]);
    let fetches = 0;
    let node = new IndexedSnapshot(latest);
    const target = {
      get snapshotVersion() {
        return node.version;
      },
      swapSnapshot: (s: IndexedSnapshot) => {
        node = s;
      },
      applyDelta: (d: SnapshotDelta) => node.applyDelta(d),
    };
    sync = new SnapshotSync({
      bus,
      snapshotChannel: "snap",
      nodesChannel: "nodes",
      source: {
        fetch: async () => {
          fetches++;
          return partsOf(latest);
        },
      },
      target,
      logger: pino({ level: "silent" }),
      nodeId: "n1",
      address: "test",
    });
    const change = (keys: KeyEntry[]): SnapshotDelta => {
      const next = snapshot(latest.version + 1, keys);
      const delta = diffSnapshots(latest, next, "test");
      latest = next;
      return delta;
    };
    const publish = (m: SnapshotMessage) => bus.publish("snap", JSON.stringify(m));
    return { change, publish, node: () => node, fetches: () => fetches, latest: () => latest };
  }

  async function until(check: () => boolean): Promise<void> {
    for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
    expect(check()).toBe(true);
  }

  it("applies deltas in order without refetching, and refetches the whole on a gap", async () => {
    const cp = setup();
    await sync!.start();
    expect(cp.fetches()).toBe(1);
    await cp.publish({ type: "delta", delta: cp.change([key(1), key(2)]) });
    await until(() => cp.node().version === 2);
    expect(cp.node().keysByHash.has("hash-2")).toBe(true);
    expect(cp.fetches()).toBe(1);

    // Version 3 is lost; version 4 arrives: the node must not apply it on top of 2.
    cp.change([key(1), key(2), key(3)]);
    await cp.publish({ type: "delta", delta: cp.change([key(2), key(3)]) });
    await until(() => cp.node().version === 4);
    expect(cp.fetches()).toBe(2);
    expect(cp.node().keysByHash.has("hash-1")).toBe(false);
    expect(cp.node().keysByHash.has("hash-3")).toBe(true);
    expect(sync!.status().stale).toBe(false);
  });

  it("notices from the version beat that it missed the last change", async () => {
    const cp = setup();
    await sync!.start();
    cp.change([]); // revoked key-1; the delta never arrives
    await cp.publish({
      type: "version",
      version: cp.latest().version,
      builtAt: cp.latest().builtAt,
    });
    await until(() => cp.node().version === 2);
    expect(cp.node().keysByHash.size).toBe(0);
  });

  it("ignores deltas it already has and messages it cannot read", async () => {
    const cp = setup();
    await sync!.start();
    const delta = cp.change([key(1), key(9)]);
    await cp.publish({ type: "delta", delta });
    await until(() => cp.node().version === 2);
    await cp.publish({ type: "delta", delta });
    await bus.publish("snap", "not json");
    await bus.publish("snap", JSON.stringify({ type: "delta", delta: { version: "x" } }));
    await new Promise((r) => setTimeout(r, 20));
    expect(cp.node().version).toBe(2);
    expect(cp.fetches()).toBe(1);
  });
});
