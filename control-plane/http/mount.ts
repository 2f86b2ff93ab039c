import type uWS from "uWebSockets.js";
import type { ControlPlane } from "../control-plane.js";
import { graphqlWebSocketBehavior } from "../graphql/websocket.js";
import { createYoga } from "../graphql/yoga.js";
import { useLiteLLMRest } from "../rest/plugin.js";

/** Where the control plane answers: GraphQL, and LiteLLM's admin REST paths. */
export const CONTROL_PLANE_PATHS = [
  "/graphql",
  "/key/*",
  "/user/*",
  "/team/*",
  "/model/*",
  "/organization/*",
  "/global/*",
  "/spend/*",
  "/v1/model/*",
] as const;

/**
 * Serves the control plane on a uWebSockets.js app: one graphql-yoga instance answers
 * GraphQL and, through a plugin, the REST endpoints LiteLLM users already call. The same
 * `/graphql` also takes websocket upgrades (`graphql-transport-ws`) for subscriptions; uWS
 * hands a plain GET or POST on to yoga.
 */
export function mountControlPlane(
  app: uWS.TemplatedApp,
  cp: ControlPlane,
  options: { graphiql: boolean },
): void {
  const yoga = createYoga(cp, { graphiql: options.graphiql, plugins: [useLiteLLMRest(cp)] });
  app.ws(yoga.graphqlEndpoint, graphqlWebSocketBehavior(yoga, cp));
  for (const path of CONTROL_PLANE_PATHS) app.any(path, yoga);
}
