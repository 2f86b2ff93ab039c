import { randomBytes, randomUUID } from "node:crypto";
import { ApiError } from "../../../schema/errors.js";
import type { GeminiUsage } from "./usage.js";
import type { GeminiCandidate, GeminiPart, GeminiResponse } from "./wire.js";

/** Gemini `finishReason` → OpenAI `finish_reason`; any other reason reads as "stop". */
export const FINISH_REASONS: Readonly<Record<string, string>> = {
  STOP: "stop",
  MAX_TOKENS: "length",
  SAFETY: "content_filter",
  RECITATION: "content_filter",
  BLOCKLIST: "content_filter",
  PROHIBITED_CONTENT: "content_filter",
  SPII: "content_filter",
  IMAGE_SAFETY: "content_filter",
  IMAGE_PROHIBITED_CONTENT: "content_filter",
};

export function finishReason(reason: string | undefined, hasToolCalls: boolean): string {
  const mapped = FINISH_REASONS[reason ?? ""] ?? "stop";
  // OpenAI says tool_calls when the model stopped to call tools; Gemini says STOP.
  return hasToolCalls && mapped === "stop" ? "tool_calls" : mapped;
}

export interface OpenAIToolCall {
  id: string;
  type: "function";
  function: { name: string; arguments: string };
  extra_content?: { google: { thought_signature: string } };
}

/**
 * Tool call ids for one answer. Gemini's own id when it sends one; otherwise `call_`, a
 * random prefix per answer (so ids stay unique across a conversation's turns) and a count.
 */
export class ToolCallIds {
  // Drawn on the first call without an id: most answers have no tool calls at all.
  private prefix: string | undefined;
  private count = 0;

  next(call: { id?: string }): string {
    if (call.id !== undefined) return call.id;
    this.prefix ??= randomBytes(6).toString("hex");
    return `call_${this.prefix}_${this.count++}`;
  }
}

export function toolCall(part: GeminiPart, ids: ToolCallIds): OpenAIToolCall | undefined {
  const call = part.functionCall;
  if (call === undefined) return undefined;
  const out: OpenAIToolCall = {
    id: ids.next(call),
    type: "function",
    function: { name: call.name, arguments: JSON.stringify(call.args ?? {}) },
  };
  if (part.thoughtSignature !== undefined) {
    out.extra_content = { google: { thought_signature: part.thoughtSignature } };
  }
  return out;
}

/** The answer text of some parts; thought summaries are not answer text. */
export function textOf(parts: readonly GeminiPart[]): string {
  let text = "";
  for (const p of parts) if (typeof p.text === "string" && p.thought !== true) text += p.text;
  return text;
}

/**
 * The error for an answer Gemini's safety filters stopped before any content: the prompt
 * was blocked (no candidates), or every candidate stopped for a filter without content.
 * A 400 `content_policy_violation`, so routing can tell it from other failures.
 */
export function blockedError(r: GeminiResponse): ApiError | undefined {
  const candidates = r.candidates ?? [];
  const reason = r.promptFeedback?.blockReason;
  if (candidates.length === 0 && reason !== undefined) {
    const detail = r.promptFeedback?.blockReasonMessage;
    return contentPolicyError(
      `Gemini blocked the prompt (blockReason ${reason})${detail ? `: ${detail}` : "."}`,
    );
  }
  if (candidates.length > 0 && candidates.every(isFilteredEmpty)) {
    return contentPolicyError(
      `Gemini blocked the response (finishReason ${candidates[0]!.finishReason}).`,
    );
  }
  return undefined;
}

export function isFilteredEmpty(c: GeminiCandidate): boolean {
  return FINISH_REASONS[c.finishReason ?? ""] === "content_filter" && !hasContent(c);
}

function hasContent(c: GeminiCandidate): boolean {
  const parts = c.content?.parts ?? [];
  return textOf(parts) !== "" || parts.some((p) => p.functionCall !== undefined);
}

function contentPolicyError(message: string): ApiError {
  return new ApiError(400, message, "content_filter", "content_policy_violation");
}

/** A whole `generateContent` answer as an OpenAI `chat.completion` JSON text. */
export function chatCompletion(
  r: GeminiResponse,
  model: string,
  usage: GeminiUsage | undefined,
): string {
  const choices = (r.candidates ?? []).map((c, i) => {
    const parts = c.content?.parts ?? [];
    const ids = new ToolCallIds();
    const toolCalls = parts.flatMap((p) => toolCall(p, ids) ?? []);
    const text = textOf(parts);
    const message: Record<string, unknown> = {
      role: "assistant",
      content: text === "" && toolCalls.length > 0 ? null : text,
      refusal: null,
    };
    if (toolCalls.length > 0) message.tool_calls = toolCalls;
    return {
      index: c.index ?? i,
      message,
      logprobs: null,
      finish_reason: finishReason(c.finishReason, toolCalls.length > 0),
    };
  });
  return JSON.stringify({
    id: completionId(r),
    object: "chat.completion",
    created: Math.floor(Date.now() / 1000),
    model: r.modelVersion ?? model,
    choices,
    usage: usage ?? { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
  });
}

export function completionId(r: GeminiResponse): string {
  return `chatcmpl-${r.responseId ?? randomUUID()}`;
}
