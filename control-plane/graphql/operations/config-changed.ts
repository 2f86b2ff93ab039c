import { Repeater } from "graphql-yoga";
import type { ChangeEvent } from "../../control-plane.js";
import { builder } from "../builder.js";
import { ConfigChangeRef } from "../types/config-change.js";

builder.subscriptionField("configChanged", (t) =>
  t.field({
    type: ConfigChangeRef,
    description:
      "Every committed change, as it happens (over graphql-transport-ws at /graphql, or SSE).",
    authScopes: { adminViewer: true },
    subscribe: (_root, _args, ctx) =>
      // A Repeater rather than an async generator: a generator parked on `await` would not
      // run its cleanup when the client goes away, and the listener would leak.
      new Repeater<ChangeEvent>(async (push, stop) => {
        const unsubscribe = ctx.cp.onChange((event) => {
          try {
            void push(event);
          } catch (err) {
            // More than 1024 events the client has not taken: end its subscription rather
            // than throw into the control plane's commit.
            stop(err);
          }
        });
        await stop;
        unsubscribe();
      }),
    resolve: (event) => event,
  }),
);
