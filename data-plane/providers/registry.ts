import type { ProviderId } from "../../schema/providers.js";
import { mockProvider } from "./mock/index.js";
import { openAIProvider } from "./openai/index.js";
import type { Provider } from "./types.js";

/** The adapters this build has. A provider id without one is refused with a clear error. */
export const PROVIDERS: Partial<Record<ProviderId, Provider>> = {
  openai: openAIProvider,
  mock: mockProvider,
};

export function providerFor(id: string): Provider | undefined {
  return PROVIDERS[id as ProviderId];
}
