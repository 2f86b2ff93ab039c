import { z } from "zod";

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
  /** A ProviderId, or an unknown prefix that no adapter serves. */
  provider: z.string(),
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
  /** Drop request params the provider does not take instead of refusing them. */
  dropParams: z.boolean().optional(),
  /** This deployment's own limits (`litellm_params.rpm` / `tpm` / `max_parallel_requests`). */
  rpm: z.number().nonnegative().optional(),
  tpm: z.number().nonnegative().optional(),
  maxParallelRequests: z.number().nonnegative().optional(),
  /** Priority level within its group: lower first, higher only when lower ones are unavailable. */
  order: z.number().optional(),
  /** Tags for tag routing (`litellm_params.tags`). */
  tags: z.array(z.string()).optional(),
  mock: MockSettingsSchema.optional(),
  modelInfo: z.record(z.string(), z.unknown()),
});

/** Limits and budget shared by keys, users and teams (absent = no limit). */
const LimitsShape = {
  rpmLimit: z.number().int().nonnegative().optional(),
  tpmLimit: z.number().int().nonnegative().optional(),
  maxParallelRequests: z.number().int().nonnegative().optional(),
  maxBudget: z.number().nonnegative().optional(),
  softBudget: z.number().nonnegative().optional(),
  budgetDuration: z.string().optional(),
  /** Spend in the current budget window, as the control plane last knew it. */
  spend: z.number().nonnegative(),
  /**
   * Epoch ms the current budget window ends (`budget_reset_at`): windows of `budgetDuration`
   * follow each other from here, and `spend` counts the window that ends here.
   */
  budgetResetAt: z.number().optional(),
};

export const KeyEntrySchema = z.object({
  /** SHA-256 (hex) of the key: the lookup key on the hot path. */
  tokenHash: z.string(),
  /** The key's id (stable across regeneration). */
  id: z.string(),
  keyName: z.string(),
  keyAlias: z.string().optional(),
  /** Model names this key may use; empty = no restriction of its own. */
  models: z.array(z.string()),
  blocked: z.boolean(),
  /** Epoch ms after which the key is refused. */
  expiresAt: z.number().optional(),
  userId: z.string().optional(),
  teamId: z.string().optional(),
  ...LimitsShape,
});

export const UserEntrySchema = z.object({
  userId: z.string(),
  role: z.string(),
  models: z.array(z.string()),
  ...LimitsShape,
});

export const TeamEntrySchema = z.object({
  teamId: z.string(),
  models: z.array(z.string()),
  blocked: z.boolean(),
  organizationId: z.string().optional(),
  ...LimitsShape,
});

export const OrganizationEntrySchema = z.object({
  organizationId: z.string(),
  models: z.array(z.string()),
  maxBudget: z.number().nonnegative().optional(),
  budgetDuration: z.string().optional(),
  budgetResetAt: z.number().optional(),
  spend: z.number().nonnegative(),
});

/** How requests are spread over a group's deployments (`router_settings.routing_strategy`). */
export const ROUTING_STRATEGIES = [
  "simple-shuffle",
  "least-busy",
  "latency-based-routing",
  "usage-based-routing",
  "cost-based-routing",
] as const;

const fallbackMap = z.record(z.string(), z.array(z.string()));

/** Retries per error class (`router_settings.retry_policy`); absent = `numRetries`. */
export const RetryPolicySchema = z.object({
  auth: z.number().int().nonnegative().optional(),
  timeout: z.number().int().nonnegative().optional(),
  rateLimit: z.number().int().nonnegative().optional(),
  contentPolicy: z.number().int().nonnegative().optional(),
  server: z.number().int().nonnegative().optional(),
});

