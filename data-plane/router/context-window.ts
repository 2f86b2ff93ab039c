import type { Deployment } from "../../schema/snapshot.js";
import { priceOf } from "../pricing/deployment-price.js";
import type { CallType } from "../providers/types.js";

type Tokenizer = typeof import("gpt-tokenizer/encoding/o200k_base");

/** Per message, chat formats add a few tokens of framing (OpenAI's cookbook: 3, plus 3). */
const TOKENS_PER_MESSAGE = 3;
/** A BPE token is at least one UTF-8 byte, and a UTF-16 unit is at most 3 of them. */
const MAX_TOKENS_PER_CHAR = 3;

let tokenizer: Promise<Tokenizer> | undefined;

const windows = new WeakMap<readonly Deployment[], number>();

/**
 * The largest context window among a group's deployments, tokens (Infinity when one is not
 * known: the upstream judges). Computed once per group list.
 */
export function groupContextWindow(deployments: readonly Deployment[]): number {
  let window = windows.get(deployments);
  if (window !== undefined) return window;
  window = 0;
  for (const d of deployments) window = Math.max(window, priceOf(d).contextWindow ?? Infinity);
  windows.set(deployments, window);
  return window;
}

/**
 * Whether a body of `textLength` characters could hold more tokens than `window`: a BPE
 * token is at least one UTF-8 byte, and a UTF-16 unit at most 3 of them. No await, no
 * tokenizing for the usual request.
 */
export function mayExceed(window: number, textLength: number): boolean {
  return textLength * MAX_TOKENS_PER_CHAR > window;
}

/**
 * Whether the request's prompt is larger than `window` (o200k_base tokens, via
 * gpt-tokenizer, loaded on first need). Call it only when `mayExceed` says so.
 */
export async function exceedsContextWindow(
  window: number,
  callType: CallType,
  body: Readonly<Record<string, unknown>>,
): Promise<boolean> {
  tokenizer ??= import("gpt-tokenizer/encoding/o200k_base");
  const { countTokens } = await tokenizer;
  return promptTokens(countTokens, callType, body) > window;
}

function promptTokens(
  count: (text: string) => number,
  callType: CallType,
  body: Readonly<Record<string, unknown>>,
): number {
  if (callType === "chat") {
    const messages = Array.isArray(body.messages) ? body.messages : [];
    let total = 3;
    for (const m of messages) total += TOKENS_PER_MESSAGE + count(messageText(m));
    return total;
  }
  const input = callType === "completion" ? body.prompt : body.input;
  const texts = Array.isArray(input) ? input : [input];
  let total = 0;
  for (const t of texts) if (typeof t === "string") total += count(t);
  return total;
}

function messageText(message: unknown): string {
  if (typeof message !== "object" || message === null) return "";
  const content = (message as { content?: unknown }).content;
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  let text = "";
  for (const part of content) {
    if (typeof part === "object" && part !== null) {
      const t = (part as { text?: unknown }).text;
      if (typeof t === "string") text += t;
    }
  }
  return text;
}
