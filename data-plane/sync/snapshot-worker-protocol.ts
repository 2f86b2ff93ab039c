import type { MessagePort } from "node:worker_threads";
import type { SnapshotHead } from "../snapshot/snapshot-parts.js";

/**
 * Between a node's main thread and the worker that parses a whole snapshot. With `fetch`,
 * the worker requests the body itself; without, the main thread posts the body's bytes as
 * they arrive (Uint8Array, transferred), then `null` for the end.
 * The worker posts each part on `partsPort`, then one `WorkerReport` on its
 * parent port: the parts are all queued by then, and the main thread takes them one at a
 * time (receiveMessageOnPort) so that decoding them never piles up in one turn.
 */
export interface WorkerInput {
  partsPort: MessagePort;
  partEntries: number;
  fetch?: WorkerFetch;
}

/** The control plane's `GET /internal/snapshot`, for the worker to request. */
export interface WorkerFetch {
  url: string;
  nodeToken: string;
  timeoutMs: number;
}

export type WorkerReport =
  | { type: "ready"; head: SnapshotHead; parts: number; bytes: number }
  | { type: "failed"; message: string };
