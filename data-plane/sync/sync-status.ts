/** How fresh a node's snapshot is. */
export interface SyncStatus {
  stale: boolean;
  /** Epoch ms of the last confirmation that the snapshot is current. */
  lastSyncAt: number;
  /** Why it is stale, for people. */
  reason?: string;
}
