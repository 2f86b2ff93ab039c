import type { Usage } from "../types.js";
import type { GeminiUsageMetadata } from "./wire.js";

/** OpenAI usage, with the reasoning share of completion tokens as OpenAI reports it. */
export interface GeminiUsage extends Usage {
  completion_tokens_details?: { reasoning_tokens: number };
}

/**
 * `usageMetadata` → OpenAI usage. Thinking tokens are billed as output, so they count as
 * completion tokens (and are also reported as reasoning_tokens); tokens of tool-use
 * prompts count as prompt tokens, so the parts add up to Google's total.
 */
export function usageFromMetadata(m: GeminiUsageMetadata | undefined): GeminiUsage | undefined {
  if (m === undefined) return undefined;
  const prompt = (m.promptTokenCount ?? 0) + (m.toolUsePromptTokenCount ?? 0);
  const thoughts = m.thoughtsTokenCount ?? 0;
  const completion = (m.candidatesTokenCount ?? 0) + thoughts;
  const usage: GeminiUsage = {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: m.totalTokenCount ?? prompt + completion,
  };
  if (m.cachedContentTokenCount !== undefined) {
    usage.prompt_tokens_details = { cached_tokens: m.cachedContentTokenCount };
  }
  if (thoughts > 0) usage.completion_tokens_details = { reasoning_tokens: thoughts };
  return usage;
}
