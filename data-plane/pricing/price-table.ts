/**
 * Built-in list prices, in USD per million tokens, from the providers' public price pages
 * (standard tier, no batch discount). Keys are `provider/model`; a dated model name
 * (`gpt-4o-2024-08-06`) finds its family by the longest matching prefix. Deployments
 * override any of these with `model_info.input_cost_per_token` and friends.
 */
export interface TablePrice {
  /** USD per 1M prompt tokens. */
  readonly input: number;
  /** USD per 1M completion tokens. */
  readonly output: number;
  /** USD per 1M prompt tokens read from the provider's prompt cache. */
  readonly cacheRead?: number;
  /** USD per 1M prompt tokens written to the provider's prompt cache (Anthropic). */
  readonly cacheWrite?: number;
  /** Context window, tokens. */
  readonly context: number;
  /** Most completion tokens one call may produce. */
  readonly maxOutput: number;
}

/** Anthropic prices cache writes at 1.25× and cache reads at 0.1× the input price. */
function claude(input: number, output: number, maxOutput: number, context = 200_000): TablePrice {
  return { input, output, cacheRead: input * 0.1, cacheWrite: input * 1.25, context, maxOutput };
}

function price(
  input: number,
  output: number,
  context: number,
  maxOutput: number,
  cacheRead?: number,
): TablePrice {
  return cacheRead === undefined
    ? { input, output, context, maxOutput }
    : { input, output, context, maxOutput, cacheRead };
}

export const PRICE_TABLE: ReadonlyMap<string, TablePrice> = new Map([
  // OpenAI (cached input as OpenAI bills it)
  ["openai/gpt-5", price(1.25, 10, 400_000, 128_000, 0.125)],
  ["openai/gpt-5-mini", price(0.25, 2, 400_000, 128_000, 0.025)],
  ["openai/gpt-5-nano", price(0.05, 0.4, 400_000, 128_000, 0.005)],
  ["openai/gpt-4.1", price(2, 8, 1_047_576, 32_768, 0.5)],
  ["openai/gpt-4.1-mini", price(0.4, 1.6, 1_047_576, 32_768, 0.1)],
  ["openai/gpt-4.1-nano", price(0.1, 0.4, 1_047_576, 32_768, 0.025)],
  ["openai/gpt-4o", price(2.5, 10, 128_000, 16_384, 1.25)],
  ["openai/gpt-4o-mini", price(0.15, 0.6, 128_000, 16_384, 0.075)],
  ["openai/gpt-4-turbo", price(10, 30, 128_000, 4_096)],
  ["openai/gpt-4", price(30, 60, 8_192, 4_096)],
  ["openai/gpt-3.5-turbo", price(0.5, 1.5, 16_385, 4_096)],
  ["openai/gpt-3.5-turbo-instruct", price(1.5, 2, 4_096, 4_096)],
  ["openai/o1", price(15, 60, 200_000, 100_000, 7.5)],
  ["openai/o1-mini", price(1.1, 4.4, 128_000, 65_536, 0.55)],
  ["openai/o3", price(2, 8, 200_000, 100_000, 0.5)],
  ["openai/o3-mini", price(1.1, 4.4, 200_000, 100_000, 0.55)],
  ["openai/o4-mini", price(1.1, 4.4, 200_000, 100_000, 0.275)],
  ["openai/text-embedding-3-small", price(0.02, 0, 8_191, 0)],
  ["openai/text-embedding-3-large", price(0.13, 0, 8_191, 0)],
  ["openai/text-embedding-ada-002", price(0.1, 0, 8_191, 0)],
  // Anthropic
  ["anthropic/claude-opus-4-5", claude(5, 25, 64_000)],
  ["anthropic/claude-opus-4-1", claude(15, 75, 32_000)],
  ["anthropic/claude-opus-4", claude(15, 75, 32_000)],
  ["anthropic/claude-sonnet-4-5", claude(3, 15, 64_000)],
  ["anthropic/claude-sonnet-4", claude(3, 15, 64_000)],
  ["anthropic/claude-haiku-4-5", claude(1, 5, 64_000)],
  ["anthropic/claude-3-7-sonnet", claude(3, 15, 64_000)],
  ["anthropic/claude-3-5-sonnet", claude(3, 15, 8_192)],
  ["anthropic/claude-3-5-haiku", claude(0.8, 4, 8_192)],
  ["anthropic/claude-3-opus", claude(15, 75, 4_096)],
  ["anthropic/claude-3-sonnet", claude(3, 15, 4_096)],
  ["anthropic/claude-3-haiku", claude(0.25, 1.25, 4_096)],
  // Gemini (Google AI Studio, prompts up to the first price tier)
  ["gemini/gemini-2.5-pro", price(1.25, 10, 1_048_576, 65_536, 0.31)],
  ["gemini/gemini-2.5-flash", price(0.3, 2.5, 1_048_576, 65_536, 0.075)],
  ["gemini/gemini-2.5-flash-lite", price(0.1, 0.4, 1_048_576, 65_536, 0.025)],
  ["gemini/gemini-2.0-flash", price(0.1, 0.4, 1_048_576, 8_192, 0.025)],
  ["gemini/gemini-2.0-flash-lite", price(0.075, 0.3, 1_048_576, 8_192)],
  ["gemini/gemini-1.5-pro", price(1.25, 5, 2_097_152, 8_192)],
  ["gemini/gemini-1.5-flash", price(0.075, 0.3, 1_048_576, 8_192)],
  ["gemini/gemini-embedding-001", price(0.15, 0, 2_048, 0)],
  // Mistral
  ["mistral/mistral-large-latest", price(2, 6, 131_072, 131_072)],
  ["mistral/mistral-medium-latest", price(0.4, 2, 131_072, 131_072)],
  ["mistral/mistral-small-latest", price(0.1, 0.3, 131_072, 131_072)],
  ["mistral/codestral-latest", price(0.3, 0.9, 262_144, 262_144)],
  ["mistral/open-mistral-nemo", price(0.15, 0.15, 131_072, 131_072)],
  ["mistral/mistral-embed", price(0.1, 0, 8_192, 0)],
  // Groq-hosted
  ["groq/llama-3.3-70b-versatile", price(0.59, 0.79, 131_072, 32_768)],
  ["groq/llama-3.1-8b-instant", price(0.05, 0.08, 131_072, 131_072)],
  ["groq/llama3-70b-8192", price(0.59, 0.79, 8_192, 8_192)],
  ["groq/llama3-8b-8192", price(0.05, 0.08, 8_192, 8_192)],
  ["groq/gemma2-9b-it", price(0.2, 0.2, 8_192, 8_192)],
  ["groq/mixtral-8x7b-32768", price(0.24, 0.24, 32_768, 32_768)],
  ["groq/deepseek-r1-distill-llama-70b", price(0.75, 0.99, 131_072, 131_072)],
  // DeepSeek
  ["deepseek/deepseek-chat", price(0.27, 1.1, 65_536, 8_192, 0.07)],
  ["deepseek/deepseek-reasoner", price(0.55, 2.19, 65_536, 65_536, 0.14)],
]);
