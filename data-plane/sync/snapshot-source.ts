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

/** The control plane's `GET /internal/snapshot`, authenticated with the node token. */
export class HttpSnapshotSource implements SnapshotSource {
  private readonly url: string;

  constructor(
    controlPlaneUrl: string,
    private readonly nodeToken: string,
    private readonly timeoutMs = 10_000,
    private readonly inlineBytes = INLINE_BYTES,
  ) {
    this.url = `${controlPlaneUrl.replace(/\/+$/, "")}/internal/snapshot`;
  }

  async fetch(): Promise<SnapshotParts> {
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
    try {
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        if (worker !== undefined) {
          worker.write(chunk);
          continue;
        }
        head.push(chunk);
        size += chunk.length;
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
    if (worker !== undefined) return worker.end();
    return partsOf(SnapshotSchema.parse(JSON.parse(Buffer.concat(head).toString("utf8"))));
  }
}
