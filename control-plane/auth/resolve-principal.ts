import { hash, timingSafeEqual } from "node:crypto";
import type { Db } from "../db.js";
import { UnauthenticatedError } from "../services/errors.js";
import { MASTER_PRINCIPAL, type Principal, ROLES, type Role } from "./principal.js";

/**
 * The caller of a control-plane request, from the key it presented. The master key (or no
 * key at all in open mode) is a proxy admin; a virtual key acts as its user's role, with
 * admin rights in the teams where that user is an admin.
 */
export async function resolvePrincipal(
  db: Db,
  key: string | undefined,
  masterKeyHash: string | undefined,
  now: Date = new Date(),
): Promise<Principal> {
  if (key === undefined || key === "") {
    if (masterKeyHash === undefined) return MASTER_PRINCIPAL;
    throw new UnauthenticatedError(
      "No API key provided. Pass it as 'Authorization: Bearer <key>'.",
    );
  }
  const digest = hash("sha256", key, "hex");
  if (
    masterKeyHash !== undefined &&
    timingSafeEqual(Buffer.from(digest), Buffer.from(masterKeyHash))
  ) {
    return MASTER_PRINCIPAL;
  }
  const row = await db.virtualKey.findFirst({
    where: {
      OR: [{ token: digest }, { previousToken: digest, previousTokenExpires: { gt: now } }],
    },
    include: { user: { include: { memberships: true } }, team: true },
  });
  if (row === null) {
    if (masterKeyHash === undefined) return MASTER_PRINCIPAL;
    throw new UnauthenticatedError("Invalid API key.");
  }
  if (row.blocked) throw new UnauthenticatedError(`Key ${row.keyName} is blocked.`);
  if (row.expires !== null && row.expires <= now)
    throw new UnauthenticatedError(`Key ${row.keyName} has expired.`);
  if (row.team?.blocked) throw new UnauthenticatedError(`Team ${row.team.teamId} is blocked.`);
  const user = row.user;
  const role: Role =
    user !== null && (ROLES as readonly string[]).includes(user.userRole)
      ? (user.userRole as Role)
      : user === null
        ? "internal_user_viewer"
        : "internal_user";
  return {
    kind: user === null ? "key" : "user",
    role,
    userId: user?.userId,
    keyId: row.id,
    teamAdminOf: new Set(
      (user?.memberships ?? []).filter((m) => m.role === "admin").map((m) => m.teamId),
    ),
    actor: user?.userId ?? row.keyName,
  };
}
