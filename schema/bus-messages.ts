import { z } from "zod";
import {
  DeploymentSchema,
  KeyEntrySchema,
  OrganizationEntrySchema,
  SettingsSchema,
  TeamEntrySchema,
  UserEntrySchema,
} from "./snapshot.js";

/**
 * What travels on the bus. The control plane publishes a delta for every committed change
 * (version n → n+1) and, every second, the latest version, so that a node that missed a
 * delta sees the gap even when nothing else changes. Nodes publish heartbeats.
 */

export const SnapshotDeltaSchema = z.object({
  /** The version after this delta. */
  version: z.number().int().positive(),
  /** The version this delta applies to; a node at another version refetches the whole. */
  baseVersion: z.number().int().nonnegative(),
  builtAt: z.string(),
  /** What changed, for people: e.g. `key.generate`. */
  change: z.string(),
  upsert: z.object({
    deployments: z.array(DeploymentSchema),
    keys: z.array(KeyEntrySchema),
    users: z.array(UserEntrySchema),
    teams: z.array(TeamEntrySchema),
    organizations: z.array(OrganizationEntrySchema).optional(),
  }),
  /** Ids of deployments, token hashes of keys, user ids, team ids, organization ids. */
  remove: z.object({
    deployments: z.array(z.string()),
    keys: z.array(z.string()),
    users: z.array(z.string()),
    teams: z.array(z.string()),
    organizations: z.array(z.string()).optional(),
  }),
  settings: SettingsSchema.optional(),
  /** Present when the master key changed; null = now open mode. */
  masterKeyHash: z.string().nullable().optional(),
});

export const SnapshotMessageSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("delta"), delta: SnapshotDeltaSchema }),
  z.object({
    type: z.literal("version"),
    version: z.number().int().nonnegative(),
    builtAt: z.string(),
  }),
]);

export const NodeHeartbeatSchema = z.object({
  nodeId: z.string(),
  /** Where the node serves, as it sees itself (host:port). */
  address: z.string(),
  version: z.number().int().nonnegative(),
  stale: z.boolean(),
  /** Epoch ms of the last successful sync with the control plane. */
  lastSyncAt: z.number(),
  /** Epoch ms when sent. */
  at: z.number(),
});

export type SnapshotDelta = z.infer<typeof SnapshotDeltaSchema>;
export type SnapshotMessage = z.infer<typeof SnapshotMessageSchema>;
export type NodeHeartbeat = z.infer<typeof NodeHeartbeatSchema>;
