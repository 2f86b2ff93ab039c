import { ApiError } from "../../schema/errors.js";
import type { Deployment } from "../../schema/snapshot.js";

/**
 * The request params to remove before the call: those the provider does not take that the
 * client sent. Without `drop_params` (global or the deployment's own) sending one is the
 * client's error, named in `param`, as LiteLLM reports it. A null value means "not set" and
 * is dropped either way.
 */
export function paramsToDrop(
  body: Readonly<Record<string, unknown>>,
  unsupported: readonly string[],
  deployment: Deployment,
): string[] {
  const drop: string[] = [];
  for (const param of unsupported) {
    const value = body[param];
    if (value === undefined) continue;
    if (value !== null && deployment.dropParams !== true) {
      throw new ApiError(
        400,
        `${param} is not supported by provider ${deployment.provider}; set drop_params: true to drop it`,
        "invalid_request_error",
        "unsupported_parameter",
        param,
      );
    }
    drop.push(param);
  }
  return drop;
}
