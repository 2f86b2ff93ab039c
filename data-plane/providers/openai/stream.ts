import type { StreamAnswer, Usage } from "../types.js";
import { SseReader } from "../../upstream/sse-events.js";
import { billedUsage, type WireUsage } from "./usage.js";

const HAS_USAGE = /"usage":\s*\{/;

/**
 * OpenAI's chunk stream, passed through as the upstream wrote it (no re-serialising),
 * reading usage from the chunk that carries it. The usage-only chunk (empty `choices`)
 * reaches the client only if it asked for it.
 */
export function openAIStream(body: AsyncIterable<Uint8Array>, includeUsage: boolean): StreamAnswer {
  let usage: Usage | undefined;
  async function* chunks(): AsyncGenerator<string> {
    const sse = new SseReader(body);
    try {
      for (let events = await sse.next(); events !== undefined; events = await sse.next()) {
        for (const data of events) {
          if (data === "[DONE]") return;
          if (HAS_USAGE.test(data)) {
            const parsed = JSON.parse(data) as { usage?: WireUsage | null; choices?: unknown[] };
            if (parsed.usage) usage = billedUsage(parsed.usage);
            const usageOnly = Array.isArray(parsed.choices) && parsed.choices.length === 0;
            if (usageOnly && !includeUsage) continue;
          }
          yield data;
        }
      }
    } finally {
      await sse.close();
    }
  }
  return { kind: "stream", chunks: chunks(), usage: () => usage };
}
