import { badRequest } from "../../schema/errors.js";
import { attachNative } from "../providers/native.js";
import type { ValidRequest } from "../routes/validate-request.js";

type Json = Record<string, unknown>;

/** One row: Anthropic request field → OpenAI chat field, with an optional transform. */
interface ParamRule {
  from: string;
  to: string;
  /** Returns the OpenAI value, or undefined to leave the field out. */
  map?: (value: unknown) => unknown;
}

/**
 * What is supported, at a glance. Anthropic fields not listed here (top_k, thinking,
 * service_tier, container, mcp_servers...) have no OpenAI chat counterpart and are dropped;
 * `system`, `messages`, `tool_choice` and `stream` are mapped by code below.
 */
export const PARAMS: readonly ParamRule[] = [
  { from: "max_tokens", to: "max_tokens" },
  { from: "temperature", to: "temperature" },
  { from: "top_p", to: "top_p" },
  { from: "stop_sequences", to: "stop", map: stopSequences },
  { from: "metadata", to: "user", map: userId },
  { from: "tools", to: "tools", map: tools },
];

/**
 * An Anthropic Messages request text → the OpenAI chat request the providers take. A
 * stream always asks for the usage chunk: Anthropic's `message_delta` reports the counts.
 * The client's body stays attached to it, for a deployment that speaks Anthropic itself.
 */
export function parseMessagesRequest(text: string): ValidRequest & { rawBody: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw badRequest("The request body is not valid JSON.", null, "invalid_json");
  }
  if (!isObject(parsed)) throw badRequest("The request body must be a JSON object.");
  const model = parsed.model;
  if (typeof model !== "string" || model === "") {
    throw badRequest("model: Field required", "model", "missing_required_parameter");
  }
  if (!Array.isArray(parsed.messages) || parsed.messages.length === 0) {
    throw badRequest("messages: expected a non-empty array of messages", "messages");
  }
  const stream = parsed.stream;
  if (stream !== undefined && stream !== null && typeof stream !== "boolean") {
    throw badRequest("stream: expected a boolean", "stream");
  }

  const messages: Json[] = [];
  const system = systemText(parsed.system);
  if (system !== undefined) messages.push({ role: "system", content: system });
  parsed.messages.forEach((m, i) => {
    messages.push(...mapMessage(m, i));
  });
  const body: Json = { model, messages };
  for (const rule of PARAMS) {
    const value = parsed[rule.from];
    if (value === undefined || value === null) continue;
    const mapped = rule.map === undefined ? value : rule.map(value);
    if (mapped !== undefined) body[rule.to] = mapped;
  }
  if (parsed.tool_choice !== undefined && parsed.tool_choice !== null) {
    const { choice, parallel } = toolChoice(parsed.tool_choice);
    if (choice !== undefined) body.tool_choice = choice;
    if (parallel === false) body.parallel_tool_calls = false;
  }
  if (stream === true) {
    body.stream = true;
    body.stream_options = { include_usage: true };
  }
  // An Anthropic deployment takes the client's own body (see providers/native.ts).
  attachNative(body, "anthropic-messages", parsed);
  return {
    body,
    model,
    stream: stream === true,
    includeUsage: stream === true,
    rawBody: JSON.stringify(body),
  };
}

function systemText(system: unknown): string | undefined {
  if (system === undefined || system === null) return undefined;
  if (typeof system === "string") return system === "" ? undefined : system;
  if (!Array.isArray(system))
    throw badRequest("system: expected a string or text blocks", "system");
  const text = system
    .map((block, i) => {
      if (!isObject(block) || block.type !== "text" || typeof block.text !== "string") {
        throw badRequest(`system.${i}: only text blocks are supported`, `system.${i}`);
      }
      return block.text;
    })
    .join("\n");
  return text === "" ? undefined : text;
}

/** One Anthropic turn → OpenAI messages (a user turn with tool results becomes several). */
function mapMessage(raw: unknown, i: number): Json[] {
  if (!isObject(raw)) throw invalid(i, "each message must be an object");
  const { role, content } = raw;
  if (role !== "user" && role !== "assistant") {
    throw invalid(i, `role must be "user" or "assistant", not ${JSON.stringify(role)}`);
  }
  if (typeof content === "string") return [{ role, content }];
  if (!Array.isArray(content)) throw invalid(i, "content must be a string or an array of blocks");
  return role === "user" ? userMessages(content, i) : [assistantMessage(content, i)];
}

/** Tool results go first, as OpenAI `tool` messages right after the assistant's calls. */
function userMessages(blocks: unknown[], i: number): Json[] {
  const tools: Json[] = [];
  const parts: Json[] = [];
  blocks.forEach((block, j) => {
    if (!isObject(block)) throw invalid(i, `content.${j} must be an object`);
    if (block.type === "tool_result") tools.push(toolMessage(block, i, j));
    else {
      const part = contentPart(block, i, j);
      if (part !== undefined) parts.push(part);
    }
  });
  if (parts.length === 0) return tools;
  const only = parts[0];
  // A lone text block reads as the plain string people write by hand.
  const content = parts.length === 1 && only?.type === "text" ? only.text : parts;
  return [...tools, { role: "user", content }];
}

