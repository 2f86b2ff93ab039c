import { ApiError } from "../../../schema/errors.js";
import type { Deployment } from "../../../schema/snapshot.js";
import { SseReader } from "../../upstream/sse-events.js";
import { ChunkWriter } from "../chunk-writer.js";
import { arrayOf, objectOf, STRING, STRING_CAPTURE, seq, shape, UINT } from "../json-shape.js";
import type { StreamAnswer } from "../types.js";
import { geminiError } from "./errors.js";
import {
  blockedError,
  completionId,
  finishReason,
  textOf,
  ToolCallIds,
  toolCall,
} from "./response.js";
import { type GeminiUsage, usageFromMetadata } from "./usage.js";
import type { GeminiCandidate, GeminiResponse, GeminiUsageMetadata } from "./wire.js";

/**
 * A `streamGenerateContent?alt=sse` stream → OpenAI chunks. Each event is a whole
 * GenerateContentResponse holding the next piece of each candidate: its text becomes a
 * content delta, each function call (Gemini sends them whole) a tool_call delta with all
 * its arguments, its finishReason a finish_reason. Usage is in the last event's metadata.
 * Role goes out with a candidate's first content, so a stream blocked before any content
 * still fails with a proper HTTP error (the gateway sends headers on the first chunk).
 */
export function geminiStream(
  body: AsyncIterable<Uint8Array>,
  deployment: Deployment,
  includeUsage: boolean,
): StreamAnswer {
  let usage: GeminiUsage | undefined;
  // The latest usageMetadata read by the fast path, parsed only when usage is asked for.
  let usageText: string | undefined;
  async function* chunks(): AsyncGenerator<string> {
    let out: ChunkWriter | undefined;
    const choices = new Map<number, ChoiceState>();
    const sse = new SseReader(body);
    try {
      for (let events = await sse.next(); events !== undefined; events = await sse.next()) {
        for (const data of events) {
          // After the first event, most are one candidate's next text: no JSON.parse for those.
          const piece = out !== undefined && choices.has(0) ? TEXT_PIECE.exec(data) : null;
          if (piece !== null && out !== undefined) {
            if (piece[2] !== undefined) usageText = piece[2];
            if (piece[1] !== "") yield out.rawText(piece[1]!);
            continue;
          }
          if (data.trim() === "") continue;
          const event = parseEvent(data);
          if (event.error !== undefined) {
            throw geminiError(event.error, undefined, undefined, deployment);
          }
          if (event.usageMetadata !== undefined) {
            usage = usageFromMetadata(event.usageMetadata);
            usageText = undefined;
          }
          if (choices.size === 0) {
            const blocked = blockedError(event);
            if (blocked !== undefined) throw blocked;
          }
          out ??= new ChunkWriter(
            completionId(event),
            Math.floor(Date.now() / 1000),
            event.modelVersion ?? deployment.model,
          );
          for (const [i, candidate] of (event.candidates ?? []).entries()) {
            const index = candidate.index ?? i;
            const state = choices.get(index) ?? { ids: new ToolCallIds(), toolCalls: 0 };
            const chunk = choiceDelta(candidate, index, state, !choices.has(index), out);
            if (chunk === undefined) continue;
            choices.set(index, state);
            yield chunk;
          }
        }
      }
    } finally {
      await sse.close();
    }
    const final = finalUsage();
    if (includeUsage && final !== undefined && out !== undefined) yield out.usage(final);
  }

  function finalUsage(): GeminiUsage | undefined {
    if (usageText !== undefined) {
      usage = usageFromMetadata(parseEvent(usageText) as GeminiUsageMetadata);
      usageText = undefined;
    }
    return usage;
  }

  /** The chunk for one candidate's piece (undefined if it carries nothing). */
  function choiceDelta(
    c: GeminiCandidate,
    index: number,
    state: ChoiceState,
    first: boolean,
    out: ChunkWriter,
  ): string | undefined {
    const parts = c.content?.parts ?? [];
    const text = textOf(parts);
    const calls = parts.flatMap((p) => toolCall(p, state.ids) ?? []);
    if (text === "" && calls.length === 0 && c.finishReason === undefined) return undefined;
    const delta: Record<string, unknown> = {};
    if (first) delta.role = "assistant";
    if (text !== "" || first) delta.content = text;
    if (calls.length > 0) {
      delta.tool_calls = calls.map((call, j) => ({ index: state.toolCalls + j, ...call }));
      state.toolCalls += calls.length;
    }
    const finish =
      c.finishReason === undefined ? null : finishReason(c.finishReason, state.toolCalls > 0);
    return out.delta(delta, finish, index);
  }

  // usageText matched TEXT_PIECE's usage grammar, so parsing it cannot fail.
  return { kind: "stream", chunks: chunks(), usage: finalUsage };
}

const FLAT_MEMBER = `${seq(STRING, ":")}(?:${seq(STRING)}|${seq(UINT)})`;
/** usageMetadata: counts, and per-modality details (`[{"modality":"TEXT","tokenCount":5}]`). */
const USAGE_MEMBER = `${seq(STRING, ":")}(?:${seq(UINT)}|${arrayOf(objectOf(FLAT_MEMBER))})`;

/**
 * An event that is exactly candidate 0's next text: `{"candidates":[{"content":{"parts":
 * [{"text":"..."}],"role":"model"},"index":0}],"usageMetadata":{...},"modelVersion":"...",
 * "responseId":"..."}`, the index and the last three optional. No finishReason, no other
 * part (thought, functionCall) or field. Group 1 is the text, still JSON-escaped; group 2
 * the usageMetadata object. modelVersion and responseId matter only in the first event,
 * which always takes the slow path.
 */
export const TEXT_PIECE = shape(
  seq("\\{", '"candidates"', ":", "\\[", "\\{", '"content"', ":", "\\{", '"parts"', ":") +
    seq("\\[", "\\{", '"text"', ":", STRING_CAPTURE, "\\}", "\\]") +
    seq(",", '"role"', ":", '"model"', "\\}") +
    `(?:${seq(",", '"index"', ":", "0")})?` +
    seq("\\}", "\\]") +
    `(?:${seq(",", '"usageMetadata"', ":")}(${objectOf(USAGE_MEMBER)}))?` +
    `(?:${seq(",", '"modelVersion"', ":", STRING)})?` +
    `(?:${seq(",", '"responseId"', ":", STRING)})?` +
    seq("\\}"),
);

interface ChoiceState {
  ids: ToolCallIds;
  /** Tool calls sent so far: the next one's `index`, and whether finish says tool_calls. */
  toolCalls: number;
}

function parseEvent(data: string): GeminiResponse {
  try {
    return JSON.parse(data) as GeminiResponse;
  } catch {
    throw new ApiError(
      502,
      "Gemini sent a stream event that is not JSON",
      "api_error",
      "upstream_bad_response",
    );
  }
}
