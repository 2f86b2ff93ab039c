import { badRequest } from "../../../schema/errors.js";
import type { Deployment } from "../../../schema/snapshot.js";
import {
  is,
  isTextOnly,
  OPENAI_BOOKKEEPING_PARAMS,
  OPENAI_ONLY_PARAMS,
  paramsToDrop,
  type UnsupportedParam,
} from "../drop-params.js";
import type { ProviderCall } from "../types.js";
import { mapMessages } from "./messages.js";

export const DEFAULT_ANTHROPIC_BASE = "https://api.anthropic.com";
export const ANTHROPIC_VERSION = "2023-06-01";
/** Anthropic requires `max_tokens`; OpenAI clients often leave it out. */
export const DEFAULT_MAX_TOKENS = 4096;

export interface AnthropicTarget {
  origin: string;
  /** `/v1/messages` under whatever prefix the api_base carries. */
  messagesPath: string;
  modelsPath: string;
  /** Static headers: key, API version, extra_headers (which may override both). */
  headers: Record<string, string>;
}

// Computed once per deployment object; a new snapshot brings new objects.
const targets = new WeakMap<Deployment, AnthropicTarget>();

export function anthropicTarget(d: Deployment): AnthropicTarget {
  let t = targets.get(d);
  if (t === undefined) {
    const url = new URL(d.apiBase ?? DEFAULT_ANTHROPIC_BASE);
    // Accept `https://host`, `https://host/v1` and `https://host/v1/messages` alike.
    const prefix = url.pathname.replace(/\/+$/, "").replace(/(\/v1)?(\/messages)?$/, "");
    const headers: Record<string, string> = {
      "content-type": "application/json",
      "anthropic-version": ANTHROPIC_VERSION,
    };
    if (d.apiKey !== undefined) headers["x-api-key"] = d.apiKey;
    // Lower-cased so `Anthropic-Version` in the config replaces ours instead of doubling it.
    for (const [name, value] of Object.entries(d.extraHeaders)) headers[name.toLowerCase()] = value;
    t = {
      origin: url.origin,
      messagesPath: `${prefix}/v1/messages`,
      modelsPath: `${prefix}/v1/models`,
      headers,
    };
    targets.set(d, t);
  }
  return t;
}

type Json = Record<string, unknown>;

/** One row: OpenAI field(s) → Anthropic field, with an optional transform and default. */
export interface ParamRule {
  /** OpenAI fields read in order; the first present one wins. */
  from: readonly string[];
  to: string;
  /** Returns the Anthropic value, or undefined to leave the field out. */
  map?: (value: unknown) => unknown;
  /** Sent when no `from` field is present. */
  default?: unknown;
}

/**
 * What is supported, at a glance: OpenAI field(s) → Anthropic field. `parallel_tool_calls:
 * false` becomes `tool_choice.disable_parallel_tool_use`; `stream_options` is the adapter's
 * own (it builds the usage chunk). The OpenAI params Anthropic has no field for are in
 * UNSUPPORTED_PARAMS (refused, or dropped with drop_params); those that change nothing in
 * the answer are in IGNORED_PARAMS.
 */
export const PARAMS: readonly ParamRule[] = [
  {
    from: ["max_completion_tokens", "max_tokens"],
    to: "max_tokens",
    default: DEFAULT_MAX_TOKENS,
  },
  { from: ["temperature"], to: "temperature" },
  { from: ["top_p"], to: "top_p" },
  { from: ["stop"], to: "stop_sequences", map: stopSequences },
  { from: ["user"], to: "metadata", map: (user) => ({ user_id: user }) },
  { from: ["tools"], to: "tools", map: tools },
  { from: ["tool_choice"], to: "tool_choice", map: toolChoice },
  { from: ["stream"], to: "stream", map: (s) => (s === true ? true : undefined) },
];

/**
 * OpenAI params the Messages API has no field for (docs.anthropic.com/en/api/messages):
 * a 400 naming the param, unless the deployment has drop_params. A neutral value (OpenAI's
 * default) asks for nothing and is dropped quietly.
 */
