import { describe, expect, it } from "vitest";
import { TEXT_DELTA } from "../../../data-plane/providers/anthropic/stream.js";
import { ChunkWriter } from "../../../data-plane/providers/chunk-writer.js";
import { TEXT_PIECE } from "../../../data-plane/providers/gemini/stream.js";

// The stream translators read their commonest event (a text delta) with a regular
// expression instead of JSON.parse. These tests hold the fast path to the generic one: a
// text it accepts is exactly the expected shape by JSON.parse's reading, with the same
// text; whatever it refuses still goes through JSON.parse.

/** A small deterministic generator, so a failure replays. */
function random(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1_103_515_245 + 12_345) & 0x7fffffff;
    return s / 0x7fffffff;
  };
}

const TEXTS = [
  "Hello",
  "",
  " there, friend.",
  'quote " backslash \\ slash /',
  "line\nbreak\ttab\r\u0000\u001f",
  "é ü 中文 😀",
  "\u2028\u2029",
  "\ud800 lone surrogate",
  '}]},{"text":"not a second part"}',
];

/** Hand-written JSON string bodies: valid escapes the fast path must keep, invalid ones it must refuse. */
const RAW_STRINGS = [
  "\\u00e9\\u00E9",
  "\\ud83d\\ude00",
  "\\/\\b\\f",
  "\\x41", // invalid escape
  "\\u12", // short unicode escape
  "raw\u0001control", // raw control character
  "ends with backslash\\",
];

function pick<T>(next: () => number, xs: readonly T[]): T {
  return xs[Math.floor(next() * xs.length)]!;
}

/** Rewrites compact JSON with random whitespace between tokens (outside strings). */
function spaced(json: string, next: () => number): string {
  let out = "";
  let inString = false;
  for (let i = 0; i < json.length; i++) {
    const c = json[i]!;
    out += c;
    if (inString) {
      if (c === "\\") out += json[++i]!;
      else if (c === '"') inString = false;
    } else if (c === '"') {
      inString = true;
    } else if ("{}[],:".includes(c) && next() < 0.5) {
      out += pick(next, [" ", "  ", "\n", "\t", "\r\n"]);
    }
  }
  return out;
}

