import { badRequest } from "../../../schema/errors.js";
import { generationConfig } from "./params.js";
import { geminiSchema } from "./schema.js";
import type {
  GeminiContent,
  GeminiFunctionDeclaration,
  GeminiPart,
  GeminiRequest,
} from "./wire.js";

type Mode = "AUTO" | "ANY" | "NONE";

/** OpenAI `tool_choice` strings → Gemini's function-calling mode. */
export const TOOL_CHOICE_MODES: Readonly<Record<string, Mode>> = {
  auto: "AUTO",
  none: "NONE",
  required: "ANY",
};

/**
 * An OpenAI chat request → a Gemini `generateContent` request. System and developer
 * messages become `systemInstruction`; the rest become `contents` with Gemini's two roles
 * (tool results travel as `user` turns of `functionResponse` parts), consecutive turns of
 * one role merged, as Gemini wants a function call's responses together in one turn.
 */
export function geminiChatRequest(body: Readonly<Record<string, unknown>>): GeminiRequest {
  const messages = body.messages as readonly unknown[];
  const system: GeminiPart[] = [];
  const contents: GeminiContent[] = [];
  // tool_call_id → function name; a later assistant turn may reuse an id, and wins.
  const callNames = new Map<string, string>();
  const push = (role: "user" | "model", parts: GeminiPart[]) => {
    if (parts.length === 0) return;
    const last = contents[contents.length - 1];
    if (last?.role === role) last.parts.push(...parts);
    else contents.push({ role, parts });
  };

  messages.forEach((raw, i) => {
    if (!isObject(raw) || typeof raw.role !== "string") {
      throw badRequest(`Invalid 'messages[${i}]': expected an object with a role.`, "messages");
    }
    const m = raw;
    switch (m.role) {
      case "system":
      case "developer":
        system.push(...contentParts(m.content, i));
        break;
      case "user":
        push("user", contentParts(m.content, i));
        break;
      case "assistant":
        push("model", [...contentParts(m.content, i), ...functionCalls(m, i, callNames)]);
        break;
      case "tool": {
        const id = typeof m.tool_call_id === "string" ? m.tool_call_id : "";
        const name = callNames.get(id);
        if (name === undefined) {
          throw badRequest(
            `Invalid 'messages[${i}].tool_call_id': no earlier assistant message has a tool call with id '${id}'.`,
            `messages[${i}].tool_call_id`,
          );
        }
        push("user", [functionResponse(name, m.content)]);
        break;
      }
      case "function":
        // The legacy function-calling role: the name travels on the message itself.
        push("user", [functionResponse(String(m.name ?? ""), m.content)]);
        break;
      default:
        throw badRequest(
          `Invalid 'messages[${i}].role': '${m.role}' is not supported.`,
          `messages[${i}].role`,
        );
    }
  });

  const request: GeminiRequest = { contents };
  if (system.length > 0) request.systemInstruction = { parts: system };
  const declarations = functionDeclarations(body.tools);
  if (declarations.length > 0) {
    request.tools = [{ functionDeclarations: declarations }];
    const toolConfig = functionCallingConfig(body.tool_choice);
    if (toolConfig !== undefined) request.toolConfig = { functionCallingConfig: toolConfig };
  }
  const config = generationConfig(body);
  if (config !== undefined) request.generationConfig = config;
  return request;
}

/** An OpenAI message `content` (text, or an array of text/image/audio/file parts). */
function contentParts(content: unknown, i: number): GeminiPart[] {
  if (content === undefined || content === null) return [];
  // Gemini refuses an empty text part, which OpenAI clients send freely.
  if (typeof content === "string") return content === "" ? [] : [{ text: content }];
  if (!Array.isArray(content)) {
    throw badRequest(
      `Invalid 'messages[${i}].content': expected a string or an array of parts.`,
      `messages[${i}].content`,
    );
  }
  const parts: GeminiPart[] = [];
  for (const part of content) {
    const p = isObject(part) ? part : {};
    switch (p.type) {
      case "text":
        if (typeof p.text === "string" && p.text !== "") parts.push({ text: p.text });
        break;
      case "image_url": {
        const image = p.image_url;
        const url = typeof image === "string" ? image : isObject(image) ? image.url : undefined;
        parts.push({ inlineData: dataUrl(url, i, "image_url") });
        break;
      }
      case "input_audio": {
        const audio = isObject(p.input_audio) ? p.input_audio : {};
        parts.push({
          inlineData: { mimeType: `audio/${String(audio.format)}`, data: String(audio.data) },
        });
        break;
      }
      case "file": {
        const file = isObject(p.file) ? p.file : {};
        parts.push({ inlineData: dataUrl(file.file_data, i, "file") });
        break;
      }
      default:
        throw badRequest(
          `Invalid 'messages[${i}].content': part type '${String(p.type)}' is not supported by provider gemini.`,
          `messages[${i}].content`,
        );
    }
  }
  return parts;
}

