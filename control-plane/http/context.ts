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
  const bearer = auth === null ? undefined : bearerToken(auth);
  if (bearer !== undefined) return bearer;
  return headers.get("x-api-key") ?? headers.get("api-key") ?? undefined;
}

/**
 * The key in a websocket's `connection_init` payload: `{ authorization: "Bearer sk-..." }`
 * (what GraphQL clients usually send) or `{ apiKey: "sk-..." }`.
 */
export function keyFromConnectionParams(
  params: Readonly<Record<string, unknown>> | undefined,
): string | undefined {
  const auth = params?.authorization ?? params?.Authorization;
  const bearer = typeof auth === "string" ? bearerToken(auth) : undefined;
  if (bearer !== undefined) return bearer;
  const apiKey = params?.apiKey;
  return typeof apiKey === "string" && apiKey !== "" ? apiKey : undefined;
}

export function requestContext(cp: ControlPlane, headers: Headers): RequestContext {
  return keyContext(cp, keyFromHeaders(headers));
}

/** The context for a caller known by its raw key (e.g. a websocket's connection params). */
export function keyContext(cp: ControlPlane, key: string | undefined): RequestContext {
  let principal: Promise<Principal> | undefined;
  return {
    cp,
    principal: () => {
      principal ??= cp.principal(key);
      return principal;
    },
  };
}

function bearerToken(value: string): string | undefined {
  const match = /^bearer\s+(.+)$/i.exec(value.trim());
  return match?.[1]?.trim() || undefined;
}
