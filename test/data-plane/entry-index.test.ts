import { describe, expect, it } from "vitest";
import { EntryIndex } from "../../data-plane/snapshot/entry-index.js";
import { indexInSlices } from "../../data-plane/snapshot/index-in-slices.js";
import { IndexedSnapshot } from "../../data-plane/snapshot/indexed-snapshot.js";
import { packEntries } from "../../data-plane/snapshot/packed-entries.js";
import {
  headOf,
  packedSplit,
  type SnapshotParts,
} from "../../data-plane/snapshot/snapshot-parts.js";
import type { SnapshotDelta } from "../../schema/bus-messages.js";
import type { KeyEntry, Snapshot } from "../../schema/snapshot.js";

/**
 * Keys, users and teams of a whole snapshot arrive packed into one buffer from the worker
 * (packed-entries.ts) and are decoded as they are read; deltas go in front of them.
 */

function key(n: number, over: Partial<KeyEntry> = {}): KeyEntry {
  return {
    tokenHash: `hash-${n}`,
    id: `key-${n}`,
    keyName: `sk-...${n}`,
    models: n % 2 === 0 ? [] : ["m1", "m2"],
    blocked: false,
    rpmLimit: n,
    spend: n / 3,
    ...(n % 3 === 0 ? { userId: `user-${n}`, budgetResetAt: 1_700_000_000_000 } : {}),
    ...over,
  };
}

function packed(keys: KeyEntry[]): EntryIndex<KeyEntry> {
  const index = new EntryIndex<KeyEntry>();
  index.adopt(packEntries(keys, (k) => k.tokenHash));
  return index;
}

const sorted = (index: ReadonlyMap<string, KeyEntry>) =>
  [...index.entries()].sort(([a], [b]) => a.localeCompare(b));

/** The parts a worker posts, without the worker (buffers are not transferred here). */
function packedParts(snapshot: Snapshot): SnapshotParts {
  const parts = [...packedSplit(snapshot, 2)];
  let i = 0;
  return { head: headOf(snapshot), next: () => parts[i++], close: () => undefined };
}

describe("packed snapshot entries", () => {
  it("give back exactly the entries packed, by id, and nothing for other ids", () => {
    const keys = Array.from({ length: 2_000 }, (_, i) => key(i));
    const index = packed(keys);
    expect(index.size).toBe(2_000);
    for (const k of keys) expect(index.get(k.tokenHash)).toEqual(k);
    expect(index.get("hash-2000")).toBeUndefined();
    expect(index.has("hash-")).toBe(false);
    expect(index.get("")).toBeUndefined();
    expect(sorted(index)).toEqual(sorted(new Map(keys.map((k) => [k.tokenHash, k]))));
  });

  it("keep the last of two entries with one id, as a Map does, and ids beyond ASCII", () => {
    const index = packed([key(1), key(2, { tokenHash: "ключ-€-🔑" }), key(1, { blocked: true })]);
    expect(index.size).toBe(2);
    expect(index.get("hash-1")?.blocked).toBe(true);
    expect(index.get("ключ-€-🔑")?.id).toBe("key-2");
    expect([...index.keys()].sort()).toEqual(["hash-1", "ключ-€-🔑"].sort());
  });

  it("hand the hot path the same object on every read", () => {
    const index = packed([key(1)]);
    expect(index.get("hash-1")).toBe(index.get("hash-1"));
  });

  it("take deltas in front: a removed id is never served again, a changed one is served changed", () => {
    const index = packed([key(1), key(2), key(3)]);
    index.get("hash-1"); // decoded before it is removed
    expect(index.delete("hash-1")).toBe(true);
    expect(index.delete("hash-1")).toBe(false);
    expect(index.delete("hash-9")).toBe(false);
    index.set("hash-2", key(2, { blocked: true }));
    index.set("hash-4", key(4));
    expect(index.get("hash-1")).toBeUndefined();
    expect(index.has("hash-1")).toBe(false);
    expect(index.get("hash-2")?.blocked).toBe(true);
    expect(index.size).toBe(3);
    expect(sorted(index).map(([id]) => id)).toEqual(["hash-2", "hash-3", "hash-4"]);
    index.set("hash-1", key(1, { keyName: "back" }));
    expect(index.get("hash-1")?.keyName).toBe("back");
    expect(index.size).toBe(4);
  });

  it("are refused into an index that already holds entries", () => {
    const index = new EntryIndex<KeyEntry>([["hash-1", key(1)]]);
    expect(() => index.adopt(packEntries([key(2)], (k) => k.tokenHash))).toThrow(/empty index/);
  });

  it("index a whole snapshot as its objects would, before and after a delta", async () => {
    const snapshot: Snapshot = {
      version: 3,
      builtAt: new Date(1_700_000_000_000).toISOString(),
      deployments: [],
      keys: Array.from({ length: 50 }, (_, i) => key(i)),
      users: [{ userId: "user-3", role: "internal_user", models: [], spend: 1 }],
      teams: [{ teamId: "t1", models: ["m1"], blocked: false, spend: 0 }],
      settings: { maxBodyBytes: 1000, gracefulShutdownMs: 0 },
    };
    const fromParts = (await indexInSlices(packedParts(snapshot))).snapshot;
    const fromObjects = new IndexedSnapshot(snapshot);
    const delta: SnapshotDelta = {
      version: 4,
      baseVersion: 3,
      builtAt: new Date(1_700_000_000_004).toISOString(),
      change: "key.block",
      upsert: { deployments: [], keys: [key(7, { blocked: true })], users: [], teams: [] },
      remove: { deployments: [], keys: ["hash-8"], users: ["user-3"], teams: [] },
    };
    for (const s of [fromParts, fromObjects]) s.applyDelta(delta);
    for (const list of ["keysByHash", "usersById", "teamsById"] as const) {
      expect([...fromParts[list].entries()]).toEqual(
        expect.arrayContaining([...fromObjects[list].entries()]),
      );
      expect(fromParts[list].size).toBe(fromObjects[list].size);
    }
    expect(fromParts.keysByHash.get("hash-8")).toBeUndefined();
    expect(fromParts.keysByHash.get("hash-7")?.blocked).toBe(true);
    expect(fromParts.usersById.get("user-3")).toBeUndefined();
  });
});