function parsed(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** The fast path's answer for one event text, checked against JSON.parse's reading. */
function check(regex: RegExp, data: string, textOf: (event: unknown) => string | undefined) {
  const match = regex.exec(data);
  const event = parsed(data);
  if (match === null) return false;
  expect(event, data).toBeDefined();
  const text = textOf(event);
  expect(text, data).toBeDefined();
  expect(JSON.parse(`"${match[1]}"`), data).toBe(text);
  return true;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json =>
  typeof v === "object" && v !== null && !Array.isArray(v);
const keys = (v: unknown): string => (isObject(v) ? Object.keys(v).join(",") : "");

/** The text of an event that is exactly an Anthropic text delta, by JSON.parse's reading. */
function anthropicText(event: unknown): string | undefined {
  if (!isObject(event) || keys(event) !== "type,index,delta") return undefined;
  const d = event.delta;
  if (event.type !== "content_block_delta" || !Number.isInteger(event.index)) return undefined;
  if (!isObject(d) || keys(d) !== "type,text" || d.type !== "text_delta") return undefined;
  return typeof d.text === "string" ? d.text : undefined;
}

/** The text of an event that is exactly one Gemini text piece, by JSON.parse's reading. */
function geminiText(event: unknown): string | undefined {
  if (!isObject(event) || !Array.isArray(event.candidates) || event.candidates.length !== 1) {
    return undefined;
  }
  for (const key of Object.keys(event)) {
    if (!["candidates", "usageMetadata", "modelVersion", "responseId"].includes(key)) {
      return undefined;
    }
  }
  const c = event.candidates[0] as unknown;
  if (!isObject(c) || !["content", "content,index"].includes(keys(c))) return undefined;
  if (c.index !== undefined && c.index !== 0) return undefined;
  const content = c.content;
  if (!isObject(content) || keys(content) !== "parts,role" || content.role !== "model") {
    return undefined;
  }
  const parts = content.parts;
  if (!Array.isArray(parts) || parts.length !== 1 || keys(parts[0]) !== "text") return undefined;
  const text = (parts[0] as Json).text;
  return typeof text === "string" ? text : undefined;
}

function anthropicEvent(next: () => number): string {
  const text = pick(next, TEXTS);
  const variants = [
    () => ({ type: "content_block_delta", index: 0, delta: { type: "text_delta", text } }),
    () => ({ type: "content_block_delta", index: 12, delta: { type: "text_delta", text } }),
    () => ({ type: "content_block_delta", index: 1.5, delta: { type: "text_delta", text } }),
    () => ({ type: "content_block_delta", index: -1, delta: { type: "text_delta", text } }),
    () => ({ index: 0, type: "content_block_delta", delta: { type: "text_delta", text } }),
    () => ({ type: "content_block_delta", index: 0, delta: { text, type: "text_delta" } }),
    () => ({
      type: "content_block_delta",
      index: 0,
      delta: { type: "thinking_delta", thinking: text },
    }),
    () => ({
      type: "content_block_delta",
      index: 0,
      delta: { type: "input_json_delta", partial_json: text },
    }),
    () => ({ type: "content_block_delta", index: 0, delta: { type: "text_delta", text, x: 1 } }),
    () => ({ type: "content_block_delta", index: 0, delta: { type: "text_delta", text }, y: 2 }),
    () => ({ type: "content_block_delta", index: 0, delta: { type: "text_delta", text: 5 } }),
    () => ({ type: "content_block_start", index: 0, content_block: { type: "text", text } }),
    () => ({ type: "ping" }),
  ];
  let json = JSON.stringify(pick(next, variants)());
  if (next() < 0.2) {
    json = json.replace(/"text":"(?:[^"\\]|\\.)*"/, `"text":"${pick(next, RAW_STRINGS)}"`);
  }
  if (next() < 0.1) json = json.replace('"index":0', '"index":01');
  if (next() < 0.1) json = json.slice(0, Math.floor(next() * json.length));
  if (next() < 0.1) json = `${json}, "type": "ping"}`.replace(/}, "type"/, ', "type"');
  return next() < 0.5 ? spaced(json, next) : json;
}

function geminiEvent(next: () => number): string {
  const text = pick(next, TEXTS);
  const usage = pick(next, [
    undefined,
    { promptTokenCount: 5, candidatesTokenCount: 3, totalTokenCount: 8 },
    {
      promptTokenCount: 5,
      totalTokenCount: 5,
      promptTokensDetails: [{ modality: "TEXT", tokenCount: 5 }],
    },
    { promptTokenCount: 5.5 },
    { promptTokenCount: "5" },
  ]);
  const parts = pick(next, [
    [{ text }],
    [{ text, thought: true }],
    [{ text }, { text }],
    [{ functionCall: { name: "f", args: {} } }],
    [{ text, thoughtSignature: "abc" }],
  ]);
  const candidate = pick(next, [
    { content: { parts, role: "model" }, index: 0 },
    { content: { parts, role: "model" } },
    { content: { parts, role: "model" }, index: 1 },
    { content: { parts, role: "model" }, finishReason: "STOP", index: 0 },
    { content: { role: "model", parts }, index: 0 },
  ]);
  const event: Json = { candidates: pick(next, [[candidate], [candidate, candidate], []]) };
  if (usage !== undefined) event.usageMetadata = usage;
  if (next() < 0.7) event.modelVersion = "gemini-2.5-flash";
  if (next() < 0.5) event.responseId = "r-1";
  if (next() < 0.1) event.promptFeedback = { blockReason: "SAFETY" };
  if (next() < 0.05) event.error = { code: 500 };
  let json = JSON.stringify(event);
  if (next() < 0.2) {
    json = json.replace(/"text":"(?:[^"\\]|\\.)*"/, `"text":"${pick(next, RAW_STRINGS)}"`);
  }
  if (next() < 0.1) json = json.slice(0, Math.floor(next() * json.length));
  return next() < 0.5 ? spaced(json, next) : json;
}

