import { ApiError } from "../../../schema/errors.js";
import type { Deployment } from "../../../schema/snapshot.js";
import { sseData } from "../../upstream/sse-events.js";
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
import type { GeminiCandidate, GeminiResponse } from "./wire.js";

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
  async function* chunks(): AsyncGenerator<string> {
    let head: { id: string; object: string; created: number; model: string } | undefined;
    const choices = new Map<number, ChoiceState>();
    for await (const data of sseData(body)) {
      if (data.trim() === "") continue;
      const event = parseEvent(data);
      if (event.error !== undefined) {
        throw geminiError(event.error, undefined, undefined, deployment);
      }
      if (event.usageMetadata !== undefined) usage = usageFromMetadata(event.usageMetadata);
      if (choices.size === 0) {
        const blocked = blockedError(event);
        if (blocked !== undefined) throw blocked;
      }
      head ??= {
        id: completionId(event),
        object: "chat.completion.chunk",
        created: Math.floor(Date.now() / 1000),
        model: event.modelVersion ?? deployment.model,
      };
      for (const [i, candidate] of (event.candidates ?? []).entries()) {
        const index = candidate.index ?? i;
        const state = choices.get(index) ?? { ids: new ToolCallIds(), toolCalls: 0 };
        const chunk = choiceDelta(candidate, index, state, !choices.has(index));
        if (chunk === undefined) continue;
        choices.set(index, state);
        yield JSON.stringify({ ...head, choices: [chunk] });
      }
    }
    if (includeUsage && usage !== undefined && head !== undefined) {
      yield JSON.stringify({ ...head, choices: [], usage });
    }
  }

  /** The chunk choice for one candidate's piece (undefined if it carries nothing). */
  function choiceDelta(
    c: GeminiCandidate,
    index: number,
    state: ChoiceState,
    first: boolean,
  ): Record<string, unknown> | undefined {
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
    return { index, delta, logprobs: null, finish_reason: finish };
  }

  return { kind: "stream", chunks: chunks(), usage: () => usage };
}

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
