import { z } from "zod";
import { PROVIDER_IDS } from "./providers.js";

/**
 * Everything the data plane decides from, immutable and versioned. The control plane
 * builds it (from the config file now, the database later); the data plane indexes it
 * into Maps and swaps it in with one assignment. It holds upstream secrets, so it is only
 * ever served to data-plane nodes.
 */

export const MockSettingsSchema = z.object({
  response: z.string().optional(),
  ttftMs: z.number().nonnegative(),
  tokensPerSecond: z.number().positive().optional(),
  errorRate: z.number().min(0).max(1),
  errorStatus: z.number().int(),
  embeddingDimensions: z.number().int().positive(),
});

export const DeploymentSchema = z.object({
  /** Stable across nodes and restarts: `model_info.id` or a hash of the deployment. */
  id: z.string(),
  /** The public name clients ask for (`model_name`). */
  modelName: z.string(),
  provider: z.enum(PROVIDER_IDS),
  /** The model name sent upstream. */
  model: z.string(),
  apiBase: z.string().optional(),
  apiKey: z.string().optional(),
  organization: z.string().optional(),
  apiVersion: z.string().optional(),
  timeoutMs: z.number().positive(),
  streamTimeoutMs: z.number().positive(),
  weight: z.number().nonnegative(),
  extraHeaders: z.record(z.string(), z.string()),
  mock: MockSettingsSchema.optional(),
  modelInfo: z.record(z.string(), z.unknown()),
});

export const SnapshotSchema = z.object({
  version: z.number().int().nonnegative(),
  builtAt: z.string(),
  /** SHA-256 (hex) of the master key; absent means open mode. */
  masterKeyHash: z.string().optional(),
  deployments: z.array(DeploymentSchema),
  settings: z.object({
    maxBodyBytes: z.number().int().positive(),
    gracefulShutdownMs: z.number().int().nonnegative(),
  }),
});

export type MockSettings = z.infer<typeof MockSettingsSchema>;
export type Deployment = z.infer<typeof DeploymentSchema>;
export type Snapshot = z.infer<typeof SnapshotSchema>;
