import type { ControlPlane } from "../control-plane.js";
import type { Principal } from "../auth/principal.js";

/** What every GraphQL resolver and REST handler gets for one request. */
export interface RequestContext {
  readonly cp: ControlPlane;
  /** The caller, resolved lazily (one database read) from the request's key. */
  principal(): Promise<Principal>;
}

/** The key presented in `Authorization: Bearer`, `x-api-key` or `api-key`. */
export function keyFromHeaders(headers: Headers): string | undefined {
  const auth = headers.get("authorization");
  if (auth !== null) {
    const match = /^bearer\s+(.+)$/i.exec(auth.trim());
    if (match?.[1]) return match[1].trim();
  }
  return headers.get("x-api-key") ?? headers.get("api-key") ?? undefined;
}

export function requestContext(cp: ControlPlane, headers: Headers): RequestContext {
  let principal: Promise<Principal> | undefined;
  return {
    cp,
    principal: () => {
      principal ??= cp.principal(keyFromHeaders(headers));
      return principal;
    },
  };
}
