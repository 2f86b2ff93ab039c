import { readList, readObject } from "../../db.js";
import { builder } from "../builder.js";
import { remainingBudget } from "./budget.js";

export const TeamRef = builder.prismaObject("Team", {
  fields: (t) => ({
    teamId: t.exposeString("teamId"),
    teamAlias: t.exposeString("teamAlias", { nullable: true }),
    organizationId: t.exposeString("organizationId", { nullable: true }),
    models: t.stringList({ resolve: (team) => readList(team.models) }),
    spend: t.exposeFloat("spend"),
    maxBudget: t.exposeFloat("maxBudget", { nullable: true }),
    remainingBudget: t.float({ nullable: true, resolve: remainingBudget }),
    budgetDuration: t.exposeString("budgetDuration", { nullable: true }),
    budgetResetAt: t.expose("budgetResetAt", { type: "DateTime", nullable: true }),
    rpmLimit: t.exposeInt("rpmLimit", { nullable: true }),
    tpmLimit: t.exposeInt("tpmLimit", { nullable: true }),
    maxParallelRequests: t.exposeInt("maxParallelRequests", { nullable: true }),
    blocked: t.exposeBoolean("blocked"),
    metadata: t.field({ type: "JSON", resolve: (team) => readObject(team.metadata) }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    updatedAt: t.expose("updatedAt", { type: "DateTime" }),
  }),
});