/** The router's settings, from `router_settings` and `litellm_settings` (see the README). */
export const RouterSettingsSchema = z.object({
  strategy: z.enum(ROUTING_STRATEGIES),
  numRetries: z.number().int().nonnegative(),
  retryPolicy: RetryPolicySchema,
  /** Least wait before a retry, ms (`retry_after`); backoff grows from `retryBaseMs`. */
  retryMinMs: z.number().nonnegative(),
  retryBaseMs: z.number().nonnegative(),
  /** Failures a deployment may have within a minute before it cools down. */
  allowedFails: z.number().int().nonnegative(),
  cooldownMs: z.number().nonnegative(),
  disableCooldowns: z.boolean(),
  fallbacks: fallbackMap,
  contextWindowFallbacks: fallbackMap,
  contentPolicyFallbacks: fallbackMap,
  defaultFallbacks: z.array(z.string()),
  maxFallbacks: z.number().int().nonnegative(),
  modelGroupAlias: z.record(z.string(), z.string()),
  enableTagFiltering: z.boolean(),
  /** latency-based-routing: deployments within this fraction of the fastest share traffic. */
  latencyBuffer: z.number().nonnegative(),
});

export const SettingsSchema = z.object({
  maxBodyBytes: z.number().int().positive(),
  gracefulShutdownMs: z.number().int().nonnegative(),
  /** `general_settings.global_max_rpm` / `global_max_tpm`: the whole gateway's limits. */
  globalMaxRpm: z.number().nonnegative().optional(),
  globalMaxTpm: z.number().nonnegative().optional(),
  /** `general_settings.max_budget` / `budget_duration`: the whole gateway's budget. */
  globalMaxBudget: z.number().nonnegative().optional(),
  globalBudgetDuration: z.string().optional(),
  /** Where soft-budget alerts are POSTed (`general_settings.alerting_webhook_url`). */
  alertWebhookUrl: z.string().optional(),
  /** Absent: the defaults (DEFAULT_ROUTER_SETTINGS). */
  router: RouterSettingsSchema.optional(),
  /** `general_settings.store_prompts_in_spend_logs`: spend records keep the request's messages. */
  storePromptsInSpendLogs: z.boolean().optional(),
});

export const SnapshotSchema = z.object({
  version: z.number().int().nonnegative(),
  builtAt: z.string(),
  /** SHA-256 (hex) of the master key; absent means open mode. */
  masterKeyHash: z.string().optional(),
  deployments: z.array(DeploymentSchema),
  keys: z.array(KeyEntrySchema),
  users: z.array(UserEntrySchema),
  teams: z.array(TeamEntrySchema),
  /** Organizations, for their budgets (teams name theirs). */
  organizations: z.array(OrganizationEntrySchema).optional(),
  settings: SettingsSchema,
});

export type MockSettings = z.infer<typeof MockSettingsSchema>;
export type Deployment = z.infer<typeof DeploymentSchema>;
export type KeyEntry = z.infer<typeof KeyEntrySchema>;
export type UserEntry = z.infer<typeof UserEntrySchema>;
export type TeamEntry = z.infer<typeof TeamEntrySchema>;
export type OrganizationEntry = z.infer<typeof OrganizationEntrySchema>;
export type Snapshot = z.infer<typeof SnapshotSchema>;
export type RouterSettings = z.infer<typeof RouterSettingsSchema>;
export type RoutingStrategy = RouterSettings["strategy"];

/** LiteLLM's defaults, except `numRetries` (0: a retry is opted into). */
export const DEFAULT_ROUTER_SETTINGS: RouterSettings = {
  strategy: "simple-shuffle",
  numRetries: 0,
  retryPolicy: {},
  retryMinMs: 0,
  retryBaseMs: 100,
  allowedFails: 3,
  cooldownMs: 5_000,
  disableCooldowns: false,
  fallbacks: {},
  contextWindowFallbacks: {},
  contentPolicyFallbacks: {},
  defaultFallbacks: [],
  maxFallbacks: 5,
  modelGroupAlias: {},
  enableTagFiltering: false,
  latencyBuffer: 0,
};

/** A model list entry that grants every model (LiteLLM's spelling, and ours). */
export const ALL_MODELS = new Set(["*", "all-proxy-models"]);
