import type { Usage } from "../types.js";
import { openAIUsage } from "./usage.js";
import type { AnthropicContentBlock, AnthropicMessage, AnthropicToolUseBlock } from "./wire.js";

/** Anthropic `stop_reason` → OpenAI `finish_reason`. */
export const FINISH_REASONS: Readonly<Record<string, string>> = {
  end_turn: "stop",
  stop_sequence: "stop",
  pause_turn: "stop",
  max_tokens: "length",
  model_context_window_exceeded: "length",
  tool_use: "tool_calls",
  refusal: "content_filter",
};

export function finishReason(stopReason: string | null | undefined): string | null {
  if (stopReason === null || stopReason === undefined) return null;
  return FINISH_REASONS[stopReason] ?? "stop";
}

export interface OpenAIToolCall {
  id: string;
  type: "function";
  function: { name: string; arguments: string };
}

/** A whole Anthropic message → an OpenAI `chat.completion` object, and its usage. */
export function chatCompletion(
  msg: AnthropicMessage,
  created: number,
): { body: Record<string, unknown>; usage: Usage } {
  const text = msg.content
    .filter((b): b is AnthropicContentBlock & { type: "text"; text: string } => isText(b))
    .map((b) => b.text)
    .join("");
  const toolCalls = msg.content.filter(isToolUse).map(toolCall);
  const usage = openAIUsage(msg.usage ?? {});
  const message: Record<string, unknown> = {
    role: "assistant",
    // OpenAI sends null content beside tool calls, and a string otherwise.
    content: text === "" && toolCalls.length > 0 ? null : text,
    refusal: null,
  };
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  return {
    body: {
      id: msg.id,
      object: "chat.completion",
      created,
      model: msg.model,
      choices: [
        { index: 0, message, logprobs: null, finish_reason: finishReason(msg.stop_reason) },
      ],
      usage,
    },
    usage,
  };
}

function toolCall(block: AnthropicToolUseBlock): OpenAIToolCall {
  return {
    id: block.id,
    type: "function",
    function: { name: block.name, arguments: JSON.stringify(block.input ?? {}) },
  };
}

function isText(b: AnthropicContentBlock): b is AnthropicContentBlock & { text: string } {
  return b.type === "text" && typeof b.text === "string";
}

export function isToolUse(b: AnthropicContentBlock): b is AnthropicToolUseBlock {
  return b.type === "tool_use" && typeof b.id === "string" && typeof b.name === "string";
}
