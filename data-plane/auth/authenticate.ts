import { timingSafeEqual } from "node:crypto";
import { ApiError } from "../../schema/errors.js";
import type { KeyEntry, OrganizationEntry, TeamEntry, UserEntry } from "../../schema/snapshot.js";
import type { IndexedSnapshot } from "../snapshot/indexed-snapshot.js";
import type { KeyDigests } from "./key-digests.js";

export type Caller =
  | { readonly kind: "master" }
  | { readonly kind: "open" }
  | {
      readonly kind: "key";
      readonly key: KeyEntry;
      readonly user: UserEntry | undefined;
      readonly team: TeamEntry | undefined;
      /** The team's organization. */
      readonly organization?: OrganizationEntry | undefined;
    };

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
 * Who is calling. Keys are looked up by their SHA-256 digest; the master key's digest is
 * compared in constant time. With no master key configured (open mode) a request without a
 * known virtual key is let through, as LiteLLM does.
 */
export function authenticate(
  key: string | undefined,
  snapshot: IndexedSnapshot,
  digests: KeyDigests,
  now: number = Date.now(),
): Caller {
  const master = snapshot.masterKeyHash;
  if (key === undefined) {
    if (master === undefined) return OPEN;
    throw new ApiError(
      401,
      "No API key provided. Pass it as 'Authorization: Bearer <key>' or 'x-api-key'.",
      "authentication_error",
      "missing_api_key",
    );
  }
  const digest = digests.digest(key);
  if (master !== undefined && timingSafeEqual(Buffer.from(digest, "latin1"), master)) {
    digests.remember(key, digest);
    return MASTER;
  }
  const entry = snapshot.keysByHash.get(digest);
  if (entry === undefined) {
    if (master === undefined) return OPEN;
    throw new ApiError(401, "Invalid API key.", "authentication_error", "invalid_api_key");
  }
  digests.remember(key, digest);
  if (entry.blocked) {
    throw new ApiError(
      401,
      `Key ${entry.keyName} is blocked.`,
      "authentication_error",
      "key_blocked",
    );
  }
  if (entry.expiresAt !== undefined && entry.expiresAt <= now) {
    throw new ApiError(
      401,
      `Key ${entry.keyName} expired at ${new Date(entry.expiresAt).toISOString()}.`,
      "authentication_error",
      "key_expired",
    );
  }
  const team = entry.teamId === undefined ? undefined : snapshot.teamsById.get(entry.teamId);
  if (team?.blocked) {
    throw new ApiError(
      401,
      `Team ${team.teamId} of key ${entry.keyName} is blocked.`,
      "authentication_error",
      "team_blocked",
    );
  }
  const user = entry.userId === undefined ? undefined : snapshot.usersById.get(entry.userId);
  const organization =
    team?.organizationId === undefined
      ? undefined
      : snapshot.organizationsById.get(team.organizationId);
  return { kind: "key", key: entry, user, team, organization };
}

export function isAdmin(caller: Caller): boolean {
  return caller.kind === "master" || caller.kind === "open" || caller.user?.role === "proxy_admin";
}
