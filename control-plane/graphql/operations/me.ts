import { builder } from "../builder.js";
import { MeRef } from "../types/me.js";

builder.queryField("me", (t) =>
  t.field({
    nullable: true,
    type: MeRef,
    description: "The caller: the key it presented, its user and team, spend and budget left.",
    authScopes: { authenticated: true },
    resolve: async (_root, _args, ctx) => {
      const principal = await ctx.principal();
      const key =
        principal.keyId === undefined ? null : await ctx.cp.keys.get(principal, principal.keyId);
      const user =
        principal.userId === undefined ? null : await ctx.cp.users.get(principal, principal.userId);
      // The caller's own key's team, even when the caller is not a member of it.
      const team =
        key?.teamId == null
          ? null
          : await ctx.cp.db.team.findUnique({ where: { teamId: key.teamId } });
      return { principal, key, user, team };
    },
  }),
);
