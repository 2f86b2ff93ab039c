import type { SpendEvent } from "../../schema/spend-event.js";
import type { SpendStore, WriteResult } from "./spend-store.js";

export type IngestListener = (result: WriteResult) => void;

/**
 * Writes batches of spend events (whichever queue they came from) and tells listeners what
 * each batch added: the live feed, and the snapshot refresh that brings totals to nodes.
 */
export class SpendIngest {
  private readonly listeners = new Set<IngestListener>();

  constructor(readonly store: SpendStore) {}

  /** Written and committed when it resolves; rejects (nothing written) when the DB refuses. */
  async ingest(events: readonly SpendEvent[]): Promise<WriteResult> {
    const result = await this.store.write(events);
    if (result.inserted.length > 0) {
      for (const listener of this.listeners) {
        try {
          listener(result);
        } catch {
          // A listener's failure must not make a committed batch look failed (it would repeat).
        }
      }
    }
    return result;
  }

  onIngested(listener: IngestListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