const DATA_URL = /^data:([^;,]+)(?:;[^;,]*)*;base64,(.*)$/s;

// The Gemini API takes images inline or as Files API uris, not arbitrary web URLs.
function dataUrl(url: unknown, i: number, kind: string): { mimeType: string; data: string } {
  const match = typeof url === "string" ? DATA_URL.exec(url) : null;
  if (match === null) {
    throw badRequest(
      `Invalid 'messages[${i}].content': provider gemini accepts a ${kind} only as a base64 data: URL.`,
      `messages[${i}].content`,
      "invalid_image_url",
    );
  }
  return { mimeType: match[1]!, data: match[2]! };
}

function functionCalls(
  m: Record<string, unknown>,
  i: number,
  callNames: Map<string, string>,
): GeminiPart[] {
  if (!Array.isArray(m.tool_calls)) return [];
  return m.tool_calls.map((raw, j): GeminiPart => {
    const call = isObject(raw) ? raw : {};
    const fn = isObject(call.function) ? call.function : {};
    const name = String(fn.name ?? "");
    if (typeof call.id === "string") callNames.set(call.id, name);
    const part: GeminiPart = { functionCall: { name, args: toolArguments(fn.arguments, i, j) } };
    const signature = thoughtSignature(call);
    if (signature !== undefined) part.thoughtSignature = signature;
    return part;
  });
}

function toolArguments(args: unknown, i: number, j: number): Record<string, unknown> {
  if (args === undefined || args === null || args === "") return {};
  if (isObject(args)) return args;
  try {
    const parsed: unknown = JSON.parse(String(args));
    if (isObject(parsed)) return parsed;
  } catch {
    // Reported below, like a non-object.
  }
  throw badRequest(
    `Invalid 'messages[${i}].tool_calls[${j}].function.arguments': expected a JSON object.`,
    `messages[${i}].tool_calls[${j}].function.arguments`,
  );
}

/** Where Google's own OpenAI-compatible endpoint puts a tool call's thought signature. */
function thoughtSignature(call: Record<string, unknown>): string | undefined {
  const extra = call.extra_content;
  const google = isObject(extra) ? extra.google : undefined;
  const signature = isObject(google) ? google.thought_signature : undefined;
  return typeof signature === "string" ? signature : undefined;
}

/** A tool result: Gemini wants an object, so JSON objects pass as is, anything else wrapped. */
function functionResponse(name: string, content: unknown): GeminiPart {
  const text =
    typeof content === "string"
      ? content
      : Array.isArray(content)
        ? content.map((p) => (isObject(p) && typeof p.text === "string" ? p.text : "")).join("")
        : JSON.stringify(content ?? "");
  let response: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(text);
    response = isObject(parsed) ? parsed : { content: parsed };
  } catch {
    response = { content: text };
  }
  return { functionResponse: { name, response } };
}

function functionDeclarations(tools: unknown): GeminiFunctionDeclaration[] {
  if (tools === undefined || tools === null) return [];
  if (!Array.isArray(tools)) {
    throw badRequest("Invalid type for 'tools': expected an array.", "tools", "invalid_type");
  }
  return tools.map((tool, i): GeminiFunctionDeclaration => {
    const fn = isObject(tool) && tool.type === "function" ? tool.function : undefined;
    if (!isObject(fn) || typeof fn.name !== "string") {
      throw badRequest(
        `Invalid 'tools[${i}]': provider gemini supports only function tools with a name.`,
        `tools[${i}]`,
      );
    }
    const declaration: GeminiFunctionDeclaration = { name: fn.name };
    if (typeof fn.description === "string") declaration.description = fn.description;
    const parameters = geminiSchema(fn.parameters);
    // Gemini refuses an OBJECT schema without properties: a function without arguments.
    const properties = parameters?.properties;
    if (isObject(properties) && Object.keys(properties).length > 0) {
      declaration.parameters = parameters;
    }
    return declaration;
  });
}

function functionCallingConfig(
  choice: unknown,
): { mode: Mode; allowedFunctionNames?: string[] } | undefined {
  if (choice === undefined || choice === null) return undefined;
  if (typeof choice === "string") {
    const mode = TOOL_CHOICE_MODES[choice];
    if (mode !== undefined) return { mode };
  } else if (isObject(choice) && isObject(choice.function)) {
    const name = choice.function.name;
    if (typeof name === "string") return { mode: "ANY", allowedFunctionNames: [name] };
  }
  throw badRequest(
    "Invalid 'tool_choice': expected 'auto', 'none', 'required' or a function.",
    "tool_choice",
  );
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
