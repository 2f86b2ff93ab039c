import type { SnapshotDelta } from "../../schema/bus-messages.js";
import type { Snapshot } from "../../schema/snapshot.js";

/**
 * `snapshot` with a peer control plane's delta applied (as a node would apply it), for a
 * control plane that must serve and build on what another one published. Upserts replace
 * by id and removes drop by id, so applying a change the snapshot already has is harmless.
 */
export function applyDeltaToSnapshot(snapshot: Snapshot, delta: SnapshotDelta): Snapshot {
  const { upsert, remove } = delta;
  return {
    ...snapshot,
    version: delta.version,
    builtAt: delta.builtAt,
    deployments: merge(snapshot.deployments, upsert.deployments, remove.deployments, (d) => d.id),
    keys: merge(snapshot.keys, upsert.keys, remove.keys, (k) => k.tokenHash),
    users: merge(snapshot.users, upsert.users, remove.users, (u) => u.userId),
    teams: merge(snapshot.teams, upsert.teams, remove.teams, (t) => t.teamId),
    organizations: merge(
      snapshot.organizations ?? [],
      upsert.organizations ?? [],
      remove.organizations ?? [],
      (o) => o.organizationId,
    ),
    settings: delta.settings ?? snapshot.settings,
    masterKeyHash:
      delta.masterKeyHash === undefined
        ? snapshot.masterKeyHash
        : (delta.masterKeyHash ?? undefined),
  };
}

function merge<T>(
  list: readonly T[],
  upsert: readonly T[],
  remove: readonly string[],
  id: (x: T) => string,
): T[] {
  if (upsert.length === 0 && remove.length === 0) return list as T[];
  const replaced = new Map(upsert.map((x) => [id(x), x]));
  const dropped = new Set(remove);
  const out: T[] = [];
  for (const x of list) {
    const key = id(x);
    if (dropped.has(key)) continue;
    const fresh = replaced.get(key);
    if (fresh !== undefined) {
      out.push(fresh);
      replaced.delete(key);
    } else out.push(x);
  }
  for (const x of replaced.values()) out.push(x);
  return out;
}
