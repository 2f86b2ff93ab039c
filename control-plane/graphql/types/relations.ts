import { builder } from "../builder.js";
import { OrganizationRef } from "./organization.js";
import { TeamRef } from "./team.js";
import { TeamMemberRef } from "./team-member.js";
import { UserRef } from "./user.js";
import { VirtualKeyRef } from "./virtual-key.js";

/**
 * Links between the model types, kept here so the type files do not import each other.
 * They are read by foreign key rather than with `t.relation`: a delete mutation answers with
 * a row that no longer exists, which Prisma-plugin relation loading (through the parent's
 * id) cannot follow. Prisma batches the findUnique calls of one tick into one query.
 */

builder.prismaObjectFields(VirtualKeyRef, (t) => ({
  user: t.field({
    type: UserRef,
    nullable: true,
    resolve: (k, _args, ctx) =>
      k.userId === null ? null : ctx.cp.db.user.findUnique({ where: { userId: k.userId } }),
  }),
  team: t.field({
    type: TeamRef,
    nullable: true,
    resolve: (k, _args, ctx) =>
      k.teamId === null ? null : ctx.cp.db.team.findUnique({ where: { teamId: k.teamId } }),
  }),
}));

builder.prismaObjectFields(TeamMemberRef, (t) => ({
  user: t.field({
    type: UserRef,
    resolve: (m, _args, ctx) => ctx.cp.db.user.findUniqueOrThrow({ where: { userId: m.userId } }),
  }),
  team: t.field({
    type: TeamRef,
    resolve: (m, _args, ctx) => ctx.cp.db.team.findUniqueOrThrow({ where: { teamId: m.teamId } }),
  }),
}));

builder.prismaObjectFields(TeamRef, (t) => ({
  // Members see their team; only admins (and viewers) see the organization's budget.
  organization: t.field({
    type: OrganizationRef,
    nullable: true,
    authScopes: { adminViewer: true },
    unauthorizedResolver: () => null,
    resolve: (team, _args, ctx) =>
      team.organizationId === null
        ? null
        : ctx.cp.db.organization.findUnique({ where: { organizationId: team.organizationId } }),
  }),
  members: t.field({
    type: [TeamMemberRef],
    resolve: (team, _args, ctx) =>
      ctx.cp.db.teamMembership.findMany({
        where: { teamId: team.teamId },
        orderBy: { userId: "asc" },
      }),
  }),
}));

builder.prismaObjectFields(OrganizationRef, (t) => ({
  teams: t.field({
    type: [TeamRef],
    resolve: (o, _args, ctx) =>
      ctx.cp.db.team.findMany({
        where: { organizationId: o.organizationId },
        orderBy: { teamId: "asc" },
      }),
  }),
}));
