import type { Logger } from "pino";
import type { Bus } from "../bus/bus.js";
import { busChannels } from "../bus/channels.js";
import { DataPlaneServer } from "../data-plane/server.js";
import type { SnapshotSource } from "../data-plane/sync/snapshot-source.js";
import { SnapshotSync } from "../data-plane/sync/snapshot-sync.js";
import type { Snapshot } from "../schema/snapshot.js";
import type { SpendSink } from "../schema/spend-event.js";

export interface DataPlaneNodeOptions {
  host: string;
  port: number;
  nodeId: string;
  /** Started; the node subscribes to the snapshot channel on it. */
  bus: Bus;
  busPrefix: string;
  /** Where the whole snapshot comes from (the control plane's `GET /internal/snapshot`). */
  source: SnapshotSource;
  /** Shares limit counters with the other nodes through this Redis; absent: counts alone. */
  redisUrl?: string;
  /** Where this node's spend events go (started); absent: spend is not recorded. */
  spendSink?: SpendSink;
  logger: Logger;
}

export interface DataPlaneNode {
  readonly port: number;
  readonly server: DataPlaneServer;
  readonly sync: SnapshotSync;
  stop(): Promise<void>;
}

/**
 * One data-plane node: subscribes to the deltas, fetches the whole snapshot once (deltas
 * that arrive meanwhile are applied after it), and only then listens: a node must not
 * answer without a snapshot.
 */
export async function startDataPlaneNode(options: DataPlaneNodeOptions): Promise<DataPlaneNode> {
  const { bus, logger, nodeId } = options;
  const channels = busChannels(options.busPrefix);
  let sync: SnapshotSync | undefined;
  const server = new DataPlaneServer({
    host: options.host,
    port: options.port,
    // Replaced by the first fetched snapshot before the server listens.
    snapshot: NOT_SYNCED,
    logger,
    syncStatus: () => sync?.status() ?? { stale: true, lastSyncAt: 0, reason: "starting" },
    sharedLimits:
      options.redisUrl === undefined
        ? undefined
        : { redisUrl: options.redisUrl, nodeId, keyPrefix: options.busPrefix },
    cooldowns: { bus, channel: channels.cooldowns, nodeId },
    spendSink: options.spendSink,
  });
  sync = new SnapshotSync({
    bus,
    snapshotChannel: channels.snapshot,
    nodesChannel: channels.nodes,
    source: options.source,
    target: server,
    logger,
    nodeId,
    address: `${options.host}:${options.port}`,
  });
  const running = sync;
  // Resolves once the first whole snapshot is swapped in (retrying until it can be fetched).
  await running.start();
  let port: number;
  try {
    port = await server.start();
  } catch (err) {
    await running.stop();
    throw err;
  }
  return {
    port,
    server,
    sync: running,
    stop: async () => {
      await server.stop();
      await running.stop();
    },
  };
}

/** What a node holds before its first fetch: nothing to serve (it does not listen yet). */
const NOT_SYNCED: Snapshot = {
  version: 0,
  builtAt: "",
  deployments: [],
  keys: [],
  users: [],
  teams: [],
  settings: { maxBodyBytes: 1, gracefulShutdownMs: 0 },
};
