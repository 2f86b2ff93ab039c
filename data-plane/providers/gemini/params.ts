import { badRequest } from "../../../schema/errors.js";
import {
  is,
  isTextOnly,
  OPENAI_BOOKKEEPING_PARAMS,
  OPENAI_ONLY_PARAMS,
  type UnsupportedParam,
} from "../drop-params.js";
import { geminiSchema } from "./schema.js";

/**
 * One OpenAI request field and the `generationConfig` field it becomes. `map` returns the
 * Gemini value, or undefined to send nothing; a value of the wrong type is the client's
 * error (400), as OpenAI would answer it. messages, tools and tool_choice are mapped by
 * request.ts; stream picks the method. OpenAI params Gemini has no field for are in
 * UNSUPPORTED_PARAMS, those that change nothing in the answer in IGNORED_PARAMS.
 */
export interface ParamRule {
  openai: string;
  gemini: string;
  map: (value: unknown, openai: string) => unknown;
}

export const GENERATION_PARAMS: readonly ParamRule[] = [
  { openai: "temperature", gemini: "temperature", map: number },
  { openai: "top_p", gemini: "topP", map: number },
  { openai: "top_k", gemini: "topK", map: integer },
  { openai: "max_tokens", gemini: "maxOutputTokens", map: integer },
  // Listed after max_tokens so that, when a client sends both, the newer field wins.
  { openai: "max_completion_tokens", gemini: "maxOutputTokens", map: integer },
  { openai: "stop", gemini: "stopSequences", map: stopSequences },
  { openai: "n", gemini: "candidateCount", map: integer },
  { openai: "presence_penalty", gemini: "presencePenalty", map: number },
  { openai: "frequency_penalty", gemini: "frequencyPenalty", map: number },
  { openai: "seed", gemini: "seed", map: integer },
  { openai: "response_format", gemini: "responseMimeType", map: responseMimeType },
  { openai: "response_format", gemini: "responseSchema", map: responseSchema },
];

/**
 * OpenAI params with no Gemini counterpart the adapter can honour (ai.google.dev/api/
 * generate-content): a 400 naming the param, unless the deployment has drop_params. A
 * neutral value (OpenAI's default) asks for nothing and is dropped quietly. Gemini can
 * return logprobs, but the adapter does not translate them back, so they are refused too.
 */
export const UNSUPPORTED_PARAMS: readonly UnsupportedParam[] = [
  { param: "logit_bias" },
  { param: "logprobs", neutral: is(false) },
  { param: "top_logprobs" },
  {
    param: "parallel_tool_calls",
    neutral: is(true),
    why: "Gemini may call several functions in one turn",
  },
  { param: "modalities", neutral: isTextOnly },
  ...OPENAI_ONLY_PARAMS,
];

/** OpenAI params that only concern OpenAI's own bookkeeping: not sent, and no error. */
export const IGNORED_PARAMS: readonly string[] = ["user", ...OPENAI_BOOKKEEPING_PARAMS];

/** `generationConfig` for a chat request, or undefined when nothing in it is set. */
export function generationConfig(
  body: Readonly<Record<string, unknown>>,
): Record<string, unknown> | undefined {
  let config: Record<string, unknown> | undefined;
  for (const rule of GENERATION_PARAMS) {
    const value = body[rule.openai];
    if (value === undefined || value === null) continue;
    const mapped = rule.map(value, rule.openai);
    if (mapped === undefined) continue;
    config ??= {};
    config[rule.gemini] = mapped;
  }
  return config;
}

function number(value: unknown, param: string): number {
  if (typeof value !== "number" || !Number.isFinite(value)) throw invalidType(param, "a number");
  return value;
}

function integer(value: unknown, param: string): number {
  if (typeof value !== "number" || !Number.isInteger(value)) {
    throw invalidType(param, "an integer");
  }
  return value;
}

function stopSequences(value: unknown, param: string): string[] | undefined {
  if (typeof value === "string") return [value];
  if (Array.isArray(value) && value.every((s) => typeof s === "string")) {
    return value.length === 0 ? undefined : value;
  }
  throw invalidType(param, "a string or an array of strings");
}

function responseMimeType(value: unknown, param: string): string | undefined {
  const type = formatType(value, param);
  return type === "json_object" || type === "json_schema" ? "application/json" : undefined;
}

function responseSchema(value: unknown, param: string): Record<string, unknown> | undefined {
  if (formatType(value, param) !== "json_schema") return undefined;
  const spec = (value as { json_schema?: { schema?: unknown } }).json_schema;
  return geminiSchema(spec?.schema);
}

function formatType(value: unknown, param: string): unknown {
  if (typeof value !== "object" || value === null) throw invalidType(param, "an object");
  return (value as { type?: unknown }).type;
}

function invalidType(param: string, expected: string) {
  return badRequest(`Invalid type for '${param}': expected ${expected}.`, param, "invalid_type");
}
