import { readList, readObject } from "../../db.js";
import { builder } from "../builder.js";
import { remainingBudget } from "./budget.js";

/** A virtual key. The plaintext is never stored; only `generateKey`/`regenerateKey` return it. */
export const VirtualKeyRef = builder.prismaObject("VirtualKey", {
  fields: (t) => ({
    id: t.exposeID("id"),
    tokenHash: t.exposeString("token", { description: "SHA-256 (hex) of the key." }),
    keyName: t.exposeString("keyName", { description: "Display form, e.g. `sk-...abcd`." }),
    keyAlias: t.exposeString("keyAlias", { nullable: true }),
    models: t.stringList({
      description: "Models this key may use; empty = whatever its user/team may use.",
      resolve: (k) => readList(k.models),
    }),
    spend: t.exposeFloat("spend"),
    maxBudget: t.exposeFloat("maxBudget", { nullable: true }),
    softBudget: t.exposeFloat("softBudget", { nullable: true }),
    remainingBudget: t.float({ nullable: true, resolve: remainingBudget }),
    budgetDuration: t.exposeString("budgetDuration", { nullable: true }),
    budgetResetAt: t.expose("budgetResetAt", { type: "DateTime", nullable: true }),
    rpmLimit: t.exposeInt("rpmLimit", { nullable: true }),
    tpmLimit: t.exposeInt("tpmLimit", { nullable: true }),
    maxParallelRequests: t.exposeInt("maxParallelRequests", { nullable: true }),
    expires: t.expose("expires", { type: "DateTime", nullable: true }),
    blocked: t.exposeBoolean("blocked"),
    metadata: t.field({ type: "JSON", resolve: (k) => readObject(k.metadata) }),
    previousKeyExpires: t.expose("previousTokenExpires", {
      type: "DateTime",
      nullable: true,
      description: "After regenerateKey with a grace period: when the old key stops working.",
    }),
    userId: t.exposeString("userId", { nullable: true }),
    teamId: t.exposeString("teamId", { nullable: true }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    createdBy: t.exposeString("createdBy", { nullable: true }),
    updatedAt: t.expose("updatedAt", { type: "DateTime" }),
  }),
});