export const UNSUPPORTED_PARAMS: readonly UnsupportedParam[] = [
  { param: "n", neutral: is(1), why: "Anthropic returns one choice per request" },
  { param: "frequency_penalty", neutral: is(0) },
  { param: "presence_penalty", neutral: is(0) },
  { param: "logit_bias" },
  { param: "logprobs", neutral: is(false) },
  { param: "top_logprobs" },
  { param: "seed" },
  { param: "response_format", neutral: isTextOnly },
  { param: "modalities", neutral: isTextOnly },
  ...OPENAI_ONLY_PARAMS,
];

/** OpenAI params that only concern OpenAI's own bookkeeping: not sent, and no error. */
export const IGNORED_PARAMS: readonly string[] = [...OPENAI_BOOKKEEPING_PARAMS];

/** The Anthropic request body for a chat call. */
export function anthropicBody(call: ProviderCall): Json {
  const b = call.body;
  // Only the check matters: the body below is built from PARAMS, so nothing else is sent.
  paramsToDrop(b, UNSUPPORTED_PARAMS, call.deployment);
  const { system, messages } = mapMessages(b.messages as unknown[]);
  const out: Json = { model: call.deployment.model };
  if (system !== undefined) out.system = system;
  out.messages = messages;
  for (const rule of PARAMS) {
    const field = rule.from.find((f) => b[f] !== undefined && b[f] !== null);
    const value = field === undefined ? rule.default : mapped(rule, b[field]);
    if (value !== undefined) out[rule.to] = value;
  }
  if (b.parallel_tool_calls === false && out.tool_choice !== undefined) {
    out.tool_choice = { ...(out.tool_choice as Json), disable_parallel_tool_use: true };
  } else if (b.parallel_tool_calls === false && out.tools !== undefined) {
    out.tool_choice = { type: "auto", disable_parallel_tool_use: true };
  }
  return out;
}

function mapped(rule: ParamRule, value: unknown): unknown {
  return rule.map === undefined ? value : rule.map(value);
}

export function stopSequences(stop: unknown): string[] | undefined {
  if (typeof stop === "string") return [stop];
  if (Array.isArray(stop) && stop.every((s) => typeof s === "string")) {
    return stop.length > 0 ? stop : undefined;
  }
  throw badRequest("'stop' must be a string or an array of strings.", "stop");
}

export function tools(list: unknown): Json[] | undefined {
  if (!Array.isArray(list)) throw badRequest("'tools' must be an array.", "tools");
  if (list.length === 0) return undefined;
  return list.map((tool, i) => {
    const fn = isObject(tool) ? tool.function : undefined;
    if (!isObject(tool) || tool.type !== "function" || !isObject(fn)) {
      throw badRequest(`tools[${i}]: only function tools are supported.`, `tools[${i}]`);
    }
    if (typeof fn.name !== "string") {
      throw badRequest(`tools[${i}]: a function needs a name.`, `tools[${i}].function.name`);
    }
    const out: Json = {
      name: fn.name,
      // Anthropic requires a schema; OpenAI allows a function without parameters.
      input_schema: isObject(fn.parameters) ? fn.parameters : { type: "object", properties: {} },
    };
    if (typeof fn.description === "string") out.description = fn.description;
    if (tool.cache_control !== undefined) out.cache_control = tool.cache_control;
    return out;
  });
}

const CHOICES: Record<string, Json> = {
  auto: { type: "auto" },
  none: { type: "none" },
  required: { type: "any" },
};

export function toolChoice(choice: unknown): Json {
  if (typeof choice === "string" && CHOICES[choice] !== undefined) return { ...CHOICES[choice] };
  if (isObject(choice) && isObject(choice.function) && typeof choice.function.name === "string") {
    return { type: "tool", name: choice.function.name };
  }
  throw badRequest(
    '\'tool_choice\' must be "auto", "none", "required" or {type: "function", function: {name}}.',
    "tool_choice",
  );
}

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
