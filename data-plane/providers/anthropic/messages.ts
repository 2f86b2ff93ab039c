import { badRequest } from "../../../schema/errors.js";
import type { AnthropicRequestBlock, AnthropicRequestMessage } from "./wire.js";

export interface MappedMessages {
  /** All system and developer messages, joined; undefined when there are none. */
  system: string | undefined;
  /** Alternating user/assistant turns (consecutive same-role messages merged). */
  messages: AnthropicRequestMessage[];
}

type Json = Record<string, unknown>;

/**
 * OpenAI `messages` → Anthropic `system` + `messages`. Anthropic takes the system prompt
 * apart, wants user and assistant to alternate, carries tool calls as `tool_use` blocks of
 * the assistant and tool answers as `tool_result` blocks of the next user turn.
 */
export function mapMessages(input: readonly unknown[]): MappedMessages {
  const system: string[] = [];
  const turns: { role: "user" | "assistant"; blocks: AnthropicRequestBlock[] }[] = [];
  const push = (role: "user" | "assistant", blocks: AnthropicRequestBlock[]): void => {
    if (blocks.length === 0) return;
    const last = turns.at(-1);
    if (last !== undefined && last.role === role) last.blocks.push(...blocks);
    else turns.push({ role, blocks });
  };

  input.forEach((raw, i) => {
    if (!isObject(raw)) throw invalid(i, "each message must be an object");
    switch (raw.role) {
      case "system":
      case "developer":
        system.push(textOf(raw.content, i));
        break;
      case "user":
        push("user", contentBlocks(raw.content, i));
        break;
      case "assistant":
        push("assistant", [
          ...contentBlocks(raw.content ?? null, i),
          ...toolUseBlocks(raw.tool_calls, i),
        ]);
        break;
      case "tool":
        push("user", [toolResultBlock(raw, i)]);
        break;
      default:
        throw invalid(i, `role ${JSON.stringify(raw.role)} is not supported by Anthropic`, "role");
    }
  });

  return {
    system: system.length > 0 ? system.join("\n") : undefined,
    messages: turns.map(({ role, blocks }) => ({ role, content: compact(blocks) })),
  };
}

/** A turn that is one plain text block is sent as a string, as people write it by hand. */
function compact(blocks: AnthropicRequestBlock[]): string | AnthropicRequestBlock[] {
  const only = blocks[0];
  if (blocks.length === 1 && only?.type === "text" && only.cache_control === undefined) {
    return only.text;
  }
  return blocks;
}

function contentBlocks(content: unknown, i: number): AnthropicRequestBlock[] {
  if (content === null || content === undefined) return [];
  // Anthropic refuses empty text blocks; an empty string means "no text" here.
  if (typeof content === "string") return content === "" ? [] : [{ type: "text", text: content }];
  if (!Array.isArray(content)) throw invalid(i, "content must be a string or an array of parts");
  return content.flatMap((part): AnthropicRequestBlock[] => partBlock(part, i));
}

function partBlock(part: unknown, i: number): AnthropicRequestBlock[] {
  if (!isObject(part)) throw invalid(i, "each content part must be an object");
  const cache = part.cache_control === undefined ? {} : { cache_control: part.cache_control };
  switch (part.type) {
    case "text":
    case "refusal": {
      const text = part.type === "text" ? part.text : part.refusal;
      if (typeof text !== "string") throw invalid(i, `a ${part.type} part needs a string`);
      return text === "" ? [] : [{ type: "text", text, ...cache }];
    }
    case "image_url": {
      const image = part.image_url;
      const url = typeof image === "string" ? image : isObject(image) ? image.url : undefined;
      if (typeof url !== "string") throw invalid(i, "an image_url part needs a url");
      return [{ type: "image", source: imageSource(url, i), ...cache }];
    }
    default:
      throw invalid(
        i,
        `content part type ${JSON.stringify(part.type)} is not supported by Anthropic`,
        "content",
      );
  }
}

const DATA_URL = /^data:([^;,]+);base64,(.*)$/s;

function imageSource(
  url: string,
  i: number,
): { type: "base64"; media_type: string; data: string } | { type: "url"; url: string } {
  const data = DATA_URL.exec(url);
  if (data !== null) return { type: "base64", media_type: data[1]!, data: data[2]! };
  if (url.startsWith("https://") || url.startsWith("http://")) return { type: "url", url };
  throw invalid(i, "an image url must be an http(s) URL or a base64 data: URL", "content");
}

function toolUseBlocks(toolCalls: unknown, i: number): AnthropicRequestBlock[] {
  if (toolCalls === undefined || toolCalls === null) return [];
  if (!Array.isArray(toolCalls)) throw invalid(i, "tool_calls must be an array", "tool_calls");
  return toolCalls.map((call): AnthropicRequestBlock => {
    const fn = isObject(call) ? call.function : undefined;
    if (!isObject(call) || typeof call.id !== "string" || !isObject(fn)) {
      throw invalid(i, "each tool call needs an id and a function", "tool_calls");
    }
    if (typeof fn.name !== "string") throw invalid(i, "a tool call needs a name", "tool_calls");
    return { type: "tool_use", id: call.id, name: fn.name, input: toolInput(fn.arguments, i) };
  });
}

/** OpenAI carries arguments as JSON text; Anthropic wants the object. */
function toolInput(args: unknown, i: number): unknown {
  if (args === undefined || args === null || args === "") return {};
  if (typeof args !== "string") return args;
  try {
    return JSON.parse(args) as unknown;
  } catch {
    throw invalid(i, "tool call arguments must be valid JSON", "tool_calls");
  }
}

function toolResultBlock(message: Json, i: number): AnthropicRequestBlock {
  if (typeof message.tool_call_id !== "string") {
    throw invalid(i, "a tool message needs a tool_call_id", "tool_call_id");
  }
  const content = message.content;
  return {
    type: "tool_result",
    tool_use_id: message.tool_call_id,
    content: typeof content === "string" ? content : contentBlocks(content, i),
  };
}

function textOf(content: unknown, i: number): string {
  if (typeof content === "string") return content;
  return contentBlocks(content, i)
    .map((b) => (b.type === "text" ? b.text : ""))
    .join("\n");
}

function invalid(i: number, reason: string, field?: string) {
  const param = field === undefined ? `messages[${i}]` : `messages[${i}].${field}`;
  return badRequest(`Invalid message ${i}: ${reason}.`, param, "invalid_value");
}

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
