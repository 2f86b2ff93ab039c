import { ApiError } from "../../schema/errors.js";
import { ALL_MODELS } from "../../schema/snapshot.js";
import type { Caller } from "./authenticate.js";

/**
 * Whether the caller may use a model: every non-empty model list among key, team and user
 * must allow it (an empty list restricts nothing; `*` / `all-proxy-models` allow all).
 */
export function mayUseModel(caller: Caller, model: string): boolean {
  if (caller.kind !== "key") return true;
  return (
    allows(caller.key.models, model) &&
    (caller.team === undefined || allows(caller.team.models, model)) &&
    (caller.user === undefined || allows(caller.user.models, model)) &&
    (caller.organization === undefined || allows(caller.organization.models, model))
  );
}

export function assertModelAccess(caller: Caller, model: string): void {
  if (mayUseModel(caller, model)) return;
  if (caller.kind !== "key") return;
  const rule = !allows(caller.key.models, model)
    ? `key ${caller.key.keyName}`
    : caller.team !== undefined && !allows(caller.team.models, model)
      ? `team ${caller.team.teamId}`
      : caller.user !== undefined && !allows(caller.user.models, model)
        ? `user ${caller.user.userId}`
        : `organization ${caller.organization?.organizationId}`;
  throw new ApiError(
    403,
    `The ${rule} is not allowed to use model \`${model}\`.`,
    "permission_error",
    "model_not_allowed",
    "model",
  );
}

function allows(list: readonly string[], model: string): boolean {
  if (list.length === 0) return true;
  for (const m of list) if (m === model || ALL_MODELS.has(m)) return true;
  return false;
}
