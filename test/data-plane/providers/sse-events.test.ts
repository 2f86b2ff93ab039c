import { createParser } from "eventsource-parser";
import { describe, expect, it } from "vitest";
import { type SseEventType, sseData } from "../../../data-plane/upstream/sse-events.js";

// The gateway's own SSE reader against eventsource-parser (a spec-following parser) as the
// oracle: same events for the same bytes, however the bytes are split.

async function* pieces(bytes: Uint8Array, sizes: number[]): AsyncGenerator<Uint8Array> {
  let at = 0;
  for (let i = 0; at < bytes.length; i++) {
    const size = sizes[i % sizes.length]!;
    yield bytes.subarray(at, at + size);
    at += size;
  }
}

async function ours(text: string, sizes: number[]): Promise<[string, string][]> {
  const type: SseEventType = { event: "" };
  const out: [string, string][] = [];
  for await (const data of sseData(pieces(new TextEncoder().encode(text), sizes), type)) {
    out.push([type.event, data]);
  }
  return out;
}

function oracle(text: string): [string, string][] {
  const out: [string, string][] = [];
  const parser = createParser({ onEvent: (e) => out.push([e.event ?? "message", e.data]) });
  // As the old reader did: an event left open at the end is dispatched.
  parser.feed(`${text}\n\n`);
  return out;
}

/** A small deterministic generator, so a failure replays. */
function random(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1_103_515_245 + 12_345) & 0x7fffffff;
    return s / 0x7fffffff;
  };
}

const LINES = [
  'data: {"a":1}',
  'data:{"b":"x y"}',
  "data:  two spaces",
  "data",
  "data: é ü 😀 中文",
  "event: content_block_delta",
  "event:ping",
  ": a comment",
  "id: 7",
  "retry: 1000",
  "unknown: field",
  "data: multi",
  "",
  "",
];
const ENDS = ["\n", "\r\n", "\r"];

describe("sseData", () => {
  it("reads the events of a typical stream with their types", async () => {
    const text =
      'event: message_start\ndata: {"type":"message_start"}\n\n: ping\n\nevent: ping\ndata: {}\n\ndata: [DONE]\n\n';
    expect(await ours(text, [5])).toEqual([
      ["message_start", '{"type":"message_start"}'],
      ["ping", "{}"],
      ["message", "[DONE]"],
    ]);
  });

  it("joins multi-line data and dispatches a last event left open", async () => {
    expect(await ours("data: a\ndata: b\n\ndata: c", [3])).toEqual([
      ["message", "a\nb"],
      ["message", "c"],
    ]);
  });

  it("splits CRLF across chunks as one line end", async () => {
    expect(await ours("data: x\r\n\r\ndata: y\r\n\r\n", [8, 1, 1, 1])).toEqual([
      ["message", "x"],
      ["message", "y"],
    ]);
  });

  it("matches eventsource-parser on random streams split at random points", async () => {
    const next = random(42);
    for (let round = 0; round < 400; round++) {
      let text = "";
      const lines = 1 + Math.floor(next() * 30);
      for (let i = 0; i < lines; i++) {
        text += LINES[Math.floor(next() * LINES.length)]!;
        text += ENDS[Math.floor(next() * ENDS.length)]!;
      }
      if (next() < 0.3) text = text.trimEnd();
      const sizes = Array.from({ length: 5 }, () => 1 + Math.floor(next() * 40));
      expect(await ours(text, sizes), JSON.stringify({ text, sizes })).toEqual(oracle(text));
    }
  });
});
