import type { Usage } from "../providers/types.js";
import type { DeploymentPrice } from "./deployment-price.js";

/**
 * What a call cost, in USD. `prompt_tokens` includes cached and cache-written tokens (as
 * OpenAI reports them, and as the Anthropic adapter maps them); each part is priced at
 * its own rate.
 */
export function costOf(price: DeploymentPrice, usage: Usage | undefined): number {
  if (usage === undefined) return 0;
  const cached = usage.prompt_tokens_details?.cached_tokens ?? 0;
  const written = usage.prompt_tokens_details?.cache_creation_tokens ?? 0;
  const plain = Math.max(0, usage.prompt_tokens - cached - written);
  return (
    plain * price.inputPerToken +
    cached * price.cacheReadPerToken +
    written * price.cacheWritePerToken +
    usage.completion_tokens * price.outputPerToken
  );
}

/**
 * The most a call can cost before it is made: every prompt token at the input price
 * (an upper estimate is passed in) and `maxOutputTokens` at the output price.
 */
export function worstCaseCost(
  price: DeploymentPrice,
  promptTokens: number,
  maxOutputTokens: number,
): number {
  return promptTokens * price.inputPerToken + maxOutputTokens * price.outputPerToken;
}
