import { setImmediate as nextTurn } from "node:timers/promises";
import { IndexedSnapshot } from "./indexed-snapshot.js";
import type { PackedList, SnapshotPart, SnapshotParts } from "./snapshot-parts.js";

export interface SlicedIndex {
  snapshot: IndexedSnapshot;
  /** Turns of the event loop given back while indexing (0: done in one go). */
  yields: number;
}

/**
 * Indexes a whole snapshot part by part, giving the event loop back whenever a slice has
 * taken `sliceMs`, so that requests never wait behind it. From a worker, keys, users and
 * teams come packed (one buffer each, taken in at once) and only the deployments as objects;
 * a snapshot parsed on the event loop (small) comes as objects throughout. The result is not
 * visible to anyone until the caller swaps it in, so the half-built indexes are never read.
 */
export async function indexInSlices(parts: SnapshotParts, sliceMs = 2): Promise<SlicedIndex> {
  try {
    const snapshot = new IndexedSnapshot({
      ...parts.head,
      deployments: [],
      keys: [],
      users: [],
      teams: [],
    });
    let yields = 0;
    let sliceStart = performance.now();
    for (let part = parts.next(); part !== undefined; part = parts.next()) {
      add(snapshot, part);
      if (performance.now() - sliceStart >= sliceMs) {
        // setImmediate, not a timer: I/O (requests) is served first, without a 1 ms floor.
        await nextTurn();
        yields++;
        sliceStart = performance.now();
      }
    }
    snapshot.regroup();
    return { snapshot, yields };
  } finally {
    parts.close();
  }
}

function add(snapshot: IndexedSnapshot, part: SnapshotPart): void {
  switch (part.list) {
    case "deployments":
      for (const d of part.entries) snapshot.deploymentsById.set(d.id, d);
      break;
    case "keys":
      for (const k of part.entries) snapshot.keysByHash.set(k.tokenHash, k);
      break;
    case "users":
      for (const u of part.entries) snapshot.usersById.set(u.userId, u);
      break;
    case "teams":
      for (const t of part.entries) snapshot.teamsById.set(t.teamId, t);
      break;
    case "packed":
      // A transferred buffer: nothing to decode now; entries are decoded as requests ask.
      PACKED[part.of](snapshot).adopt(part.buffer);
      break;
  }
}

const PACKED = {
  keys: (s: IndexedSnapshot) => s.keysByHash,
  users: (s: IndexedSnapshot) => s.usersById,
  teams: (s: IndexedSnapshot) => s.teamsById,
} satisfies Record<PackedList, (s: IndexedSnapshot) => { adopt(buffer: ArrayBuffer): void }>;
