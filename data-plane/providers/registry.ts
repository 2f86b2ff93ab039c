import type { ProviderId } from "../../schema/providers.js";
import { anthropicProvider } from "./anthropic/index.js";
import { azureProvider } from "./azure/index.js";
import { geminiProvider } from "./gemini/index.js";
import { mockProvider } from "./mock/index.js";
import { openAIProvider } from "./openai/index.js";
import { COMPATIBLE_PROVIDERS } from "./openai-compatible/index.js";
import type { Provider } from "./types.js";

/** The adapters this build has. A provider id without one is refused with a clear error. */
export const PROVIDERS: Partial<Record<ProviderId, Provider>> = {
  openai: openAIProvider,
  mock: mockProvider,
  anthropic: anthropicProvider,
  azure: azureProvider,
  gemini: geminiProvider,
  ...COMPATIBLE_PROVIDERS,
};

export function providerFor(id: string): Provider | undefined {
  return PROVIDERS[id as ProviderId];
}
