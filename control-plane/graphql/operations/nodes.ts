import { builder } from "../builder.js";
import { NodeRef } from "../types/node.js";

builder.queryField("nodes", (t) =>
  t.field({
    type: [NodeRef],
    description:
      "The data-plane nodes heard from in the last minute (distributed mode; empty when embedded).",
    authScopes: { adminViewer: true },
    resolve: (_root, _args, ctx) => ctx.cp.nodes?.list() ?? [],
  }),
);
