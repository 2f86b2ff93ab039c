import { createHash } from "node:crypto";
import type { Config, ModelEntry } from "../../schema/config.js";
import { resolveProvider } from "../../schema/providers.js";
import type { Deployment, Snapshot } from "../../schema/snapshot.js";
import { routerSettingsFromConfig } from "./router-settings.js";

const MB = 1024 * 1024;
const DEFAULTS = {
  timeoutSeconds: 600,
  maxRequestSizeMb: 16,
  gracefulShutdownSeconds: 30,
  mockEmbeddingDimensions: 1536,
} as const;

/** Builds the data plane's snapshot from a validated config file. */
export function buildSnapshotFromConfig(config: Config, version = 1): Snapshot {
  const general = config.general_settings ?? {};
  const defaultTimeout = defaultTimeoutSeconds(config);
  const usedIds = new Set<string>();
  const deployments = config.model_list.map((entry) => {
    const deployment = toDeployment(entry, defaultTimeout, config.litellm_settings?.drop_params);
    // Two identical entries (same params, same key) still get distinct ids.
    let id = deployment.id;
    for (let n = 2; usedIds.has(id); n++) id = `${deployment.id}-${n}`;
    usedIds.add(id);
    return { ...deployment, id };
  });
  return {
    version,
    builtAt: new Date().toISOString(),
    masterKeyHash: general.master_key === undefined ? undefined : sha256Hex(general.master_key),
    deployments,
    keys: [],
    users: [],
    teams: [],
    organizations: [],
    settings: {
      maxBodyBytes: Math.floor((general.max_request_size_mb ?? DEFAULTS.maxRequestSizeMb) * MB),
      gracefulShutdownMs: Math.floor(
        (general.graceful_shutdown_timeout ?? DEFAULTS.gracefulShutdownSeconds) * 1000,
      ),
      globalMaxRpm: general.global_max_rpm,
      globalMaxTpm: general.global_max_tpm,
      globalMaxBudget: general.max_budget,
      globalBudgetDuration: general.budget_duration,
      alertWebhookUrl: general.alerting_webhook_url,
      router: routerSettingsFromConfig(config),
      storePromptsInSpendLogs: general.store_prompts_in_spend_logs,
    },
  };
}

export function defaultTimeoutSeconds(config: Config): number {
  return (
    config.router_settings?.timeout ??
    config.litellm_settings?.request_timeout ??
    DEFAULTS.timeoutSeconds
  );
}

export function sha256Hex(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** A `model_list` entry (from the file or the database) as the data plane sees it. */
export function toDeployment(
  entry: ModelEntry,
  defaultTimeoutSeconds: number,
  /** `litellm_settings.drop_params`, for deployments that do not set their own. */
  dropParamsDefault?: boolean,
): Deployment {
  const p = entry.litellm_params;
  const { provider, model } = resolveProvider(p.model, p.api_base);
  const timeoutSeconds = p.timeout ?? defaultTimeoutSeconds;
  return {
    id: entry.model_info?.id ?? deploymentHash(entry),
    modelName: entry.model_name,
    provider,
    model,
    apiBase: p.api_base,
    apiKey: p.api_key,
    organization: p.organization,
    apiVersion: p.api_version,
    timeoutMs: timeoutSeconds * 1000,
    streamTimeoutMs: (p.stream_timeout ?? timeoutSeconds) * 1000,
    weight: p.weight ?? 1,
    extraHeaders: p.extra_headers ?? {},
    dropParams: p.drop_params ?? dropParamsDefault,
    rpm: p.rpm,
    tpm: p.tpm,
    maxParallelRequests: p.max_parallel_requests,
    order: p.order,
    tags: p.tags,
    mock:
      provider === "mock"
        ? {
            response: p.mock_response,
            ttftMs: p.mock_ttft_ms ?? 0,
            tokensPerSecond: p.mock_tokens_per_second,
            errorRate: p.mock_error_rate ?? 0,
            errorStatus: p.mock_error_status ?? 500,
            embeddingDimensions: p.mock_embedding_dimensions ?? DEFAULTS.mockEmbeddingDimensions,
          }
        : undefined,
    modelInfo: { ...(entry.model_info ?? {}) },
  };
}

/** Same entry → same id on every node and after every restart (LiteLLM does likewise). */
function deploymentHash(entry: ModelEntry): string {
  const stable = JSON.stringify([entry.model_name, sortKeys(entry.litellm_params)]);
  return sha256Hex(stable).slice(0, 16);
}

function sortKeys(obj: Record<string, unknown>): [string, unknown][] {
  return Object.keys(obj)
    .sort()
    .map((k) => [k, obj[k]]);
}
