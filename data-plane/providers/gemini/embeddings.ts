import { badRequest } from "../../../schema/errors.js";
import type { GeminiBatchEmbedRequest, GeminiBatchEmbedResponse } from "./wire.js";

export type EncodingFormat = "float" | "base64";

/**
 * An OpenAI embeddings request → `batchEmbedContents`: one request per input text, each
 * naming the model (Google requires it), with `dimensions` as `outputDimensionality`.
 * Token-array inputs have no Gemini equivalent and are refused.
 */
export function batchEmbedRequest(
  body: Readonly<Record<string, unknown>>,
  modelName: string,
): GeminiBatchEmbedRequest {
  const input = body.input;
  const texts = typeof input === "string" ? [input] : input;
  if (!Array.isArray(texts) || texts.length === 0 || !texts.every((t) => typeof t === "string")) {
    throw badRequest(
      "Invalid 'input': provider gemini embeds a string or a non-empty array of strings (not token arrays).",
      "input",
      "invalid_value",
    );
  }
  const dimensions = body.dimensions;
  if (dimensions !== undefined && dimensions !== null && !isPositiveInteger(dimensions)) {
    throw badRequest(
      "Invalid 'dimensions': expected a positive integer.",
      "dimensions",
      "invalid_type",
    );
  }
  return {
    requests: texts.map((text: string) => ({
      model: modelName,
      content: { parts: [{ text }] },
      ...(isPositiveInteger(dimensions) ? { outputDimensionality: dimensions } : {}),
    })),
  };
}

export function encodingFormat(body: Readonly<Record<string, unknown>>): EncodingFormat {
  const format = body.encoding_format;
  if (format === undefined || format === null || format === "float") return "float";
  if (format === "base64") return "base64";
  throw badRequest(
    "Invalid 'encoding_format': expected 'float' or 'base64'.",
    "encoding_format",
    "invalid_value",
  );
}

/**
 * Gemini's embeddings → an OpenAI embeddings list. Gemini reports no token counts for
 * embeddings, so usage is zero.
 */
export function embeddingsList(
  r: GeminiBatchEmbedResponse,
  format: EncodingFormat,
  model: string,
): string {
  const data = (r.embeddings ?? []).map((e, index) => {
    const values = e.values ?? [];
    return {
      object: "embedding",
      index,
      embedding: format === "base64" ? float32Base64(values) : values,
    };
  });
  return JSON.stringify({
    object: "list",
    data,
    model,
    usage: { prompt_tokens: 0, total_tokens: 0 },
  });
}

/** OpenAI's `base64` encoding (the openai SDK's default): little-endian float32 bytes. */
export function float32Base64(values: readonly number[]): string {
  const bytes = Buffer.alloc(values.length * 4);
  for (let i = 0; i < values.length; i++) bytes.writeFloatLE(values[i]!, i * 4);
  return bytes.toString("base64");
}

function isPositiveInteger(v: unknown): v is number {
  return typeof v === "number" && Number.isInteger(v) && v > 0;
}
