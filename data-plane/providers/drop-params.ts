import { ApiError } from "../../schema/errors.js";
import type { Deployment } from "../../schema/snapshot.js";

/**
 * An OpenAI request param a provider has no field for. `neutral` says which values ask for
 * nothing the provider lacks (OpenAI's own defaults: `n: 1`, `logprobs: false`...): those are
 * dropped quietly, like an absent param. `why` is added to the error a client gets.
 */
export interface UnsupportedParam {
  readonly param: string;
  readonly neutral?: (value: unknown) => boolean;
  readonly why?: string;
}

/** OpenAI features no other provider's API has: every translating adapter lists these. */
export const OPENAI_ONLY_PARAMS: readonly UnsupportedParam[] = [
  { param: "audio" },
  { param: "prediction" },
  { param: "reasoning_effort" },
  { param: "verbosity" },
  { param: "web_search_options" },
  { param: "functions", why: "use tools" },
  { param: "function_call", why: "use tool_choice" },
];

/** OpenAI params that only concern OpenAI's own bookkeeping: never sent elsewhere, no error. */
export const OPENAI_BOOKKEEPING_PARAMS: readonly string[] = [
  "store",
  "metadata",
  "service_tier",
  "prompt_cache_key",
  "safety_identifier",
];

/**
 * The request params to remove before the call: those the provider does not take that the
 * client sent. Without `drop_params` (global or the deployment's own) sending one is the
 * client's error, named in `param`, as LiteLLM reports it. A null value means "not set" and
 * is dropped either way, as is a neutral value.
 */
export function paramsToDrop(
  body: Readonly<Record<string, unknown>>,
  unsupported: readonly (string | UnsupportedParam)[],
  deployment: Deployment,
): string[] {
  const drop: string[] = [];
  for (const row of unsupported) {
    const param = typeof row === "string" ? row : row.param;
    const value = body[param];
    if (value === undefined) continue;
    const quiet = value === null || (typeof row !== "string" && row.neutral?.(value) === true);
    if (!quiet && deployment.dropParams !== true) {
      const why = typeof row === "string" || row.why === undefined ? "" : ` (${row.why})`;
      throw new ApiError(
        400,
        `${param} is not supported by provider ${deployment.provider}${why}; set drop_params: true to drop it`,
        "invalid_request_error",
        "unsupported_parameter",
        param,
      );
    }
    drop.push(param);
  }
  return drop;
}

/** Neutral-value helpers for UnsupportedParam rows. */
export const is =
  (expected: unknown) =>
  (value: unknown): boolean =>
    value === expected;

/** `[ "text" ]` for `modalities`, `{type: "text"}` for `response_format`. */
export const isTextOnly = (value: unknown): boolean =>
  (Array.isArray(value) && value.length === 1 && value[0] === "text") ||
  (typeof value === "object" &&
    value !== null &&
    !Array.isArray(value) &&
    (value as { type?: unknown }).type === "text" &&
    Object.keys(value).length === 1);
