import { request } from "undici";
import { type Snapshot, SnapshotSchema } from "../../schema/snapshot.js";

/** Where a node gets the whole snapshot: at boot, and after any gap in the deltas. */
export interface SnapshotSource {
  fetch(): Promise<Snapshot>;
}

/** The control plane's `GET /internal/snapshot`, authenticated with the node token. */
export class HttpSnapshotSource implements SnapshotSource {
  private readonly url: string;

  constructor(
    controlPlaneUrl: string,
    private readonly nodeToken: string,
    private readonly timeoutMs = 10_000,
  ) {
    this.url = `${controlPlaneUrl.replace(/\/+$/, "")}/internal/snapshot`;
  }

  async fetch(): Promise<Snapshot> {
    const res = await request(this.url, {
      headers: { authorization: `Bearer ${this.nodeToken}` },
      headersTimeout: this.timeoutMs,
      bodyTimeout: this.timeoutMs,
    });
    if (res.statusCode !== 200) {
      await res.body.dump();
      throw new Error(`control plane answered HTTP ${res.statusCode} for the snapshot`);
    }
    return SnapshotSchema.parse(await res.body.json());
  }
}
