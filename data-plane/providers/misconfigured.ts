import { ApiError } from "../../schema/errors.js";
import type { Deployment } from "../../schema/snapshot.js";

/** A deployment its provider cannot call as configured: the operator's error, not the client's. */
export function misconfigured(d: Deployment, needs: string): ApiError {
  return new ApiError(
    500,
    `Deployment ${d.id} of model "${d.modelName}" cannot be called: provider ${d.provider} needs ${needs}.`,
    "server_error",
    "deployment_misconfigured",
  );
}
