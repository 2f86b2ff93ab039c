/**
 * Provider ids a deployment's `litellm_params.model` may start with (`openai/gpt-4o`), and
 * how a bare model name (`gpt-4`, `claude-3-opus-20240229`) maps to one. Both planes use
 * this: the control plane to build deployments, the data plane to pick an adapter. A
 * provider listed here may still lack an adapter in this build; the data plane says so.
 */
export const PROVIDER_IDS = [
  "openai",
  "mock",
  "anthropic",
  "azure",
  "gemini",
  "groq",
  "mistral",
  "deepseek",
  "together_ai",
  "fireworks_ai",
  "openrouter",
  "xai",
  "perplexity",
  "hosted_vllm",
  "ollama_chat",
  "lm_studio",
] as const;

export type ProviderId = (typeof PROVIDER_IDS)[number];

const KNOWN = new Set<string>(PROVIDER_IDS);

const BARE_NAME_RULES: readonly [RegExp, ProviderId][] = [
  [/^claude-/, "anthropic"],
  [/^gemini-/, "gemini"],
];

export interface ResolvedModel {
  provider: ProviderId;
  /** The model name the upstream expects (the prefix removed). */
  model: string;
}

export function resolveProvider(model: string): ResolvedModel {
  const slash = model.indexOf("/");
  if (slash > 0) {
    const prefix = model.slice(0, slash);
    if (KNOWN.has(prefix)) return { provider: prefix as ProviderId, model: model.slice(slash + 1) };
  }
  for (const [pattern, provider] of BARE_NAME_RULES) {
    if (pattern.test(model)) return { provider, model };
  }
  // Bare names (gpt-4, text-embedding-3-small, or any model behind an OpenAI-compatible
  // api_base) speak the OpenAI API.
  return { provider: "openai", model };
}
