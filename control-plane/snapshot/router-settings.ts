import type { Config } from "../../schema/config.js";
import { DEFAULT_ROUTER_SETTINGS, type RouterSettings } from "../../schema/snapshot.js";

/**
 * The router's settings from `router_settings` (first) and `litellm_settings`, in the
 * snapshot's shape. Fallback lists of every kind merge their `[{model: [...]}, ...]` entries;
 * the tutorial's top-level `fallback_mapping` adds to `fallbacks`.
 */
export function routerSettingsFromConfig(config: Config): RouterSettings {
  const r = config.router_settings ?? {};
  const l = config.litellm_settings ?? {};
  const d = DEFAULT_ROUTER_SETTINGS;
  const policy = r.retry_policy ?? {};
  const strategy =
    r.routing_strategy === "usage-based-routing-v2" ? "usage-based-routing" : r.routing_strategy;
  return {
    strategy: strategy ?? d.strategy,
    numRetries: Math.floor(r.num_retries ?? l.num_retries ?? d.numRetries),
    retryPolicy: {
      auth: whole(policy.AuthenticationErrorRetries),
      timeout: whole(policy.TimeoutErrorRetries),
      rateLimit: whole(policy.RateLimitErrorRetries),
      contentPolicy: whole(policy.ContentPolicyViolationErrorRetries),
      server: whole(policy.InternalServerErrorRetries),
    },
    retryMinMs: (r.retry_after ?? 0) * 1000,
    retryBaseMs: d.retryBaseMs,
    allowedFails: Math.floor(r.allowed_fails ?? l.allowed_fails ?? d.allowedFails),
    cooldownMs: (r.cooldown_time ?? l.cooldown_time ?? d.cooldownMs / 1000) * 1000,
    disableCooldowns: r.disable_cooldowns ?? false,
    fallbacks: merge(r.fallbacks, l.fallbacks, config.fallback_mapping),
    contextWindowFallbacks: merge(r.context_window_fallbacks, l.context_window_fallbacks),
    contentPolicyFallbacks: merge(r.content_policy_fallbacks, l.content_policy_fallbacks),
    defaultFallbacks: r.default_fallbacks ?? l.default_fallbacks ?? [],
    maxFallbacks: Math.floor(r.max_fallbacks ?? d.maxFallbacks),
    modelGroupAlias: r.model_group_alias ?? {},
    enableTagFiltering: r.enable_tag_filtering ?? false,
    latencyBuffer: r.routing_strategy_args?.lowest_latency_buffer ?? d.latencyBuffer,
  };
}

function whole(n: number | undefined): number | undefined {
  return n === undefined ? undefined : Math.floor(n);
}

/** Earlier sources win for a model named in several. */
function merge(
  ...sources: (readonly Record<string, string[]>[] | Record<string, string[]> | undefined)[]
): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const source of sources) {
    if (source === undefined) continue;
    for (const entry of Array.isArray(source) ? source : [source]) {
      for (const [model, list] of Object.entries(entry as Record<string, string[]>)) {
        out[model] ??= list;
      }
    }
  }
  return out;
}
