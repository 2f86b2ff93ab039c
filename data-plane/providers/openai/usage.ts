import type { Usage } from "../types.js";

const USAGE_KEY = Buffer.from('"usage"');
const OPEN = 0x7b; // {
const CLOSE = 0x7d; // }
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;

/**
 * Reads `usage` from a whole OpenAI response without parsing the whole body: OpenAI puts
 * it after `choices`, so the last `"usage"` key is found from the end and only its object
 * is parsed. Falls back to a full parse when the bytes look unusual.
 */
export function usageFromBody(body: Buffer): Usage | undefined {
  const at = body.lastIndexOf(USAGE_KEY);
  if (at < 0) return undefined;
  let i = at + USAGE_KEY.length;
  while (i < body.length && isSpace(body[i]!)) i++;
  if (at === 0 || body[at - 1] === BACKSLASH || body[i] !== COLON) return fullParse(body);
  i++;
  while (i < body.length && isSpace(body[i]!)) i++;
  if (body[i] !== OPEN) return undefined; // "usage": null
  const end = matchingBrace(body, i);
  if (end < 0) return fullParse(body);
  try {
    return billedUsage(JSON.parse(body.toString("utf8", i, end + 1)) as WireUsage);
  } catch {
    return fullParse(body);
  }
}

function matchingBrace(b: Buffer, start: number): number {
  let depth = 0;
  for (let j = start; j < b.length; j++) {
    const c = b[j]!;
    if (c === QUOTE) {
      for (j++; j < b.length && b[j] !== QUOTE; j++) if (b[j] === BACKSLASH) j++;
    } else if (c === OPEN) depth++;
    else if (c === CLOSE && --depth === 0) return j;
  }
  return -1;
}

function fullParse(body: Buffer): Usage | undefined {
  try {
    const usage = (JSON.parse(body.toString("utf8")) as { usage?: WireUsage | null }).usage;
    return usage ? billedUsage(usage) : undefined;
  } catch {
    return undefined;
  }
}

/** OpenAI's usage, and the cache field one compatible upstream names its own way. */
export type WireUsage = Usage & { prompt_cache_hit_tokens?: number };

/**
 * The usage as sent, with cache hits where costOf reads them: OpenAI, Azure and most
 * compatible upstreams put them in `prompt_tokens_details.cached_tokens` already; DeepSeek
 * says `prompt_cache_hit_tokens` (also part of `prompt_tokens`).
 */
export function billedUsage(u: WireUsage): Usage {
  const hits = u.prompt_cache_hit_tokens;
  if (typeof hits !== "number" || u.prompt_tokens_details?.cached_tokens !== undefined) return u;
  return { ...u, prompt_tokens_details: { ...u.prompt_tokens_details, cached_tokens: hits } };
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}
