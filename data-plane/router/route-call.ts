import type { ModelGroup } from "../snapshot/indexed-snapshot.js";
import { callDeployment } from "./call-deployment.js";
import { pickDeployment } from "./pick-deployment.js";
import type { RoutedCall } from "./routed-call.js";

/**
 * Routes one request within its model group: picks a deployment and calls it. Resolves once
 * the client was answered; throws the ApiError to answer with when no attempt succeeded.
 */
export async function routeCall(call: RoutedCall, group: ModelGroup): Promise<void> {
  await callDeployment(call, pickDeployment(group));
}
