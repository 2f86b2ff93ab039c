// A large, deterministic snapshot for the scale bench: built directly as a `Snapshot`
// (schema/snapshot.ts), no database. Same counts → same snapshot, byte for byte.
import { createHash } from "node:crypto";
import type { SnapshotDelta } from "../schema/bus-messages.js";
import type { Deployment, KeyEntry, Snapshot, TeamEntry, UserEntry } from "../schema/snapshot.js";

export interface SnapshotSize {
  keys: number;
  deployments: number;
  users: number;
  teams: number;
  /** Deployments share this many public model names. */
  modelNames: number;
}

export const BUILT_AT = "2026-01-01T00:00:00.000Z";

export function largeSnapshot(size: SnapshotSize, version = 1): Snapshot {
  return {
    version,
    builtAt: BUILT_AT,
    masterKeyHash: sha256("sk-scale-master"),
    deployments: Array.from({ length: size.deployments }, (_, i) => deployment(i, size)),
    keys: Array.from({ length: size.keys }, (_, i) => keyEntry(i, size)),
    users: Array.from({ length: size.users }, (_, i) => userEntry(i, size)),
    teams: Array.from({ length: size.teams }, (_, i) => teamEntry(i, size)),
    settings: { maxBodyBytes: 100 * 1024 * 1024, gracefulShutdownMs: 30_000 },
  };
}

/** The snapshot after one key's settings changed (what `/key/update` does), as the control plane would rebuild it. */
export function withOneKeyChanged(prev: Snapshot, index: number): Snapshot {
  const keys = prev.keys.slice();
  const old = keys[index]!;
  keys[index] = { ...old, rpmLimit: (old.rpmLimit ?? 0) + 1 };
  return { ...prev, version: prev.version + 1, builtAt: BUILT_AT, keys };
}

/**
 * `count` one-key deltas, chained from `baseVersion`: alternately a new key (what
 * `/key/generate` publishes) and a changed one (`/key/update`).
 */
export function oneKeyDeltas(base: Snapshot, size: SnapshotSize, count: number): SnapshotDelta[] {
  const deltas: SnapshotDelta[] = [];
  for (let n = 0; n < count; n++) {
    const key =
      n % 2 === 0
        ? keyEntry(size.keys + n, size)
        : { ...base.keys[(n * 7919) % base.keys.length]!, rpmLimit: 1_000 + n };
    deltas.push(
      delta(base.version + n, `key.${n % 2 === 0 ? "generate" : "update"}`, { keys: [key] }),
    );
  }
  return deltas;
}

/** A delta that changes one deployment (regroups every model group on the node). */
export function oneDeploymentDelta(
  baseVersion: number,
  size: SnapshotSize,
  n: number,
): SnapshotDelta {
  const d = { ...deployment(n % size.deployments, size), weight: 1 + (n % 5) };
  return delta(baseVersion, "model.update", { deployments: [d] });
}

function delta(
  baseVersion: number,
  change: string,
  upsert: { keys?: KeyEntry[]; deployments?: Deployment[] },
): SnapshotDelta {
  return {
    version: baseVersion + 1,
    baseVersion,
    builtAt: BUILT_AT,
    change,
    upsert: {
      deployments: upsert.deployments ?? [],
      keys: upsert.keys ?? [],
      users: [],
      teams: [],
    },
    remove: { deployments: [], keys: [], users: [], teams: [] },
  };
}

function deployment(i: number, size: SnapshotSize): Deployment {
  return {
    id: `deployment-${i}`,
    modelName: `model-${i % size.modelNames}`,
    provider: "openai",
    model: `upstream-model-${i}`,
    apiBase: `https://upstream-${i % 10}.example.com/v1`,
    apiKey: `sk-upstream-${sha256(`upstream-${i}`).slice(0, 40)}`,
    timeoutMs: 600_000,
    streamTimeoutMs: 600_000,
    weight: 1 + (i % 3),
    extraHeaders: i % 10 === 0 ? { "x-tenant": `tenant-${i}` } : {},
    modelInfo: {
      id: `deployment-${i}`,
      input_cost_per_token: 0.000_001_5,
      output_cost_per_token: 0.000_002,
      max_tokens: 128_000,
    },
  };
}

function keyEntry(i: number, size: SnapshotSize): KeyEntry {
  const limited = i % 3 === 0;
  return {
    tokenHash: sha256(`sk-scale-${i}`),
    id: `key-${i.toString(16).padStart(8, "0")}-0000-4000-8000-000000000000`,
    keyName: `sk-...${sha256(`name-${i}`).slice(0, 4)}`,
    keyAlias: i % 4 === 0 ? `alias-${i}` : undefined,
    models:
      i % 5 === 0 ? [`model-${i % size.modelNames}`, `model-${(i + 1) % size.modelNames}`] : [],
    blocked: i % 997 === 0,
    expiresAt: i % 7 === 0 ? 1_893_456_000_000 : undefined,
    userId: `user-${i % size.users}`,
    teamId: i % 2 === 0 ? `team-${i % size.teams}` : undefined,
    rpmLimit: limited ? 600 : undefined,
    tpmLimit: limited ? 100_000 : undefined,
    maxParallelRequests: i % 11 === 0 ? 8 : undefined,
    maxBudget: i % 5 === 0 ? 100 : undefined,
    softBudget: undefined,
    budgetDuration: i % 5 === 0 ? "30d" : undefined,
    spend: (i % 1000) / 100,
  };
}

function userEntry(i: number, size: SnapshotSize): UserEntry {
  return {
    userId: `user-${i}`,
    role: "internal_user",
    models: [],
    rpmLimit: i % 2 === 0 ? 1_000 : undefined,
    maxBudget: i % 3 === 0 ? 500 : undefined,
    budgetDuration: i % 3 === 0 ? "30d" : undefined,
    spend: (i % size.teams) / 10,
  };
}

function teamEntry(i: number, size: SnapshotSize): TeamEntry {
  return {
    teamId: `team-${i}`,
    models: [`model-${i % size.modelNames}`],
    blocked: false,
    organizationId: `org-${i % 10}`,
    maxBudget: 10_000,
    budgetDuration: "30d",
    spend: i,
  };
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** The secret of a valid key of largeSnapshot (key `i`, or the next one when `i` is blocked). */
export function keySecret(i: number): string {
  return `sk-scale-${i % 997 === 0 ? i + 1 : i}`;
}
