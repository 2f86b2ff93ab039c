import type {
  Deployment,
  KeyEntry,
  Snapshot,
  TeamEntry,
  UserEntry,
} from "../../schema/snapshot.js";
import { packEntries } from "./packed-entries.js";

/** A snapshot without its lists: what a node needs before the first entry. */
export type SnapshotHead = Omit<Snapshot, "deployments" | "keys" | "users" | "teams">;

/** The lists a worker hands over packed (see packed-entries.ts): the large ones. */
export type PackedList = "keys" | "users" | "teams";

/**
 * A run of entries of one list, small enough to index between two turns of the event loop;
 * or a whole list packed into one buffer, which costs the main thread nothing to take in.
 */
export type SnapshotPart =
  | { list: "deployments"; entries: Deployment[] }
  | { list: "keys"; entries: KeyEntry[] }
  | { list: "users"; entries: UserEntry[] }
  | { list: "teams"; entries: TeamEntry[] }
  | { list: "packed"; of: PackedList; buffer: ArrayBuffer };

/**
 * A whole snapshot handed over in parts. `next()` is synchronous and does the work of one
 * part (for a worker's parts: decoding it), so that the indexer decides when to yield.
 */
export interface SnapshotParts {
  readonly head: SnapshotHead;
  /** The next part, or undefined when all have been taken. */
  next(): SnapshotPart | undefined;
  /** Frees what is left (a worker); called once, whether or not every part was taken. */
  close(): void;
}

/** Entries per part: indexing ~1k keys takes well under a millisecond. */
export const PART_ENTRIES = 1_000;

/** The parts of a snapshot already in memory (a small one, or a test's). */
export function partsOf(snapshot: Snapshot, entries = PART_ENTRIES): SnapshotParts {
  const parts = [...split(snapshot, entries)];
  let i = 0;
  return {
    head: headOf(snapshot),
    next: () => parts[i++],
    close: () => {
      i = parts.length;
    },
  };
}

/**
 * What a worker hands over: deployments as objects (few, and regrouped at once), then keys,
 * users and teams each packed into one buffer to transfer.
 */
export function* packedSplit(snapshot: Snapshot, entries = PART_ENTRIES): Generator<SnapshotPart> {
  for (let i = 0; i < snapshot.deployments.length; i += entries)
    yield { list: "deployments", entries: snapshot.deployments.slice(i, i + entries) };
  yield { list: "packed", of: "keys", buffer: packEntries(snapshot.keys, (k) => k.tokenHash) };
  yield { list: "packed", of: "users", buffer: packEntries(snapshot.users, (u) => u.userId) };
  yield { list: "packed", of: "teams", buffer: packEntries(snapshot.teams, (t) => t.teamId) };
}

export function headOf(snapshot: Snapshot): SnapshotHead {
  const { version, builtAt, masterKeyHash, settings } = snapshot;
  return masterKeyHash === undefined
    ? { version, builtAt, settings }
    : { version, builtAt, masterKeyHash, settings };
}

/** Every list of `snapshot` cut into parts of at most `entries` entries, in a fixed order. */
export function* split(snapshot: Snapshot, entries = PART_ENTRIES): Generator<SnapshotPart> {
  for (let i = 0; i < snapshot.deployments.length; i += entries)
    yield { list: "deployments", entries: snapshot.deployments.slice(i, i + entries) };
  for (let i = 0; i < snapshot.keys.length; i += entries)
    yield { list: "keys", entries: snapshot.keys.slice(i, i + entries) };
  for (let i = 0; i < snapshot.users.length; i += entries)
    yield { list: "users", entries: snapshot.users.slice(i, i + entries) };
  for (let i = 0; i < snapshot.teams.length; i += entries)
    yield { list: "teams", entries: snapshot.teams.slice(i, i + entries) };
}
