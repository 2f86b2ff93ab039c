import type { NodeState } from "../../nodes/node-registry.js";
import { builder } from "../builder.js";

/** A data-plane node, as its last heartbeat described it. */
export const NodeRef = builder.objectRef<NodeState>("Node").implement({
  description: "A data-plane node, as its last heartbeat described it.",
  fields: (t) => ({
    nodeId: t.exposeString("nodeId"),
    address: t.exposeString("address", { description: "Where the node serves (host:port)." }),
    snapshotVersion: t.exposeInt("version", { description: "The snapshot version it serves." }),
    lag: t.exposeInt("lag", { description: "Versions behind the control plane's latest." }),
    stale: t.exposeBoolean("stale", {
      description: "It has lost sync with the control plane and serves what it last had.",
    }),
    lastSyncAt: t.field({
      type: "DateTime",
      description: "When it last synced with the control plane.",
      resolve: (node) => new Date(node.lastSyncAt),
    }),
    lastHeartbeat: t.field({
      type: "DateTime",
      description: "When it last sent a heartbeat.",
      resolve: (node) => new Date(node.at),
    }),
  }),
});
