import { ForbiddenError } from "../services/errors.js";
import { canReadAll, isProxyAdmin, type Principal } from "./principal.js";

/**
 * The authorization rules beyond the GraphQL field scopes, in one place so that GraphQL
 * and REST enforce the same ones.
 */

interface KeyOwner {
  readonly userId: string | null;
  readonly teamId: string | null;
}

/** Admins; the key's own user (not a viewer); an admin of the key's team. */
export function canManageKey(p: Principal, key: KeyOwner): boolean {
  if (isProxyAdmin(p)) return true;
  if (p.role === "internal_user" && key.userId !== null && key.userId === p.userId) return true;
  return key.teamId !== null && p.teamAdminOf.has(key.teamId);
}

export function canReadKey(p: Principal, key: KeyOwner & { readonly id: string }): boolean {
  return (
    canReadAll(p) ||
    canManageKey(p, key) ||
    key.id === p.keyId ||
    (key.userId !== null && key.userId === p.userId)
  );
}

export function canManageTeamMembers(p: Principal, teamId: string): boolean {
  return isProxyAdmin(p) || p.teamAdminOf.has(teamId);
}

export function requireProxyAdmin(p: Principal, what: string): void {
  if (!isProxyAdmin(p)) throw new ForbiddenError(`Only a proxy admin may ${what}.`);
}

export function requireReadAll(p: Principal, what: string): void {
  if (!canReadAll(p)) throw new ForbiddenError(`Only an admin or admin viewer may ${what}.`);
}

export function ensure(condition: boolean, message: string): void {
  if (!condition) throw new ForbiddenError(message);
}
