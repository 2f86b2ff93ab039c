import { type Role, ROLES } from "../../auth/principal.js";
import { readList, readObject } from "../../db.js";
import { builder } from "../builder.js";
import { remainingBudget } from "./budget.js";

export const UserRoleEnum = builder.enumType("UserRole", {
  values: Object.fromEntries(ROLES.map((r) => [r.toUpperCase(), { value: r }])) as Record<
    Uppercase<Role>,
    { value: Role }
  >,
});

export const UserRef = builder.prismaObject("User", {
  fields: (t) => ({
    userId: t.exposeString("userId"),
    userEmail: t.exposeString("userEmail", { nullable: true }),
    userRole: t.field({ type: UserRoleEnum, resolve: (u) => u.userRole as Role }),
    models: t.stringList({ resolve: (u) => readList(u.models) }),
    spend: t.exposeFloat("spend"),
    maxBudget: t.exposeFloat("maxBudget", { nullable: true }),
    remainingBudget: t.float({ nullable: true, resolve: remainingBudget }),
    budgetDuration: t.exposeString("budgetDuration", { nullable: true }),
    budgetResetAt: t.expose("budgetResetAt", { type: "DateTime", nullable: true }),
    rpmLimit: t.exposeInt("rpmLimit", { nullable: true }),
    tpmLimit: t.exposeInt("tpmLimit", { nullable: true }),
    maxParallelRequests: t.exposeInt("maxParallelRequests", { nullable: true }),
    metadata: t.field({ type: "JSON", resolve: (u) => readObject(u.metadata) }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    updatedAt: t.expose("updatedAt", { type: "DateTime" }),
  }),
});
