import type {
  Deployment,
  KeyEntry,
  Snapshot,
  TeamEntry,
  UserEntry,
} from "../../schema/snapshot.js";

export interface ModelGroup {
  readonly name: string;
  readonly deployments: readonly Deployment[];
  /** Sum of weights, for the weighted pick. */
  readonly totalWeight: number;
}

/**
 * A snapshot with the lookups the hot path needs as Maps. Built once per snapshot;
 * swapping snapshots is one reference assignment in the server.
 */
export class IndexedSnapshot {
  readonly version: number;
  readonly groups: ReadonlyMap<string, ModelGroup>;
  readonly deploymentsById: ReadonlyMap<string, Deployment>;
  /** Sorted public model names. */
  readonly modelNames: readonly string[];
  readonly masterKeyHash: Buffer | undefined;
  readonly keysByHash: ReadonlyMap<string, KeyEntry>;
  readonly usersById: ReadonlyMap<string, UserEntry>;
  readonly teamsById: ReadonlyMap<string, TeamEntry>;

  constructor(readonly snapshot: Snapshot) {
    this.version = snapshot.version;
    this.masterKeyHash =
      snapshot.masterKeyHash === undefined
        ? undefined
        : Buffer.from(snapshot.masterKeyHash, "latin1");
    this.keysByHash = new Map(snapshot.keys.map((k) => [k.tokenHash, k]));
    this.usersById = new Map(snapshot.users.map((u) => [u.userId, u]));
    this.teamsById = new Map(snapshot.teams.map((t) => [t.teamId, t]));
    const byName = new Map<string, Deployment[]>();
    const byId = new Map<string, Deployment>();
    for (const d of snapshot.deployments) {
      byId.set(d.id, d);
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
    this.deploymentsById = byId;
    this.modelNames = [...byName.keys()].sort();
  }

  get settings(): Snapshot["settings"] {
    return this.snapshot.settings;
  }
}
