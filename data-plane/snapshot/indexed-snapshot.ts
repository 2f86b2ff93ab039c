import type { SnapshotDelta } from "../../schema/bus-messages.js";
import type {
  Deployment,
  KeyEntry,
  OrganizationEntry,
  Snapshot,
  TeamEntry,
  UserEntry,
} from "../../schema/snapshot.js";
import { EntryIndex } from "./entry-index.js";

export interface ModelGroup {
  readonly name: string;
  readonly deployments: readonly Deployment[];
  /** Sum of weights, for the weighted pick. */
  readonly totalWeight: number;
}

/**
 * A snapshot with the lookups the hot path needs as Maps. A whole snapshot builds a new
 * one (the server swaps it in with one assignment); a delta is applied in place, in time
 * proportional to the delta, not to the snapshot (100k keys must not pause requests).
 */
export class IndexedSnapshot {
  version: number;
  builtAt: string;
  settings: Snapshot["settings"];
  masterKeyHash: Buffer | undefined;
  /** Keys, users and teams may be packed (a whole snapshot from a worker): see EntryIndex. */
  readonly keysByHash: EntryIndex<KeyEntry>;
  readonly usersById: EntryIndex<UserEntry>;
  readonly teamsById: EntryIndex<TeamEntry>;
  readonly organizationsById: Map<string, OrganizationEntry>;
  readonly deploymentsById: Map<string, Deployment>;
  groups: ReadonlyMap<string, ModelGroup> = new Map();
  /** Sorted public model names. */
  modelNames: readonly string[] = [];
  deployments: readonly Deployment[] = [];

  constructor(snapshot: Snapshot) {
    this.version = snapshot.version;
    this.builtAt = snapshot.builtAt;
    this.settings = snapshot.settings;
    this.masterKeyHash = masterHash(snapshot.masterKeyHash);
    this.keysByHash = new EntryIndex(snapshot.keys.map((k) => [k.tokenHash, k]));
    this.usersById = new EntryIndex(snapshot.users.map((u) => [u.userId, u]));
    this.teamsById = new EntryIndex(snapshot.teams.map((t) => [t.teamId, t]));
    this.organizationsById = new Map(
      (snapshot.organizations ?? []).map((o) => [o.organizationId, o]),
    );
    this.deploymentsById = new Map(snapshot.deployments.map((d) => [d.id, d]));
    this.regroup();
  }

  /** Applies a delta whose `baseVersion` is this snapshot's version. */
  applyDelta(delta: SnapshotDelta): void {
    if (delta.baseVersion !== this.version) {
      throw new Error(
        `delta ${delta.baseVersion}→${delta.version} does not apply to version ${this.version}`,
      );
    }
    const { upsert, remove } = delta;
    for (const hash of remove.keys) this.keysByHash.delete(hash);
    for (const k of upsert.keys) this.keysByHash.set(k.tokenHash, k);
    for (const id of remove.users) this.usersById.delete(id);
    for (const u of upsert.users) this.usersById.set(u.userId, u);
    for (const id of remove.teams) this.teamsById.delete(id);
    for (const t of upsert.teams) this.teamsById.set(t.teamId, t);
    for (const id of remove.organizations ?? []) this.organizationsById.delete(id);
    for (const o of upsert.organizations ?? []) this.organizationsById.set(o.organizationId, o);
    if (upsert.deployments.length > 0 || remove.deployments.length > 0) {
      for (const id of remove.deployments) this.deploymentsById.delete(id);
      for (const d of upsert.deployments) this.deploymentsById.set(d.id, d);
      this.regroup();
    }
    if (delta.settings !== undefined) this.settings = delta.settings;
    if (delta.masterKeyHash !== undefined)
      this.masterKeyHash = masterHash(delta.masterKeyHash ?? undefined);
    this.version = delta.version;
    this.builtAt = delta.builtAt;
  }

  /** Rebuilds the model groups from `deploymentsById` (after filling it part by part). */
  regroup(): void {
    const byName = new Map<string, Deployment[]>();
    for (const d of this.deploymentsById.values()) {
      const list = byName.get(d.modelName);
      if (list === undefined) byName.set(d.modelName, [d]);
      else list.push(d);
    }
    const groups = new Map<string, ModelGroup>();
    for (const [name, deployments] of byName) {
      const totalWeight = deployments.reduce((sum, d) => sum + d.weight, 0);
      groups.set(name, { name, deployments, totalWeight });
    }
    this.groups = groups;
    this.modelNames = [...byName.keys()].sort();
    this.deployments = [...this.deploymentsById.values()];
  }
}

function masterHash(hex: string | undefined): Buffer | undefined {
  return hex === undefined ? undefined : Buffer.from(hex, "latin1");
}
