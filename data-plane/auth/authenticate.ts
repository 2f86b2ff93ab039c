import { timingSafeEqual } from "node:crypto";
import { ApiError } from "../../schema/errors.js";
import type { IndexedSnapshot } from "../snapshot/indexed-snapshot.js";
import type { KeyDigests } from "./key-digests.js";

export type Caller = { readonly kind: "master" } | { readonly kind: "open" };

const MASTER: Caller = { kind: "master" };
const OPEN: Caller = { kind: "open" };

/**
 * The key a client presented: `Authorization: Bearer <key>` (OpenAI SDKs), `x-api-key`
 * (Anthropic SDKs) or `api-key` (Azure OpenAI SDKs).
 */
export function presentedKey(
  authorization: string,
  xApiKey: string,
  azureApiKey: string,
): string | undefined {
  if (authorization !== "") {
    const space = authorization.indexOf(" ");
    if (space > 0 && authorization.slice(0, space).toLowerCase() === "bearer") {
      const key = authorization.slice(space + 1).trim();
      if (key !== "") return key;
    }
  }
  if (xApiKey !== "") return xApiKey;
  if (azureApiKey !== "") return azureApiKey;
  return undefined;
}

/**
 * Who is calling. Keys are compared as SHA-256 digests with a constant-time compare, so
 * neither the key's content nor its length leaks through timing.
 */
export function authenticate(
  key: string | undefined,
  snapshot: IndexedSnapshot,
  digests: KeyDigests,
): Caller {
  const master = snapshot.masterKeyHash;
  if (master === undefined) return OPEN;
  if (key === undefined) {
    throw new ApiError(
      401,
      "No API key provided. Pass it as 'Authorization: Bearer <key>' or 'x-api-key'.",
      "authentication_error",
      "missing_api_key",
    );
  }
  const digest = digests.digest(key);
  if (timingSafeEqual(digest, master)) {
    digests.remember(key, digest);
    return MASTER;
  }
  throw new ApiError(401, "Invalid API key.", "authentication_error", "invalid_api_key");
}

export function isAdmin(caller: Caller): boolean {
  return caller.kind === "master" || caller.kind === "open";
}
