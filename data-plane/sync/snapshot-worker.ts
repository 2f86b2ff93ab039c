// Worker thread: (the request for and) JSON.parse + SnapshotSchema of a whole snapshot
// (~0.3 s at 100k keys), then its large lists packed (packed-entries.ts), off the node's
// event loop. Started by parse-in-worker.ts; see snapshot-worker-protocol.ts.
import { parentPort, workerData } from "node:worker_threads";
import { request } from "undici";
import { SnapshotSchema } from "../../schema/snapshot.js";
import { headOf, packedSplit } from "../snapshot/snapshot-parts.js";
import type { WorkerFetch, WorkerInput, WorkerReport } from "./snapshot-worker-protocol.js";

const { partsPort, partEntries, fetch } = workerData as WorkerInput;
const port = parentPort!;
const chunks: Uint8Array[] = [];

if (fetch !== undefined) {
  void download(fetch).then(
    () => port.postMessage(parse()),
    (err: unknown) => port.postMessage({ type: "failed", message: describe(err) }),
  );
} else {
  port.on("message", (chunk: Uint8Array | null) => {
    if (chunk !== null) {
      chunks.push(chunk);
      return;
    }
    port.postMessage(parse());
  });
}

async function download({ url, nodeToken, timeoutMs }: WorkerFetch): Promise<void> {
  const res = await request(url, {
    headers: { authorization: `Bearer ${nodeToken}` },
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  });
  if (res.statusCode !== 200) {
    await res.body.dump();
    throw new Error(`control plane answered HTTP ${res.statusCode} for the snapshot`);
  }
  for await (const chunk of res.body as AsyncIterable<Buffer>) chunks.push(chunk);
}

function parse(): WorkerReport {
  let body: unknown;
  let bytes = 0;
  try {
    const text = Buffer.concat(chunks);
    bytes = text.length;
    body = JSON.parse(text.toString("utf8"));
  } catch (err) {
    return { type: "failed", message: `the snapshot is not JSON (${describe(err)})` };
  } finally {
    chunks.length = 0;
  }
  const valid = SnapshotSchema.safeParse(body);
  if (!valid.success) {
    const first = valid.error.issues[0];
    const where =
      first === undefined ? "" : ` at ${first.path.join(".") || "the top"}: ${first.message}`;
    return { type: "failed", message: `the snapshot does not match its schema${where}` };
  }
  let parts = 0;
  // Deployments as objects (structured clone, a part at a time); keys, users and teams each
  // packed into one buffer, transferred: the main thread takes them in without decoding.
  for (const part of packedSplit(valid.data, partEntries)) {
    partsPort.postMessage(part, part.list === "packed" ? [part.buffer] : []);
    parts++;
  }
  return { type: "ready", head: headOf(valid.data), parts, bytes };
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
