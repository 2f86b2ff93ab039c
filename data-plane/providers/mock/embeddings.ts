import { createHash } from "node:crypto";

/**
 * A deterministic unit vector for a text: the same input always embeds the same way, so
 * demos and tests that compare embeddings behave.
 */
export function mockEmbedding(text: string, dimensions: number): Float32Array {
  const out = new Float32Array(dimensions);
  let seed = createHash("sha256").update(text).digest();
  let norm = 0;
  for (let i = 0; i < dimensions; i++) {
    const byte = i % 32;
    if (i > 0 && byte === 0) seed = createHash("sha256").update(seed).digest();
    const v = seed[byte]! / 127.5 - 1;
    out[i] = v;
    norm += v * v;
  }
  const scale = norm === 0 ? 0 : 1 / Math.sqrt(norm);
  for (let i = 0; i < dimensions; i++) out[i] = out[i]! * scale;
  return out;
}

/** OpenAI's `encoding_format: "base64"`: little-endian float32 bytes, base64-encoded. */
export function toBase64(vector: Float32Array): string {
  const bytes = Buffer.alloc(vector.length * 4);
  for (let i = 0; i < vector.length; i++) bytes.writeFloatLE(vector[i]!, i * 4);
  return bytes.toString("base64");
}

export function embeddingInputs(input: unknown): string[] {
  if (typeof input === "string") return [input];
  if (Array.isArray(input)) {
    // A list of strings, or token arrays (one input, or many).
    if (input.every((x) => typeof x === "number")) return [input.join(" ")];
    return input.map((x) =>
      typeof x === "string" ? x : Array.isArray(x) ? x.join(" ") : String(x),
    );
  }
  return [];
}
