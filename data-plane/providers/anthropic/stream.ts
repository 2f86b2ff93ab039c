import { ApiError } from "../../../schema/errors.js";
import type { Deployment } from "../../../schema/snapshot.js";
import { SseReader } from "../../upstream/sse-events.js";
import { ChunkWriter } from "../chunk-writer.js";
import { STRING_CAPTURE, seq, shape, UINT } from "../json-shape.js";
import type { StreamAnswer, Usage } from "../types.js";
import { anthropicStreamError } from "./errors.js";
import { finishReason, isToolUse } from "./response.js";
import { mergeUsage, openAIUsage } from "./usage.js";
import type { AnthropicStreamEvent, AnthropicUsage } from "./wire.js";

/**
 * Anthropic's event stream → OpenAI `chat.completion.chunk` JSON texts. Content blocks
 * are numbered across text and tools; OpenAI numbers tool calls alone, so each tool_use
 * block gets the next tool-call index. The usage chunk goes out only if the client asked
 * for it; `usage()` has the totals either way.
 */
export function anthropicStream(
  body: AsyncIterable<Uint8Array>,
  includeUsage: boolean,
  deployment: Deployment,
): StreamAnswer {
  let usage: Usage | undefined;

  async function* chunks(): AsyncGenerator<string> {
    const counts: AnthropicUsage = {};
    const toolIndexes = new Map<number, number>();
    let out = new ChunkWriter("", 0, deployment.model);
    const chunk = (delta: Record<string, unknown>, finish: string | null = null): string =>
      out.delta(delta, finish);

    const sse = new SseReader(body);
    try {
      for (let events = await sse.next(); events !== undefined; events = await sse.next()) {
        for (const data of events) {
          // Most events are text deltas: read their text without JSON.parse.
          const text = TEXT_DELTA.exec(data);
          if (text !== null) {
            yield out.rawText(text[1]!);
            continue;
          }
          const event = parseEvent(data, deployment);
          switch (event.type) {
            case "message_start":
              out = new ChunkWriter(
                event.message.id,
                Math.floor(Date.now() / 1000),
                event.message.model || deployment.model,
              );
              mergeUsage(counts, event.message.usage);
              yield chunk({ role: "assistant", content: "" });
              break;
            case "content_block_start": {
              const block = event.content_block;
              if (isToolUse(block)) {
                const index = toolIndexes.size;
                toolIndexes.set(event.index, index);
                yield chunk({
                  tool_calls: [
                    {
                      index,
                      id: block.id,
                      type: "function",
                      function: { name: block.name, arguments: "" },
                    },
                  ],
                });
              } else if (
                block.type === "text" &&
                typeof block.text === "string" &&
                block.text !== ""
              ) {
                yield chunk({ content: block.text });
              }
              break;
            }
            case "content_block_delta": {
              const delta = event.delta;
              if (delta.type === "text_delta" && typeof delta.text === "string") {
                yield chunk({ content: delta.text });
              } else if (
                delta.type === "input_json_delta" &&
                typeof delta.partial_json === "string"
              ) {
                const index = toolIndexes.get(event.index);
                if (index === undefined || delta.partial_json === "") break;
                yield chunk({
                  tool_calls: [{ index, function: { arguments: delta.partial_json } }],
                });
              }
              // thinking, signature and citation deltas have no OpenAI chunk field: skipped.
              break;
            }
            case "message_delta":
              mergeUsage(counts, event.usage);
              if (event.delta.stop_reason !== undefined && event.delta.stop_reason !== null) {
                yield chunk({}, finishReason(event.delta.stop_reason));
              }
              break;
            case "message_stop":
              usage = openAIUsage(counts);
              if (includeUsage) yield out.usage(usage);
              return;
            case "error":
              throw anthropicStreamError(event.error ?? {}, deployment);
            default:
              // ping, content_block_stop, and event types Anthropic may add later.
              break;
          }
        }
      }
    } finally {
      await sse.close();
    }
    // Still counted: the tokens were spent even though the answer is cut short.
    usage = openAIUsage(counts);
    throw new ApiError(
      502,
      `The upstream of deployment ${deployment.id} ended the stream before message_stop`,
      "api_error",
      "upstream_stream_truncated",
    );
  }

  return { kind: "stream", chunks: chunks(), usage: () => usage };
}

/**
 * A `content_block_delta` event with a `text_delta`, exactly: `{"type":
 * "content_block_delta","index":N,"delta":{"type":"text_delta","text":"..."}}`, keys in
 * Anthropic's order. Group 1 is the text, still JSON-escaped.
 */
export const TEXT_DELTA = shape(
  seq("\\{", '"type"', ":", '"content_block_delta"', ",", '"index"', ":", UINT) +
    seq(",", '"delta"', ":", "\\{", '"type"', ":", '"text_delta"', ",", '"text"', ":") +
    seq(STRING_CAPTURE, "\\}", "\\}"),
);

function parseEvent(data: string, deployment: Deployment): AnthropicStreamEvent {
  try {
    return JSON.parse(data) as AnthropicStreamEvent;
  } catch {
    throw new ApiError(
      502,
      `The upstream of deployment ${deployment.id} sent a stream event that is not JSON`,
      "api_error",
      "upstream_bad_response",
    );
  }
}
