import { publicDeployment } from "../../services/models.js";
import { builder } from "../builder.js";
import { CreateModelInputRef, UpdateModelInputRef } from "../inputs.js";
import { ModelRef } from "../types/model.js";

builder.queryField("models", (t) =>
  t.field({
    nullable: true,
    type: [ModelRef],
    description: "Deployments added through the API, secrets masked.",
    authScopes: { authenticated: true },
    resolve: async (_root, _args, ctx) => (await ctx.cp.models.list()).map(publicDeployment),
  }),
);

builder.mutationFields((t) => ({
  createModel: t.field({
    type: ModelRef,
    errors: {},
    authScopes: { proxyAdmin: true },
    args: { input: t.arg({ type: CreateModelInputRef, required: true }) },
    resolve: async (_root, { input }, ctx) =>
      publicDeployment(await ctx.cp.models.create(await ctx.principal(), input)),
  }),
  updateModel: t.field({
    type: ModelRef,
    errors: {},
    authScopes: { proxyAdmin: true },
    args: {
      id: t.arg.id({ required: true }),
      input: t.arg({ type: UpdateModelInputRef, required: true }),
    },
    resolve: async (_root, { id, input }, ctx) =>
      publicDeployment(await ctx.cp.models.update(await ctx.principal(), id, input)),
  }),
  deleteModel: t.field({
    type: ModelRef,
    errors: {},
    authScopes: { proxyAdmin: true },
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, { id }, ctx) =>
      publicDeployment(await ctx.cp.models.delete(await ctx.principal(), id)),
  }),
}));
