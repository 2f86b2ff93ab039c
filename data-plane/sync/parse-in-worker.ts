import {
  type MessagePort,
  MessageChannel,
  receiveMessageOnPort,
  Worker,
  type WorkerOptions,
} from "node:worker_threads";
import { PART_ENTRIES, type SnapshotPart, type SnapshotParts } from "../snapshot/snapshot-parts.js";
import type { WorkerFetch, WorkerInput, WorkerReport } from "./snapshot-worker-protocol.js";

/**
 * Parses and validates a whole snapshot in a worker thread, fed the body's bytes as they
 * arrive or requesting it itself: JSON.parse + SnapshotSchema take ~0.3 s at 100k keys,
 * which the node's event loop must not wait for. One worker per snapshot: fetches are rare (boot, gap, reconnect), and
 * it frees all its memory when it ends.
 */
export class WorkerSnapshotParser {
  private readonly worker: Worker;
  private readonly partsPort: MessagePort;
  private readonly report: Promise<WorkerReport>;

  /** Bytes of the body parsed, once end() has resolved. */
  bytes = 0;

  /** With `fetch`, the worker requests the body itself; else write() hands it over. */
  constructor(fetch?: WorkerFetch, partEntries = PART_ENTRIES) {
    const { port1, port2 } = new MessageChannel();
    this.partsPort = port1;
    const workerData: WorkerInput = { partsPort: port2, partEntries, fetch };
    this.worker = startWorker({ workerData, transferList: [port2] });
    this.report = new Promise<WorkerReport>((resolve, reject) => {
      this.worker.once("message", resolve);
      this.worker.once("error", reject);
      this.worker.once("exit", (code) =>
        reject(new Error(`the snapshot worker stopped (exit code ${code})`)),
      );
    });
    // Awaited in end(); an abort before that must not leave an unhandled rejection.
    this.report.catch(() => undefined);
  }

  write(chunk: Uint8Array): void {
    // A copy the worker owns: a body chunk may be a view of a larger, shared buffer.
    const copy = new Uint8Array(chunk);
    this.worker.postMessage(copy, [copy.buffer]);
  }

  /** Resolves when the worker has every part ready; rejects if the body is not a snapshot. */
  async end(): Promise<SnapshotParts> {
    this.worker.postMessage(null);
    let report: WorkerReport;
    try {
      report = await this.report;
    } catch (err) {
      this.abort();
      throw err;
    }
    if (report.type === "failed") {
      this.abort();
      throw new Error(report.message);
    }
    this.bytes = report.bytes;
    let left = report.parts;
    return {
      head: report.head,
      next: () => {
        if (left === 0) return undefined;
        const received = receiveMessageOnPort(this.partsPort);
        if (received === undefined) throw new Error("a snapshot part went missing");
        left--;
        // Validated against SnapshotSchema in the worker.
        return received.message as SnapshotPart;
      },
      close: () => this.abort(),
    };
  }

  abort(): void {
    this.partsPort.close();
    void this.worker.terminate();
  }
}

/**
 * From dist/ the worker is a .js file Node loads by itself. From TypeScript source (tsx,
 * vitest) it is a .ts file, which Node 20 cannot load and to which a worker does not carry
 * tsx's hooks: a bootstrap registers tsx in the worker first.
 */
function startWorker(options: WorkerOptions): Worker {
  const fromSource = import.meta.url.endsWith(".ts");
  const entry = new URL(`./snapshot-worker.${fromSource ? "ts" : "js"}`, import.meta.url);
  if (!fromSource) return new Worker(entry, options);
  const tsx = import.meta.resolve("tsx/esm/api");
  const bootstrap = `import(${JSON.stringify(tsx)})
    .then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}); })`;
  return new Worker(bootstrap, { ...options, eval: true });
}