describe("stream fast paths", () => {
  it("anthropic: reads a text delta exactly as JSON.parse does, compact or spaced", () => {
    const plain =
      '{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi \\"you\\"\\n"}}';
    expect(TEXT_DELTA.exec(plain)?.[1]).toBe('Hi \\"you\\"\\n');
    const spacedOut =
      '{ "type": "content_block_delta", "index": 3, "delta": { "type": "text_delta", "text": "x" } }\n';
    expect(TEXT_DELTA.exec(spacedOut)?.[1]).toBe("x");
  });

  it("anthropic: never accepts an event that is not exactly a text delta (fuzz)", () => {
    const next = random(7);
    let matched = 0;
    for (let i = 0; i < 3000; i++) {
      const data = anthropicEvent(next);
      if (check(TEXT_DELTA, data, anthropicText)) matched++;
      else if (anthropicText(parsed(data)) !== undefined) {
        // Refused but a text delta all the same: only in another key order or with a
        // number JSON.parse reads as an integer (1.0, 1e0), which the slow path handles.
        expect(data.replace(/\s/g, "")).not.toMatch(
          /^\{"type":"content_block_delta","index":(0|[1-9]\d*),"delta":\{"type":"text_delta","text":"/,
        );
      }
    }
    expect(matched).toBeGreaterThan(100);
  });

  it("gemini: reads a text piece exactly as JSON.parse does, with its usage", () => {
    const data =
      '{"candidates": [{"content": {"parts": [{"text": "Hel\\u006co"}],"role": "model"},"index": 0}],"usageMetadata": {"promptTokenCount": 4,"totalTokenCount": 5,"promptTokensDetails": [{"modality": "TEXT","tokenCount": 4}]},"modelVersion": "gemini-2.0-flash","responseId": "abc"}';
    const match = TEXT_PIECE.exec(data);
    expect(match?.[1]).toBe("Hel\\u006co");
    expect(JSON.parse(match?.[2] ?? "null")).toEqual({
      promptTokenCount: 4,
      totalTokenCount: 5,
      promptTokensDetails: [{ modality: "TEXT", tokenCount: 4 }],
    });
  });

  it("gemini: never accepts an event that is not exactly one text piece (fuzz)", () => {
    const next = random(11);
    let matched = 0;
    for (let i = 0; i < 8000; i++) {
      const data = geminiEvent(next);
      if (check(TEXT_PIECE, data, geminiText)) {
        matched++;
        // The usage it hands on is the event's own.
        const usage = TEXT_PIECE.exec(data)?.[2];
        const event = parsed(data) as Json;
        expect(usage === undefined ? undefined : JSON.parse(usage)).toEqual(event.usageMetadata);
      }
    }
    expect(matched).toBeGreaterThan(100);
  });

  it("writes the same chunk from raw text as from the parsed text", () => {
    const out = new ChunkWriter('msg_"1"', 1_700_000_000, "claude-3-5-sonnet");
    for (const text of TEXTS) {
      const raw = JSON.stringify(text).slice(1, -1);
      expect(JSON.parse(out.rawText(raw))).toEqual(JSON.parse(out.delta({ content: text })));
      expect(JSON.parse(out.delta({ content: text }))).toEqual({
        id: 'msg_"1"',
        object: "chat.completion.chunk",
        created: 1_700_000_000,
        model: "claude-3-5-sonnet",
        choices: [{ index: 0, delta: { content: text }, logprobs: null, finish_reason: null }],
      });
    }
    expect(out.delta({}, "stop", 2)).toBe(
      JSON.stringify({
        id: 'msg_"1"',
        object: "chat.completion.chunk",
        created: 1_700_000_000,
        model: "claude-3-5-sonnet",
        choices: [{ index: 2, delta: {}, logprobs: null, finish_reason: "stop" }],
      }),
    );
  });
});
