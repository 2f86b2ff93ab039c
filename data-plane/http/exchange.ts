import { STATUS_CODES } from "node:http";
import type { HttpResponse } from "uWebSockets.js";
import { ApiError } from "../../schema/errors.js";

const STATUS_LINES = new Map<number, string>();
function statusLine(status: number): string {
  let line = STATUS_LINES.get(status);
  if (line === undefined) {
    line = `${status} ${STATUS_CODES[status] ?? "Unknown"}`;
    STATUS_LINES.set(status, line);
  }
  return line;
}

export type Headers = readonly (readonly [string, string])[];

/**
 * One request/response on uWS, written safely: every write from an async callback is
 * corked, nothing is written after the client went away or after the response ended,
 * and stream writes respect backpressure (a write the socket could not take waits for
 * `onWritable`). The handler must create it synchronously, before any await, because
 * uWS requires `onAborted` to be registered before going async.
 */
export class Exchange {
  aborted = false;
  /** The HTTP status sent to the client (0 until the response or the stream's head went out). */
  status = 0;
  /** performance.now() when the status line went out: the answer's (or the stream's) first byte. */
  respondedAt = 0;
  /** No more writes: the response was ended (its bytes may still be on their way). */
  private ended = false;
  /** The response's bytes were all handed to the socket, or the client went away. */
  private completed = false;
  private headersSent = false;
  private drainWaiter: (() => void) | undefined;
  private readonly abortListeners: (() => void)[] = [];

  constructor(
    readonly res: HttpResponse,
    readonly requestId: string,
    readonly startedAt: number,
    /** Called once, when the response ended or the client went away. */
    private readonly onFinish?: () => void,
  ) {
    res.onAborted(() => {
      this.aborted = true;
      this.ended = true;
      this.drainWaiter?.();
      for (const fn of this.abortListeners) fn();
      this.complete();
    });
  }

  private complete(): void {
    if (this.completed) return;
    this.completed = true;
    this.onFinish?.();
  }

  /** Whether the response can still be written (client connected, not ended). */
  get open(): boolean {
    return !this.ended;
  }

  get streaming(): boolean {
    return this.headersSent;
  }

  onAbort(fn: () => void): void {
    if (this.aborted) fn();
    else this.abortListeners.push(fn);
  }

  sendJson(
    status: number,
    body: string | Uint8Array,
    headers: Headers = [],
    closeConnection = false,
  ): void {
    this.sendText(status, body, "application/json", headers, closeConnection);
  }

  /** A whole answer of any content type. */
  sendText(
    status: number,
    body: string | Uint8Array,
    contentType: string,
    headers: Headers = [],
    closeConnection = false,
  ): void {
    if (this.ended) return;
    this.ended = true;
    this.status = status;
    this.respondedAt = performance.now();
    const res = this.res;
    res.cork(() => {
      res.writeStatus(statusLine(status));
      res.writeHeader("content-type", contentType);
      res.writeHeader("x-request-id", this.requestId);
      for (const [k, v] of headers) res.writeHeader(k, v);
      if (closeConnection) {
        res.end(body, true);
        this.complete();
        return;
      }
      // tryEnd + onWritable: a large body to a slow reader is sent as the socket drains, and
      // the exchange completes (for graceful shutdown) only once every byte is out.
      const bytes = typeof body === "string" ? Buffer.from(body) : body;
      const start = res.getWriteOffset();
      const [, done] = res.tryEnd(bytes, bytes.byteLength);
      if (done) {
        this.complete();
        return;
      }
      res.onWritable((offset) => {
        const [ok, finished] = res.tryEnd(bytes.subarray(offset - start), bytes.byteLength);
        if (finished) this.complete();
        return ok;
      });
    });
  }

  sendError(
    err: ApiError,
    headers: Headers = [],
    closeConnection = false,
    /** The body in the client's wire format; OpenAI's error shape by default. */
    body: string = JSON.stringify(err.toBody()),
  ): void {
    const extra =
      err.retryAfter === undefined
        ? headers
        : [...headers, ["retry-after", String(Math.max(0, Math.ceil(err.retryAfter)))] as const];
    this.sendJson(err.status, body, extra, closeConnection);
  }

  /** Starts an SSE response; returns false if the client is gone. */
  beginStream(headers: Headers): boolean {
    if (this.ended) return false;
    this.headersSent = true;
    this.status = 200;
    this.respondedAt = performance.now();
    this.res.cork(() => {
      this.res.writeStatus("200 OK");
      this.res.writeHeader("content-type", "text/event-stream");
      this.res.writeHeader("cache-control", "no-cache");
      this.res.writeHeader("x-request-id", this.requestId);
      for (const [k, v] of headers) this.res.writeHeader(k, v);
    });
    return true;
  }

  /**
   * Writes a chunk of a started stream. Resolves at once when the socket took it, or when
   * it drained enough for more, so the caller stops pulling from upstream meanwhile.
   */
  write(chunk: string): Promise<void> | undefined {
    if (this.ended) return undefined;
    let ok = true;
    this.res.cork(() => {
      ok = this.res.write(chunk);
    });
    if (ok) return undefined;
    return new Promise<void>((resolve) => {
      this.drainWaiter = () => {
        this.drainWaiter = undefined;
        resolve();
      };
      this.res.onWritable(() => {
        this.drainWaiter?.();
        return true;
      });
    });
  }

  endStream(last?: string): void {
    if (this.ended) return;
    this.ended = true;
    this.res.cork(() => {
      this.res.end(last);
    });
    this.complete();
  }

  /** Ends the response at once (the client sees a cut connection). */
  close(): void {
    if (this.ended) return;
    this.ended = true;
    this.res.close();
    this.complete();
  }
}

export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  return new ApiError(500, "Internal server error", "server_error", "internal_error");
}
