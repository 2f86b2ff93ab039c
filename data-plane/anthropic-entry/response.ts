import type { Usage } from "../providers/types.js";
import type {
  AnthropicContentBlock,
  AnthropicMessage,
  AnthropicUsage,
} from "../providers/anthropic/wire.js";

/** OpenAI `finish_reason` → Anthropic `stop_reason` (the reverse of FINISH_REASONS). */
export const STOP_REASONS: Readonly<Record<string, string>> = {
  stop: "end_turn",
  length: "max_tokens",
  tool_calls: "tool_use",
  function_call: "tool_use",
  content_filter: "refusal",
};

export function stopReason(finish: unknown): string | null {
  if (typeof finish !== "string") return null;
  return STOP_REASONS[finish] ?? "end_turn";
}

/**
 * OpenAI usage → Anthropic's. OpenAI counts cache hits (and here cache writes) inside
 * `prompt_tokens`; Anthropic counts them apart from `input_tokens`, in
 * `cache_read_input_tokens` and `cache_creation_input_tokens`.
 */
export function anthropicUsage(u: Partial<Usage> | undefined): AnthropicUsage {
  const cached = u?.prompt_tokens_details?.cached_tokens ?? 0;
  const written = u?.prompt_tokens_details?.cache_creation_tokens ?? 0;
  const usage: AnthropicUsage = {
    input_tokens: Math.max(0, (u?.prompt_tokens ?? 0) - cached - written),
    output_tokens: u?.completion_tokens ?? 0,
  };
  if (written > 0) usage.cache_creation_input_tokens = written;
  if (cached > 0) usage.cache_read_input_tokens = cached;
  return usage;
}

interface OpenAIToolCall {
  id?: unknown;
  function?: { name?: unknown; arguments?: unknown };
}

interface ChatCompletion {
  id?: unknown;
  model?: unknown;
  choices?: {
    message?: { content?: unknown; refusal?: unknown; tool_calls?: OpenAIToolCall[] };
    finish_reason?: unknown;
  }[];
  usage?: Usage;
}

/** A whole OpenAI `chat.completion` (JSON text or bytes) → an Anthropic message JSON text. */
export function messageAnswer(body: string | Uint8Array): string {
  const text = typeof body === "string" ? body : Buffer.from(body).toString("utf8");
  const completion = JSON.parse(text) as ChatCompletion;
  const choice = completion.choices?.[0];
  const content: AnthropicContentBlock[] = [];
  const said = choice?.message?.content ?? choice?.message?.refusal;
  if (typeof said === "string" && said !== "") content.push({ type: "text", text: said });
  for (const call of choice?.message?.tool_calls ?? []) {
    content.push({
      type: "tool_use",
      id: String(call.id ?? ""),
      name: String(call.function?.name ?? ""),
      input: toolInput(call.function?.arguments),
    });
  }
  const message: AnthropicMessage = {
    id: String(completion.id ?? ""),
    type: "message",
    role: "assistant",
    model: String(completion.model ?? ""),
    content,
    stop_reason: stopReason(choice?.finish_reason),
    stop_sequence: null,
    usage: anthropicUsage(completion.usage),
  };
  return JSON.stringify(message);
}

/** OpenAI carries tool arguments as JSON text; Anthropic as the object. */
export function toolInput(args: unknown): unknown {
  if (typeof args !== "string" || args === "") return {};
  try {
    return JSON.parse(args) as unknown;
  } catch {
    // A model that wrote broken JSON: keep what it wrote rather than lose it.
    return { _raw: args };
  }
}
