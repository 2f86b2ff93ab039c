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
  /** A ProviderId, or an unknown `prefix/` kept as is (then no adapter serves it). */
  provider: string;
  /** The model name the upstream expects (the prefix removed). */
  model: string;
}

/**
 * `provider/model` → provider and upstream model. An unknown prefix (`bedrock/...`) is
 * never guessed to be OpenAI, which would send prompts to api.openai.com: with an
 * `api_base` the whole string is a model name on that OpenAI-compatible server
 * (`meta-llama/Llama-3-8b` on vLLM), without one it stays an unsupported provider.
 */
export function resolveProvider(model: string, apiBase?: string): ResolvedModel {
  const slash = model.indexOf("/");
  if (slash > 0) {
    const prefix = model.slice(0, slash);
    if (KNOWN.has(prefix)) return { provider: prefix, model: model.slice(slash + 1) };
    if (apiBase === undefined) return { provider: prefix, model: model.slice(slash + 1) };
    return { provider: "openai", model };
  }
  for (const [pattern, provider] of BARE_NAME_RULES) {
    if (pattern.test(model)) return { provider, model };
  }
  // Bare names (gpt-4, text-embedding-3-small, or any model behind an OpenAI-compatible
  // api_base) speak the OpenAI API.
  return { provider: "openai", model };
}
