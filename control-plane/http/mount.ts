import type uWS from "uWebSockets.js";
import type { ControlPlane } from "../control-plane.js";
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
  "/v1/model/*",
] as const;

/**
 * Serves the control plane on a uWebSockets.js app: one graphql-yoga instance answers
 * GraphQL and, through a plugin, the REST endpoints LiteLLM users already call.
 */
export function mountControlPlane(
  app: uWS.TemplatedApp,
  cp: ControlPlane,
  options: { graphiql: boolean },
): void {
  const yoga = createYoga(cp, { graphiql: options.graphiql, plugins: [useLiteLLMRest(cp)] });
  for (const path of CONTROL_PLANE_PATHS) app.any(path, yoga);
}
