/** The event type of the last event `sseData` yielded, for readers that need it. */
export interface SseEventType {
  /** `event:` field of the event, or "message" (the SSE default) when it had none. */
  event: string;
}

/**
 * The `data` field of each server-sent event in a byte stream, in order (the WHATWG
 * event-stream rules: CRLF, LF or CR line ends, `:` comments, one leading space of a value
 * removed, multi-line data joined with "\n", events without data not dispatched). An event
 * left open when the stream ends is dispatched too, as upstreams that omit the last blank
 * line mean it. Written for the hot path: one string scan per chunk, no object per event;
 * pass `type` to read each event's `event:` field after it is yielded.
 */
export async function* sseData(
  body: AsyncIterable<Uint8Array>,
  type?: SseEventType,
): AsyncGenerator<string> {
  const decoder = new Utf8Chunks();
  let buffer = "";
  let afterCR = false;
  let data: string | undefined;
  let event = "";
  for await (const bytes of body) {
    let text = decoder.decode(bytes);
    if (text === "") continue;
    if (afterCR && text.charCodeAt(0) === LF) text = text.slice(1);
    if (text.includes("\r")) {
      afterCR = text.charCodeAt(text.length - 1) === CR;
      text = text.replace(CR_LINE_ENDS, "\n");
    } else {
      afterCR = false;
    }
    buffer = buffer === "" ? text : buffer + text;
    let start = 0;
    let end = buffer.indexOf("\n");
    while (end >= 0) {
      if (end === start) {
        if (data !== undefined) {
          if (type !== undefined) type.event = event === "" ? "message" : event;
          yield data;
          data = undefined;
        }
        event = "";
      } else if (buffer.startsWith("data:", start)) {
        const from = buffer.charCodeAt(start + 5) === SPACE ? start + 6 : start + 5;
        const value = buffer.slice(from, end);
        data = data === undefined ? value : `${data}\n${value}`;
      } else if (buffer.charCodeAt(start) !== COLON) {
        const colon = buffer.indexOf(":", start);
        const nameEnd = colon < 0 || colon > end ? end : colon;
        const name = buffer.slice(start, nameEnd);
        let from = nameEnd === end ? end : nameEnd + 1;
        if (buffer.charCodeAt(from) === SPACE && from < end) from++;
        const value = buffer.slice(from, end);
        if (name === "data") data = data === undefined ? value : `${data}\n${value}`;
        else if (name === "event") event = value;
        // id and retry concern reconnecting clients; an upstream call is never resumed.
      }
      start = end + 1;
      end = buffer.indexOf("\n", start);
    }
    buffer = start === buffer.length ? "" : buffer.slice(start);
  }
  buffer += decoder.end();
  // The last line and event, when the upstream did not end them.
  if (buffer !== "") {
    const colon = buffer.indexOf(":");
    const name = colon < 0 ? buffer : buffer.slice(0, colon);
    let value = colon < 0 ? "" : buffer.slice(colon + 1);
    if (value.charCodeAt(0) === SPACE) value = value.slice(1);
    if (name === "data") data = data === undefined ? value : `${data}\n${value}`;
    else if (name === "event") event = value;
  }
  if (data !== undefined) {
    if (type !== undefined) type.event = event === "" ? "message" : event;
    yield data;
  }
}

const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const COLON = 0x3a;
const CR_LINE_ENDS = /\r\n?/g;

/**
 * UTF-8 bytes → text, chunk by chunk, as TextDecoder's stream mode does (a character split
 * across chunks waits for its last bytes; a BOM at the start is dropped; bad bytes become
 * U+FFFD) but at Buffer#toString's speed, which is some three times TextDecoder's on short
 * SSE chunks.
 */
class Utf8Chunks {
  private held: Buffer | undefined;
  private started = false;

  decode(chunk: Uint8Array): string {
    let bytes = Buffer.isBuffer(chunk)
      ? chunk
      : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (this.held !== undefined) {
      bytes = Buffer.concat([this.held, bytes]);
      this.held = undefined;
    }
    const end = completeLength(bytes);
    if (end < bytes.length) this.held = Buffer.from(bytes.subarray(end));
    let text = bytes.toString("utf8", 0, end);
    if (!this.started && text !== "") {
      this.started = true;
      if (text.charCodeAt(0) === BOM) text = text.slice(1);
    }
    return text;
  }

  /** What is left at the end of the stream (a cut character becomes U+FFFD). */
  end(): string {
    const held = this.held;
    this.held = undefined;
    return held === undefined ? "" : held.toString("utf8");
  }
}

/** The length of the longest prefix of `b` that does not end inside a UTF-8 character. */
function completeLength(b: Buffer): number {
  const n = b.length;
  if (n === 0 || b[n - 1]! < 0x80) return n;
  // Walk back over continuation bytes (10xxxxxx) to the lead byte, at most 3.
  let i = n - 1;
  while (i > 0 && n - i < 4 && (b[i]! & 0xc0) === 0x80) i--;
  const lead = b[i]!;
  const size = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
  // A complete character, or bytes that can never complete (left to U+FFFD now).
  return i + size <= n || size === 1 ? n : i;
}

const BOM = 0xfeff;
