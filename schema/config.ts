import { z } from "zod";
import { isDuration } from "./durations.js";

/**
 * The config file, in the shape LiteLLM Proxy users already write (`model_list`,
 * `router_settings`, `litellm_settings`, `general_settings`, `environment_variables`),
 * plus the sections the tutorial uses. Objects are loose: unknown keys are kept and
 * reported as warnings by the loader (see `unknownKeys`), never fatal.
 */

/** A number that may arrive as a string (e.g. from `os.environ/PORT`). */
const num = z.preprocess(
  (v) => (typeof v === "string" && v.trim() !== "" && !Number.isNaN(Number(v)) ? Number(v) : v),
  z.number(),
);
const nonNegative = z.preprocess(
  (v) => (typeof v === "string" && v.trim() !== "" && !Number.isNaN(Number(v)) ? Number(v) : v),
  z.number().nonnegative(),
);
/** A boolean that may arrive as a string ("true"/"false"). */
const bool = z.preprocess(
  (v) => (v === "true" || v === "True" ? true : v === "false" || v === "False" ? false : v),
  z.boolean(),
);
const stringList = z.array(z.string());
/**
 * A duration in seconds that a Node timer can hold (timers over 2^31-1 ms fire at once):
 * more than zero, at most ~24.8 days.
 */
const seconds = z.preprocess(
  (v) => (typeof v === "string" && v.trim() !== "" && !Number.isNaN(Number(v)) ? Number(v) : v),
  z.number().positive().max(2_147_483, "must be at most 2147483 seconds (~24.8 days)"),
);
/** An upstream base URL: http(s), with a host, and no query or fragment (they would be lost). */
const baseUrl = z.url({ protocol: /^https?$/, hostname: /.+/ }).refine((u) => {
  // Refinements run even when the URL check failed; only judge what parses.
  if (!URL.canParse(u)) return true;
  const parsed = new URL(u);
  return parsed.search === "" && parsed.hash === "";
}, "must be an http(s) URL without a query string or fragment (use api_version for Azure)");
/** HTTP header names must be tokens (RFC 9110), or every upstream call would fail. */
const headerMap = z.record(
  z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, "not a valid HTTP header name"),
  z.string(),
);

export const LitellmParamsSchema = z.looseObject({
  /** `provider/model` (e.g. `openai/gpt-4o`, `mock/echo`) or a bare model name to infer from. */
  model: z.string().min(1),
  api_base: baseUrl.optional(),
  api_key: z.string().optional(),
  organization: z.string().optional(),
  api_version: z.string().optional(),
  /** Whole-request timeout, seconds. */
  timeout: seconds.optional(),
  /** Time to the first byte of a stream, seconds. */
  stream_timeout: seconds.optional(),
  weight: nonNegative.optional(),
  rpm: nonNegative.optional(),
  tpm: nonNegative.optional(),
  max_parallel_requests: nonNegative.optional(),
  extra_headers: headerMap.optional(),
  /** Priority level in its group (lower first); see the router. */
  order: num.optional(),
  /** Tags for tag routing. */
  tags: stringList.optional(),
  /** This deployment's own `drop_params` (overrides `litellm_settings.drop_params`). */
  drop_params: bool.optional(),
  // The built-in mock provider.
  mock_response: z.string().optional(),
  mock_ttft_ms: nonNegative.optional(),
  mock_tokens_per_second: z
    .preprocess((v) => (typeof v === "string" ? Number(v) : v), z.number().positive())
    .optional(),
  mock_error_rate: z
    .preprocess((v) => (typeof v === "string" ? Number(v) : v), z.number().min(0).max(1))
    .optional(),
  mock_error_status: z
    .preprocess((v) => (typeof v === "string" ? Number(v) : v), z.number().int().min(400).max(599))
    .optional(),
  mock_embedding_dimensions: z
    .preprocess((v) => (typeof v === "string" ? Number(v) : v), z.number().int().min(1).max(8192))
    .optional(),
});

