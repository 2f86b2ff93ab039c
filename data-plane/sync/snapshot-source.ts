import { setImmediate as nextTurn } from "node:timers/promises";
import { request } from "undici";
import { SnapshotSchema } from "../../schema/snapshot.js";
import { partsOf, type SnapshotParts } from "../snapshot/snapshot-parts.js";
import { WorkerSnapshotParser } from "./parse-in-worker.js";

/**
 * Where a node gets the whole snapshot: at boot, and after any gap in the deltas. In parts,
 * so that the node indexes it without holding up requests (see indexInSlices).
 */
export interface SnapshotSource {
  fetch(): Promise<SnapshotParts>;
}

/**
 * Up to this size a body is parsed and validated on the event loop (a few ms); above it, in a
 * worker thread, whose start-up would cost a small snapshot more than it saves.
 */
export const INLINE_BYTES = 256 * 1024;

/** The longest the body's handling holds the event loop before giving it back. */
const SLICE_MS = 2;

/** The control plane's `GET /internal/snapshot`, authenticated with the node token. */
export class HttpSnapshotSource implements SnapshotSource {
  private readonly url: string;
  /** Size of the last body parsed (0: none yet, as at boot, when the node does not serve). */
  private lastBytes = 0;

  constructor(
    controlPlaneUrl: string,
    private readonly nodeToken: string,
    private readonly timeoutMs = 10_000,
    private readonly inlineBytes = INLINE_BYTES,
  ) {
    this.url = `${controlPlaneUrl.replace(/\/+$/, "")}/internal/snapshot`;
  }

  async fetch(): Promise<SnapshotParts> {
    // A node refetching a large snapshot leaves the whole request to the worker: its event
    // loop, serving requests, then neither copies nor hands over 27 MB of body chunks (at
    // 100k keys), and the copies do not count against its heap's external memory.
    if (this.lastBytes > this.inlineBytes) {
      const worker = new WorkerSnapshotParser({
        url: this.url,
        nodeToken: this.nodeToken,
        timeoutMs: this.timeoutMs,
      });
      const parts = await worker.end();
      this.lastBytes = worker.bytes;
      return parts;
    }
    const res = await request(this.url, {
      headers: { authorization: `Bearer ${this.nodeToken}` },
      headersTimeout: this.timeoutMs,
      bodyTimeout: this.timeoutMs,
    });
    if (res.statusCode !== 200) {
      await res.body.dump();
      throw new Error(`control plane answered HTTP ${res.statusCode} for the snapshot`);
    }
    const head: Buffer[] = [];
    let size = 0;
    // Started as soon as the body proves large, so that its start-up overlaps the download.
    let worker: WorkerSnapshotParser | undefined;
    // On loopback a large body arrives faster than it is handed over, and `for await` takes
    // buffered chunks in one run of microtasks: give the event loop back every ~2 ms.
    let sliceStart = performance.now();
    try {
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        if (performance.now() - sliceStart >= SLICE_MS) {
          await nextTurn();
          sliceStart = performance.now();
        }
        size += chunk.length;
        if (worker !== undefined) {
          worker.write(chunk);
          continue;
        }
        head.push(chunk);
        if (size > this.inlineBytes) {
          worker = new WorkerSnapshotParser();
          for (const c of head) worker.write(c);
          head.length = 0;
        }
      }
    } catch (err) {
      worker?.abort();
      throw err;
    }
    if (worker !== undefined) {
      const parts = await worker.end();
      this.lastBytes = size;
      return parts;
    }
    const parts = partsOf(SnapshotSchema.parse(JSON.parse(Buffer.concat(head).toString("utf8"))));
    this.lastBytes = size;
    return parts;
  }
}
