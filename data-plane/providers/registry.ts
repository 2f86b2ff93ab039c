import type { ProviderId } from "../../schema/providers.js";
import { anthropicProvider } from "./anthropic/index.js";
import { azureProvider } from "./azure/index.js";
import { geminiProvider } from "./gemini/index.js";
import { mockProvider } from "./mock/index.js";
import { openAIProvider } from "./openai/index.js";
import { COMPATIBLE_PROVIDERS } from "./openai-compatible/index.js";
import { nativeRequestOf } from "./native.js";
import type { Provider } from "./types.js";

/** The adapters this build has. A provider id without one is refused with a clear error. */
export const PROVIDERS: Partial<Record<ProviderId, Provider>> = Object.fromEntries(
  Object.entries({
    openai: openAIProvider,
    mock: mockProvider,
    anthropic: anthropicProvider,
    azure: azureProvider,
    gemini: geminiProvider,
    ...COMPATIBLE_PROVIDERS,
  }).map(([id, provider]) => [id, withNative(provider)]),
);

export function providerFor(id: string): Provider | undefined {
  return PROVIDERS[id as ProviderId];
}

/**
 * A provider that speaks a client format natively takes, through `call`, the requests that
 * came in that format to `callNative` (so the shared hot path needs no branch for it).
 */
function withNative(provider: Provider): Provider {
  const { nativeFormat, callNative } = provider;
  if (nativeFormat === undefined || callNative === undefined) return provider;
  return {
    ...provider,
    call(call) {
      const native = call.callType === "chat" ? nativeRequestOf(call.body) : undefined;
      return native?.format === nativeFormat
        ? callNative.call(provider, call, native)
        : provider.call(call);
    },
  };
}
