/** The event type of the last event `sseData` yielded, for readers that need it. */
export interface SseEventType {
  /** `event:` field of the event, or "message" (the SSE default) when it had none. */
  event: string;
}

/**
 * The `data` field of each server-sent event in a byte stream, in order, as SseReader
 * reads them; pass `type` to read each event's `event:` field after it is yielded.
 */
export async function* sseData(
  body: AsyncIterable<Uint8Array>,
  type?: SseEventType,
): AsyncGenerator<string> {
  const sse = new SseReader(body);
  try {
    for (let events = await sse.next(); events !== undefined; events = await sse.next()) {
      for (let i = 0; i < events.length; i++) {
        if (type !== undefined) type.event = sse.types[i]!;
        yield events[i]!;
      }
    }
  } finally {
    await sse.close();
  }
}

/**
 * Server-sent events from a byte stream, by the WHATWG event-stream rules: CRLF, LF or CR
 * line ends, `:` comments, one leading space of a value removed, multi-line data joined
 * with "\n", events without data not dispatched. An event left open when the stream ends
 * is dispatched too, as upstreams that omit the last blank line mean it. Each `next()`
 * resolves with the events the next upstream chunk completed (possibly none), or undefined
 * at the end: one await per chunk rather than an async-generator step per event, since
 * this is every stream's hot path. Call `close()` when stopping early (it releases the
 * upstream body).
 */
export class SseReader {
  /** The `event:` field of each event of the last batch ("message" when it had none). */
  readonly types: string[] = [];
  private readonly batch: string[] = [];
  private readonly chunks: AsyncIterator<Uint8Array>;
  private readonly decoder = new Utf8Chunks();
  private buffer = "";
  private afterCR = false;
  private data: string | undefined;
  private event = "";
  private done = false;

  constructor(body: AsyncIterable<Uint8Array>) {
    this.chunks = body[Symbol.asyncIterator]();
  }

  /** The events of the next chunk; the array is reused by the next call. */
  async next(): Promise<readonly string[] | undefined> {
    this.batch.length = 0;
    this.types.length = 0;
    if (this.done) return undefined;
    const chunk = await this.chunks.next();
    if (chunk.done === true) {
      this.done = true;
      this.finish();
      return this.batch.length > 0 ? this.batch : undefined;
    }
    this.feed(this.decoder.decode(chunk.value));
    return this.batch;
  }

  async close(): Promise<void> {
    if (this.done) return;
    this.done = true;
    await this.chunks.return?.();
  }

  private feed(decoded: string): void {
    let text = decoded;
    if (text === "") return;
    if (this.afterCR && text.charCodeAt(0) === LF) text = text.slice(1);
    if (text.includes("\r")) {
      this.afterCR = text.charCodeAt(text.length - 1) === CR;
      text = text.replace(CR_LINE_ENDS, "\n");
    } else {
      this.afterCR = false;
    }
    const buffer = this.buffer === "" ? text : this.buffer + text;
    let start = 0;
    let end = buffer.indexOf("\n");
    while (end >= 0) {
      if (end === start) this.dispatch();
      else if (buffer.startsWith("data:", start)) {
        const from = buffer.charCodeAt(start + 5) === SPACE ? start + 6 : start + 5;
        this.addData(buffer.slice(from, end));
      } else if (buffer.charCodeAt(start) !== COLON) {
        this.field(buffer.slice(start, end));
      }
      start = end + 1;
      end = buffer.indexOf("\n", start);
    }
    this.buffer = start === buffer.length ? "" : buffer.slice(start);
  }

  /** The last line and event, when the upstream did not end them. */
  private finish(): void {
    const rest = this.buffer + this.decoder.end();
    this.buffer = "";
    if (rest !== "" && rest.charCodeAt(0) !== COLON) this.field(rest);
    this.dispatch();
  }

  private field(line: string): void {
    const colon = line.indexOf(":");
    const name = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.charCodeAt(0) === SPACE) value = value.slice(1);
    if (name === "data") this.addData(value);
    else if (name === "event") this.event = value;
    // id and retry concern reconnecting clients; an upstream call is never resumed.
  }

  private addData(value: string): void {
    this.data = this.data === undefined ? value : `${this.data}\n${value}`;
  }

  private dispatch(): void {
    if (this.data !== undefined) {
      this.batch.push(this.data);
      this.types.push(this.event === "" ? "message" : this.event);
      this.data = undefined;
    }
    this.event = "";
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