export const ModelInfoSchema = z.looseObject({
  id: z.string().min(1).optional(),
  mode: z.string().optional(),
  base_model: z.string().optional(),
  input_cost_per_token: nonNegative.optional(),
  output_cost_per_token: nonNegative.optional(),
  max_tokens: nonNegative.optional(),
  max_input_tokens: nonNegative.optional(),
  max_output_tokens: nonNegative.optional(),
});

export const ModelEntrySchema = z.looseObject({
  model_name: z.string().min(1),
  litellm_params: LitellmParamsSchema,
  model_info: ModelInfoSchema.optional(),
});

/** `[{"gpt-4": ["gpt-3.5"]}, ...]`, LiteLLM's shape for every kind of fallback list. */
const fallbackList = z.array(z.record(z.string(), stringList));

export const RetryPolicyConfigSchema = z.looseObject({
  AuthenticationErrorRetries: nonNegative.optional(),
  TimeoutErrorRetries: nonNegative.optional(),
  RateLimitErrorRetries: nonNegative.optional(),
  ContentPolicyViolationErrorRetries: nonNegative.optional(),
  InternalServerErrorRetries: nonNegative.optional(),
});

export const RouterSettingsSchema = z.looseObject({
  routing_strategy: z
    .enum([
      "simple-shuffle",
      "least-busy",
      "latency-based-routing",
      "usage-based-routing",
      "usage-based-routing-v2",
      "cost-based-routing",
    ])
    .optional(),
  routing_strategy_args: z
    .looseObject({ lowest_latency_buffer: nonNegative.optional() })
    .optional(),
  num_retries: nonNegative.optional(),
  retry_policy: RetryPolicyConfigSchema.optional(),
  /** Least seconds to wait before a retry. */
  retry_after: nonNegative.optional(),
  timeout: seconds.optional(),
  fallbacks: fallbackList.optional(),
  context_window_fallbacks: fallbackList.optional(),
  content_policy_fallbacks: fallbackList.optional(),
  default_fallbacks: stringList.optional(),
  max_fallbacks: nonNegative.optional(),
  model_group_alias: z.record(z.string(), z.string()).optional(),
  enable_tag_filtering: bool.optional(),
  allowed_fails: nonNegative.optional(),
  cooldown_time: nonNegative.optional(),
  disable_cooldowns: bool.optional(),
  redis_host: z.string().optional(),
  redis_port: num.optional(),
  redis_password: z.string().optional(),
});

export const LitellmSettingsSchema = z.looseObject({
  drop_params: bool.optional(),
  num_retries: nonNegative.optional(),
  request_timeout: seconds.optional(),
  fallbacks: fallbackList.optional(),
  context_window_fallbacks: fallbackList.optional(),
  content_policy_fallbacks: fallbackList.optional(),
  default_fallbacks: stringList.optional(),
  allowed_fails: nonNegative.optional(),
  cooldown_time: nonNegative.optional(),
  cache: bool.optional(),
  cache_ttl: nonNegative.optional(),
  cache_params: z.record(z.string(), z.unknown()).optional(),
  cost_tracking: bool.optional(),
  set_verbose: bool.optional(),
});

