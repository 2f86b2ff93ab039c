import { builder } from "../builder.js";
import { BudgetStateRef, BudgetTargetEnum } from "../types/budget.js";

builder.mutationFields((t) => ({
  updateBudget: t.field({
    type: BudgetStateRef,
    errors: {},
    authScopes: { proxyAdmin: true },
    description:
      "Sets a budget; an absent argument stays as it is, null clears it. A new window starts now.",
    args: {
      target: t.arg({ type: BudgetTargetEnum, required: true }),
      id: t.arg.string({ required: true }),
      maxBudget: t.arg.float(),
      softBudget: t.arg.float({ description: "Keys only." }),
      budgetDuration: t.arg.string(),
    },
    resolve: async (_root, { target, id, ...budget }, ctx) =>
      ctx.cp.budgets.update(await ctx.principal(), target, id, budget),
  }),
  resetSpend: t.field({
    type: BudgetStateRef,
    errors: {},
    authScopes: { proxyAdmin: true },
    args: {
      target: t.arg({ type: BudgetTargetEnum, required: true }),
      id: t.arg.string({ required: true }),
    },
    resolve: async (_root, { target, id }, ctx) =>
      ctx.cp.budgets.resetSpend(await ctx.principal(), target, id),
  }),
}));
