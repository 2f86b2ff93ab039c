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
  /** Sorted by `order` (lowest first; deployments without one last), stable otherwise. */
  readonly deployments: readonly Deployment[];
  /** Sum of weights, for the weighted pick. */
  readonly totalWeight: number;
  /** Where each priority level ends in `deployments` (exclusive); one level without `order`. */
  readonly levelEnds: readonly number[];
}

/** A `model_name` with a `*` in it: serves every requested name it matches. */
interface WildcardGroup {
  readonly prefix: string;
  readonly suffix: string;
  readonly group: ModelGroup;
}

/** Concrete groups made from wildcard matches, kept per snapshot up to this many names. */
const MAX_WILDCARD_NAMES = 10_000;

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
  private wildcards: readonly WildcardGroup[] = [];
  private wildcardNames = new Map<string, ModelGroup>();

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

  /** The wildcard group matching `model`, made concrete for it (cached per snapshot). */
  matchWildcard(model: string): ModelGroup | undefined {
    if (this.wildcards.length === 0) return undefined;
    const known = this.wildcardNames.get(model);
    if (known !== undefined) return known;
    for (const w of this.wildcards) {
      if (
        model.length < w.prefix.length + w.suffix.length ||
        !model.startsWith(w.prefix) ||
        !model.endsWith(w.suffix)
      ) {
        continue;
      }
      const matched = model.slice(w.prefix.length, model.length - w.suffix.length);
      const deployments = w.group.deployments.map((d) =>
        d.model.includes("*") ? { ...d, model: d.model.replace("*", matched) } : d,
      );
      const group: ModelGroup = { ...w.group, name: model, deployments };
      if (this.wildcardNames.size < MAX_WILDCARD_NAMES) this.wildcardNames.set(model, group);
      return group;
    }
    return undefined;
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
    const wildcards: WildcardGroup[] = [];
    for (const [name, deployments] of byName) {
      const group = modelGroup(name, deployments);
      groups.set(name, group);
      const star = name.indexOf("*");
      if (star >= 0) {
        wildcards.push({ prefix: name.slice(0, star), suffix: name.slice(star + 1), group });
      }
    }
    // The most specific pattern first.
    wildcards.sort(
      (a, b) => b.prefix.length + b.suffix.length - (a.prefix.length + a.suffix.length),
    );
    this.groups = groups;
    this.wildcards = wildcards;
    this.wildcardNames = new Map();
    this.modelNames = [...byName.keys()].sort();
    this.deployments = [...this.deploymentsById.values()];
  }
}

/**
 * The group serving `model`: its own, else the one `router_settings.model_group_alias` names,
 * else the most specific wildcard group matching it (its deployments send the matched part
 * where their model has a `*`: `anthropic/*` asked for `anthropic/claude-x` sends `claude-x`).
 */
export function resolveGroup(snapshot: IndexedSnapshot, model: string): ModelGroup | undefined {
  const own = snapshot.groups.get(model);
  if (own !== undefined) return own;
  const alias = snapshot.settings.router?.modelGroupAlias[model];
  if (alias !== undefined && Object.hasOwn(snapshot.settings.router!.modelGroupAlias, model)) {
    return snapshot.groups.get(alias) ?? snapshot.matchWildcard(alias);
  }
  return snapshot.matchWildcard(model);
}

function modelGroup(name: string, list: Deployment[]): ModelGroup {
  const deployments = list
    .map((d, i) => ({ d, i }))
    .sort((a, b) => orderOf(a.d) - orderOf(b.d) || a.i - b.i)
    .map((x) => x.d);
  const levelEnds: number[] = [];
  for (let i = 1; i <= deployments.length; i++) {
    if (i === deployments.length || orderOf(deployments[i]!) !== orderOf(deployments[i - 1]!)) {
      levelEnds.push(i);
    }
  }
  const totalWeight = deployments.reduce((sum, d) => sum + d.weight, 0);
  return { name, deployments, totalWeight, levelEnds };
}

function orderOf(d: Deployment): number {
  return d.order ?? Number.POSITIVE_INFINITY;
}

function masterHash(hex: string | undefined): Buffer | undefined {
  return hex === undefined ? undefined : Buffer.from(hex, "latin1");
}
