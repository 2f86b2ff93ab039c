import type { Team, User, VirtualKey } from "../../../generated/sqlite/client.js";
import type { Principal } from "../../auth/principal.js";
import { builder } from "../builder.js";
import { remainingBudget } from "./budget.js";
import { TeamRef } from "./team.js";
import { UserRef, UserRoleEnum } from "./user.js";
import { VirtualKeyRef } from "./virtual-key.js";

export interface MeShape {
  principal: Principal;
  /** The key presented (null for the master key). */
  key: VirtualKey | null;
  user: User | null;
  team: Team | null;
}

const PrincipalKindEnum = builder.enumType("PrincipalKind", {
  values: {
    MASTER: { value: "master", description: "The master key." },
    USER: { value: "user", description: "A key that belongs to a user." },
    KEY: { value: "key", description: "A key with no user." },
  } as const satisfies Record<string, { value: Principal["kind"]; description: string }>,
});

/** The caller: its own key, user and team, and how much budget is left. */
export const MeRef = builder.objectRef<MeShape>("Me").implement({
  fields: (t) => ({
    kind: t.field({ type: PrincipalKindEnum, resolve: (me) => me.principal.kind }),
    role: t.field({ type: UserRoleEnum, resolve: (me) => me.principal.role }),
    actor: t.string({ resolve: (me) => me.principal.actor }),
    key: t.field({ type: VirtualKeyRef, nullable: true, resolve: (me) => me.key }),
    user: t.field({ type: UserRef, nullable: true, resolve: (me) => me.user }),
    team: t.field({ type: TeamRef, nullable: true, resolve: (me) => me.team }),
    teamAdminOf: t.stringList({ resolve: (me) => [...me.principal.teamAdminOf].sort() }),
    spend: t.float({
      description: "The key's spend in its current window (the user's for a master key: 0).",
      resolve: (me) => me.key?.spend ?? me.user?.spend ?? 0,
    }),
    remainingBudget: t.float({
      nullable: true,
      description: "The least budget left across the key, its user and its team; null = no budget.",
      resolve: (me) => {
        const left = [me.key, me.user, me.team]
          .map((row) => (row === null ? null : remainingBudget(row)))
          .filter((v): v is number => v !== null);
        return left.length === 0 ? null : Math.min(...left);
      },
    }),
  }),
});
