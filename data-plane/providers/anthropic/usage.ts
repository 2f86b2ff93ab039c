import type { Usage } from "../types.js";
import type { AnthropicUsage } from "./wire.js";

/**
 * Anthropic's usage → OpenAI's. Anthropic counts cached prompt tokens apart from
 * `input_tokens`; OpenAI counts them inside `prompt_tokens` and names the cache hits in
 * `prompt_tokens_details.cached_tokens`. Cache writes (billed at 1.25× input) go in
 * `cache_creation_tokens` when there are any, so costOf prices each part at its own rate.
 */
export function openAIUsage(u: AnthropicUsage): Usage {
  const cacheRead = u.cache_read_input_tokens ?? 0;
  const cacheWrite = u.cache_creation_input_tokens ?? 0;
  const prompt = (u.input_tokens ?? 0) + cacheRead + cacheWrite;
  const completion = u.output_tokens ?? 0;
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details:
      cacheWrite > 0
        ? { cached_tokens: cacheRead, cache_creation_tokens: cacheWrite }
        : { cached_tokens: cacheRead },
  };
}

/**
 * A stream reports usage twice: `message_start` (input, and output so far) and
 * `message_delta` (cumulative counts). Later non-null counts replace earlier ones.
 */
export function mergeUsage(into: AnthropicUsage, update: AnthropicUsage | undefined): void {
  if (update === undefined) return;
  for (const key of USAGE_KEYS) {
    const value = update[key];
    if (typeof value === "number") into[key] = value;
  }
}

const USAGE_KEYS = [
  "input_tokens",
  "output_tokens",
  "cache_creation_input_tokens",
  "cache_read_input_tokens",
] as const;