export const GeneralSettingsSchema = z.looseObject({
  master_key: z.string().min(1).optional(),
  database_url: z.string().optional(),
  /** Largest accepted request body, in megabytes (LiteLLM's name). */
  max_request_size_mb: z
    .preprocess(
      (v) => (typeof v === "string" ? Number(v) : v),
      z.number().min(0.001, "must be at least 0.001 (1 KB)").max(2048, "must be at most 2048"),
    )
    .optional(),
  /** Seconds in-flight requests get to finish on SIGINT/SIGTERM. */
  graceful_shutdown_timeout: z
    .preprocess(
      (v) => (typeof v === "string" && v.trim() !== "" ? Number(v) : v),
      z.number().nonnegative().max(3600, "must be at most 3600 seconds"),
    )
    .optional(),
  global_max_rpm: nonNegative.optional(),
  global_max_tpm: nonNegative.optional(),
  /** The whole gateway's budget, in USD, per `budget_duration` (or for ever). */
  max_budget: nonNegative.optional(),
  budget_duration: z.string().optional(),
  /** Soft-budget alerts are POSTed here as JSON. */
  alerting_webhook_url: z.url({ protocol: /^https?$/ }).optional(),
  /** Spend records keep the request's messages (off: no prompt is stored). */
  store_prompts_in_spend_logs: bool.optional(),
  /** Spend log rows older than this (`90d`, `12h`) are deleted; daily aggregates stay. */
  spend_logs_retention: z
    .string()
    .refine(isDuration, "must be a duration such as 90d, 12h or 1mo")
    .optional(),
  log_level: z
    .preprocess(
      (v) => (typeof v === "string" ? v.toLowerCase() : v),
      z.enum(["trace", "debug", "info", "warn", "warning", "error", "fatal", "silent"]),
    )
    .optional(),
});

export const UserConfigEntrySchema = z.looseObject({
  user_id: z.string().min(1),
  user_email: z.string().optional(),
  user_role: z.string().optional(),
  models: stringList.optional(),
  max_budget: nonNegative.optional(),
  budget_duration: z.string().optional(),
  rpm_limit: nonNegative.optional(),
  tpm_limit: nonNegative.optional(),
  max_parallel_requests: nonNegative.optional(),
});

export const ConfigSchema = z.looseObject({
  model_list: z.array(ModelEntrySchema).default([]),
  router_settings: RouterSettingsSchema.optional(),
  litellm_settings: LitellmSettingsSchema.optional(),
  general_settings: GeneralSettingsSchema.optional(),
  environment_variables: z
    .record(z.string(), z.union([z.string(), z.number(), z.boolean()]))
    .optional(),
  // Sections the tutorial uses.
  user_config: z.array(UserConfigEntrySchema).optional(),
  rate_limit_config: z
    .looseObject({ redis_host: z.string().optional(), redis_port: num.optional() })
    .optional(),
  fallback_mapping: z.record(z.string(), stringList).optional(),
  cache_settings: z
    .looseObject({
      type: z.string().optional(),
      host: z.string().optional(),
      port: num.optional(),
      password: z.string().optional(),
      similarity_threshold: num.optional(),
    })
    .optional(),
  logging: z.array(z.looseObject({ type: z.string() })).optional(),
});

export type Config = z.infer<typeof ConfigSchema>;
export type ModelEntry = z.infer<typeof ModelEntrySchema>;
export type LitellmParams = z.infer<typeof LitellmParamsSchema>;

/**
 * Paths of keys present in `value` that `schema` does not name. Loose objects keep such
 * keys; the loader warns about each so that a typo does not pass silently.
 */
export function unknownKeys(
  schema: z.ZodType,
  value: unknown,
  path: (string | number)[] = [],
): string[] {
  const inner = unwrap(schema);
  if (inner instanceof z.ZodObject) {
    if (!isPlainObject(value)) return [];
    const shape = inner.shape as Record<string, z.ZodType>;
    const out: string[] = [];
    for (const [key, child] of Object.entries(value)) {
      const childSchema = shape[key];
      if (childSchema === undefined) out.push(formatPath([...path, key]));
      else out.push(...unknownKeys(childSchema, child, [...path, key]));
    }
    return out;
  }
  if (inner instanceof z.ZodArray && Array.isArray(value)) {
    return value.flatMap((item, i) => unknownKeys(inner.element as z.ZodType, item, [...path, i]));
  }
  return [];
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out === "" ? String(part) : `.${String(part)}`;
  }
  return out === "" ? "(root)" : out;
}

function unwrap(schema: z.ZodType): z.ZodType {
  let s: z.ZodType = schema;
  for (;;) {
    if (s instanceof z.ZodOptional || s instanceof z.ZodNullable || s instanceof z.ZodDefault) {
      s = s.unwrap() as z.ZodType;
    } else return s;
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
