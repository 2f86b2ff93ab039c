import type { MemberRole } from "../../services/teams.js";
import { builder } from "../builder.js";

export const TeamRoleEnum = builder.enumType("TeamRole", {
  values: {
    ADMIN: { value: "admin" },
    USER: { value: "user" },
  } as const satisfies Record<string, { value: MemberRole }>,
});

export const TeamMemberRef = builder.prismaObject("TeamMembership", {
  name: "TeamMember",
  fields: (t) => ({
    teamId: t.exposeString("teamId"),
    userId: t.exposeString("userId"),
    role: t.field({ type: TeamRoleEnum, resolve: (m) => m.role as MemberRole }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
  }),
});
