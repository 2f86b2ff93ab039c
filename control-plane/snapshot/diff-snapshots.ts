import type { SnapshotDelta } from "../../schema/bus-messages.js";
import type { Snapshot } from "../../schema/snapshot.js";

/**
 * The delta that turns `prev` into `next`: entries added or changed, and ids removed.
 * Entries are compared by their JSON, so any field change travels.
 */
export function diffSnapshots(prev: Snapshot, next: Snapshot, change: string): SnapshotDelta {
  const deployments = diff(prev.deployments, next.deployments, (d) => d.id);
  const keys = diff(prev.keys, next.keys, (k) => k.tokenHash);
  const users = diff(prev.users, next.users, (u) => u.userId);
  const teams = diff(prev.teams, next.teams, (t) => t.teamId);
  const organizations = diff(
    prev.organizations ?? [],
    next.organizations ?? [],
    (o) => o.organizationId,
  );
  const delta: SnapshotDelta = {
    version: next.version,
    baseVersion: prev.version,
    builtAt: next.builtAt,
    change,
    upsert: {
      deployments: deployments.upsert,
      keys: keys.upsert,
      users: users.upsert,
      teams: teams.upsert,
      organizations: organizations.upsert,
    },
    remove: {
      deployments: deployments.remove,
      keys: keys.remove,
      users: users.remove,
      teams: teams.remove,
      organizations: organizations.remove,
    },
  };
  if (JSON.stringify(prev.settings) !== JSON.stringify(next.settings))
    delta.settings = next.settings;
  if (prev.masterKeyHash !== next.masterKeyHash) delta.masterKeyHash = next.masterKeyHash ?? null;
  return delta;
}

/** Whether a delta changes nothing (then only the version moves). */
export function isEmptyDelta(delta: SnapshotDelta): boolean {
  const { upsert, remove } = delta;
  return (
    upsert.deployments.length +
      upsert.keys.length +
      upsert.users.length +
      upsert.teams.length +
      (upsert.organizations?.length ?? 0) ===
      0 &&
    remove.deployments.length +
      remove.keys.length +
      remove.users.length +
      remove.teams.length +
      (remove.organizations?.length ?? 0) ===
      0 &&
    delta.settings === undefined &&
    delta.masterKeyHash === undefined
  );
}

function diff<T>(prev: readonly T[], next: readonly T[], id: (x: T) => string) {
  const before = new Map<string, string>();
  for (const x of prev) before.set(id(x), JSON.stringify(x));
  const upsert: T[] = [];
  const seen = new Set<string>();
  for (const x of next) {
    const key = id(x);
    seen.add(key);
    if (before.get(key) !== JSON.stringify(x)) upsert.push(x);
  }
  const remove = [...before.keys()].filter((key) => !seen.has(key));
  return { upsert, remove };
}
