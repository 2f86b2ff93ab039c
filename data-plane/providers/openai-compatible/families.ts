import type { ProviderId } from "../../../schema/providers.js";

/**
 * A provider that speaks OpenAI's API at its own address: the whole difference is data.
 * Variable names are LiteLLM's, so its configs and environments work unchanged. Keys are
 * never in this table; they come from `api_key` or the named variable.
 */
export interface Family {
  /** Used when the deployment sets no `api_base`; absent means `api_base` is required. */
  readonly apiBase?: string;
  /** A variable that may hold the base URL, before the default. */
  readonly apiBaseEnv?: string;
  /** The variable holding the API key, sent as `Authorization: Bearer`. */
  readonly apiKeyEnv?: string;
  /** Refuse the call here, naming the variable, rather than let the upstream answer 401. */
  readonly keyRequired: boolean;
  /** Optional headers filled from variables when set (header name → variable). */
  readonly headersFromEnv?: Readonly<Record<string, string>>;
  /** OpenAI request params the upstream refuses: dropped with drop_params, else a 400. */
  readonly unsupportedParams: readonly string[];
  /** Takes `stream_options` (how a stream is asked for its usage chunk). */
  readonly streamOptions: boolean;
  /** Serves `GET {api_base}/models`, the free health probe. */
  readonly models: boolean;
  /** Appended to an `api_base` that has no path (LiteLLM configs give Ollama's bare). */
  readonly pathIfBare?: string;
}

// Unsupported params are only those a provider's docs (or a widely used client's notes)
// say it refuses; when in doubt a param stays supported and the upstream has its say.
export const FAMILIES = {
  groq: {
    apiBase: "https://api.groq.com/openai/v1",
    apiKeyEnv: "GROQ_API_KEY",
    keyRequired: true,
    // console.groq.com/docs/openai: "will result in a 400 error if they are supplied".
    unsupportedParams: ["logprobs", "logit_bias", "top_logprobs"],
    streamOptions: true,
    models: true,
  },
  mistral: {
    apiBase: "https://api.mistral.ai/v1",
    apiKeyEnv: "MISTRAL_API_KEY",
    keyRequired: true,
    // Mistral rejects fields outside its schema; LibreChat's Mistral notes say `user` must be
    // dropped. It returns usage in the last chunk unasked, and stream_options is not its field.
    unsupportedParams: ["user"],
    streamOptions: false,
    models: true,
  },
  deepseek: {
    apiBase: "https://api.deepseek.com/v1",
    apiKeyEnv: "DEEPSEEK_API_KEY",
    keyRequired: true,
    unsupportedParams: [],
    streamOptions: true,
    models: true,
  },
  together_ai: {
    apiBase: "https://api.together.xyz/v1",
    apiKeyEnv: "TOGETHERAI_API_KEY",
    keyRequired: true,
    unsupportedParams: [],
    streamOptions: true,
    models: true,
  },
  fireworks_ai: {
    apiBase: "https://api.fireworks.ai/inference/v1",
    apiKeyEnv: "FIREWORKS_AI_API_KEY",
    keyRequired: true,
    unsupportedParams: [],
    streamOptions: true,
    models: true,
  },
  openrouter: {
    apiBase: "https://openrouter.ai/api/v1",
    apiKeyEnv: "OPENROUTER_API_KEY",
    keyRequired: true,
    // OpenRouter's optional app attribution; LiteLLM reads these two variables.
    headersFromEnv: { "HTTP-Referer": "OR_SITE_URL", "X-Title": "OR_APP_NAME" },
    unsupportedParams: [],
    streamOptions: true,
    models: true,
  },
  xai: {
    apiBase: "https://api.x.ai/v1",
    apiKeyEnv: "XAI_API_KEY",
    keyRequired: true,
    unsupportedParams: [],
    streamOptions: true,
    models: true,
  },
  perplexity: {
    apiBase: "https://api.perplexity.ai",
    apiKeyEnv: "PERPLEXITYAI_API_KEY",
    keyRequired: true,
    // Sonar has no function calling. It reports usage in its chunks unasked, has no model
    // list endpoint, and stream_options is not among its documented params.
    unsupportedParams: ["tools", "tool_choice"],
    streamOptions: false,
    models: false,
  },
  hosted_vllm: {
    apiBaseEnv: "HOSTED_VLLM_API_BASE",
    apiKeyEnv: "HOSTED_VLLM_API_KEY",
    keyRequired: false,
    unsupportedParams: [],
    streamOptions: true,
    models: true,
  },
  ollama_chat: {
    apiBase: "http://localhost:11434/v1",
    apiBaseEnv: "OLLAMA_API_BASE",
    keyRequired: false,
    unsupportedParams: [],
    streamOptions: true,
    models: true,
    pathIfBare: "/v1",
  },
  lm_studio: {
    apiBase: "http://localhost:1234/v1",
    apiBaseEnv: "LM_STUDIO_API_BASE",
    apiKeyEnv: "LM_STUDIO_API_KEY",
    keyRequired: false,
    unsupportedParams: [],
    streamOptions: true,
    models: true,
  },
} as const satisfies Partial<Record<ProviderId, Family>>;

export type FamilyId = keyof typeof FAMILIES;
