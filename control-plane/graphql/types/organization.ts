import { readList, readObject } from "../../db.js";
import { builder } from "../builder.js";
import { remainingBudget } from "./budget.js";

export const OrganizationRef = builder.prismaObject("Organization", {
  fields: (t) => ({
    organizationId: t.exposeString("organizationId"),
    organizationAlias: t.exposeString("organizationAlias"),
    models: t.stringList({ resolve: (o) => readList(o.models) }),
    spend: t.exposeFloat("spend"),
    maxBudget: t.exposeFloat("maxBudget", { nullable: true }),
    remainingBudget: t.float({ nullable: true, resolve: remainingBudget }),
    budgetDuration: t.exposeString("budgetDuration", { nullable: true }),
    budgetResetAt: t.expose("budgetResetAt", { type: "DateTime", nullable: true }),
    metadata: t.field({ type: "JSON", resolve: (o) => readObject(o.metadata) }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    updatedAt: t.expose("updatedAt", { type: "DateTime" }),
  }),
});