function assistantMessage(blocks: unknown[], i: number): Json {
  const text: string[] = [];
  const toolCalls: Json[] = [];
  blocks.forEach((block, j) => {
    if (!isObject(block)) throw invalid(i, `content.${j} must be an object`);
    if (block.type === "text" && typeof block.text === "string") text.push(block.text);
    else if (block.type === "tool_use") {
      if (typeof block.id !== "string" || typeof block.name !== "string") {
        throw invalid(i, `content.${j}: a tool_use block needs an id and a name`);
      }
      toolCalls.push({
        id: block.id,
        type: "function",
        function: { name: block.name, arguments: JSON.stringify(block.input ?? {}) },
      });
    }
    // thinking and redacted_thinking blocks have no OpenAI counterpart: dropped.
  });
  const message: Json = {
    role: "assistant",
    content: text.length === 0 && toolCalls.length > 0 ? null : text.join(""),
  };
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  return message;
}

function contentPart(block: Json, i: number, j: number): Json | undefined {
  switch (block.type) {
    case "text":
      if (typeof block.text !== "string") throw invalid(i, `content.${j}: text must be a string`);
      return { type: "text", text: block.text };
    case "image":
      return { type: "image_url", image_url: { url: imageUrl(block.source, i, j) } };
    case "thinking":
    case "redacted_thinking":
      return undefined;
    default:
      throw invalid(i, `content.${j}: block type ${JSON.stringify(block.type)} is not supported`);
  }
}

function imageUrl(source: unknown, i: number, j: number): string {
  if (isObject(source)) {
    if (
      source.type === "base64" &&
      typeof source.media_type === "string" &&
      typeof source.data === "string"
    ) {
      return `data:${source.media_type};base64,${source.data}`;
    }
    if (source.type === "url" && typeof source.url === "string") return source.url;
  }
  throw invalid(i, `content.${j}: an image needs a base64 or url source`);
}

/** OpenAI tool messages carry text only: the text of a result's blocks, joined. */
function toolMessage(block: Json, i: number, j: number): Json {
  if (typeof block.tool_use_id !== "string") {
    throw invalid(i, `content.${j}: a tool_result block needs a tool_use_id`);
  }
  const content = block.content;
  let text: string;
  if (content === undefined || content === null) text = "";
  else if (typeof content === "string") text = content;
  else if (Array.isArray(content)) {
    text = content
      .filter((b): b is Json => isObject(b) && b.type === "text" && typeof b.text === "string")
      .map((b) => b.text as string)
      .join("\n");
  } else throw invalid(i, `content.${j}: tool_result content must be a string or blocks`);
  return { role: "tool", tool_call_id: block.tool_use_id, content: text };
}

function stopSequences(value: unknown): string[] | undefined {
  if (!Array.isArray(value) || !value.every((s) => typeof s === "string")) {
    throw badRequest("stop_sequences: expected an array of strings", "stop_sequences");
  }
  return value.length > 0 ? value : undefined;
}

function userId(metadata: unknown): string | undefined {
  if (!isObject(metadata)) throw badRequest("metadata: expected an object", "metadata");
  return typeof metadata.user_id === "string" ? metadata.user_id : undefined;
}

function tools(list: unknown): Json[] | undefined {
  if (!Array.isArray(list)) throw badRequest("tools: expected an array", "tools");
  if (list.length === 0) return undefined;
  return list.map((tool, i) => {
    // Server tools (web_search_..., bash_..., computer_...) have a versioned type and run
    // at Anthropic; only client tools (no type, or "custom") can become functions.
    const custom = isObject(tool) && (tool.type === undefined || tool.type === "custom");
    if (!custom || typeof tool.name !== "string") {
      throw badRequest(`tools.${i}: only custom tools with a name are supported`, `tools.${i}`);
    }
    const fn: Json = {
      name: tool.name,
      parameters: isObject(tool.input_schema)
        ? tool.input_schema
        : { type: "object", properties: {} },
    };
    if (typeof tool.description === "string") fn.description = tool.description;
    return { type: "function", function: fn };
  });
}

/** Anthropic `tool_choice.type` → OpenAI `tool_choice`. */
const CHOICES: Readonly<Record<string, string>> = { auto: "auto", any: "required", none: "none" };

function toolChoice(value: unknown): { choice: unknown; parallel: boolean | undefined } {
  if (!isObject(value) || typeof value.type !== "string") {
    throw badRequest("tool_choice: expected an object with a type", "tool_choice");
  }
  const parallel = value.disable_parallel_tool_use === true ? false : undefined;
  const named = CHOICES[value.type];
  if (named !== undefined) return { choice: named, parallel };
  if (value.type === "tool" && typeof value.name === "string") {
    return { choice: { type: "function", function: { name: value.name } }, parallel };
  }
  throw badRequest(
    'tool_choice: type must be "auto", "any", "none" or "tool" (with a name)',
    "tool_choice",
  );
}

function invalid(i: number, reason: string) {
  return badRequest(`messages.${i}: ${reason}`, `messages.${i}`, "invalid_value");
}

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
