import type { ProviderCall } from "../types.js";

/** Roughly four characters a token, as OpenAI's rule of thumb: enough for a mock's usage. */
export function estimateTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

/** The text of the prompt the mock answers, whatever the call type. */
export function promptText(call: ProviderCall): string {
  const b = call.body;
  if (call.callType === "chat") return messagesText(b.messages);
  if (call.callType === "completion") return flatten(b.prompt);
  return flatten(b.input);
}

/**
 * The reply, split in word tokens: `mock_response` if configured, otherwise a
 * deterministic sentence that quotes the last user message. Honours `max_tokens` /
 * `max_completion_tokens` by cutting the reply (finish reason "length").
 */
export function replyTokens(call: ProviderCall): { tokens: string[]; truncated: boolean } {
  const configured = call.deployment.mock?.response;
  const text = configured ?? defaultReply(call);
  const tokens = text.match(/\S+\s*|\s+/g) ?? [text];
  const max = maxTokens(call.body);
  if (max !== undefined && tokens.length > max)
    return { tokens: tokens.slice(0, max), truncated: true };
  return { tokens, truncated: false };
}

function defaultReply(call: ProviderCall): string {
  const last =
    call.callType === "chat" ? lastUserText(call.body.messages) : flatten(call.body.prompt);
  const quoted = last.length > 200 ? `${last.slice(0, 200)}…` : last;
  return `Hello from Switchyard's mock provider (${call.deployment.model}). You said: "${quoted}"`;
}

function maxTokens(body: Readonly<Record<string, unknown>>): number | undefined {
  const v = body.max_completion_tokens ?? body.max_tokens;
  return typeof v === "number" && v > 0 ? Math.floor(v) : undefined;
}

function lastUserText(messages: unknown): string {
  if (!Array.isArray(messages)) return "";
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i] as { role?: unknown; content?: unknown } | null;
    if (m?.role === "user") return contentText(m.content);
  }
  return "";
}

function messagesText(messages: unknown): string {
  if (!Array.isArray(messages)) return "";
  return messages.map((m) => contentText((m as { content?: unknown } | null)?.content)).join("\n");
}

function contentText(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) {
    return content
      .map((part) => {
        const p = part as { type?: unknown; text?: unknown } | null;
        return p?.type === "text" && typeof p.text === "string" ? p.text : "";
      })
      .join("");
  }
  return "";
}

function flatten(v: unknown): string {
  if (typeof v === "string") return v;
  if (Array.isArray(v)) return v.map(flatten).join("\n");
  return v === undefined || v === null ? "" : JSON.stringify(v);
}
