export const ROLES = [
  "proxy_admin",
  "proxy_admin_viewer",
  "internal_user",
  "internal_user_viewer",
] as const;
export type Role = (typeof ROLES)[number];

/** Who is calling the control plane, resolved from the key they presented. */
export interface Principal {
  /** `master` = the master key; `user` = a key that belongs to a user; `key` = a key with no user. */
  readonly kind: "master" | "user" | "key";
  readonly role: Role;
  readonly userId: string | undefined;
  /** The id of the key presented (absent for the master key). */
  readonly keyId: string | undefined;
  /** Teams in which the caller is an admin. */
  readonly teamAdminOf: ReadonlySet<string>;
  /** How the audit log names the caller. */
  readonly actor: string;
}

export const MASTER_PRINCIPAL: Principal = {
  kind: "master",
  role: "proxy_admin",
  userId: undefined,
  keyId: undefined,
  teamAdminOf: new Set(),
  actor: "master_key",
};

export function isProxyAdmin(p: Principal): boolean {
  return p.role === "proxy_admin";
}

/** May read everything (admins and admin viewers). */
export function canReadAll(p: Principal): boolean {
  return p.role === "proxy_admin" || p.role === "proxy_admin_viewer";
}
