import { builder } from "../builder.js";
import { CreateOrganizationInputRef, UpdateOrganizationInputRef } from "../inputs.js";
import { OrganizationRef } from "../types/organization.js";
import { connection, pageArgs } from "../types/pagination.js";

const OrganizationConnection = connection("Organization", OrganizationRef);

builder.queryFields((t) => ({
  organizations: t.field({
    nullable: true,
    type: OrganizationConnection,
    authScopes: { adminViewer: true },
    args: pageArgs,
    resolve: async (_root, { first, after }, ctx) =>
      ctx.cp.organizations.list(await ctx.principal(), { first, after }),
  }),
  organization: t.field({
    type: OrganizationRef,
    nullable: true,
    authScopes: { adminViewer: true },
    args: { id: t.arg.string({ required: true }) },
    resolve: async (_root, { id }, ctx) => ctx.cp.organizations.get(await ctx.principal(), id),
  }),
}));

builder.mutationFields((t) => ({
  createOrganization: t.field({
    type: OrganizationRef,
    errors: {},
    authScopes: { proxyAdmin: true },
    args: { input: t.arg({ type: CreateOrganizationInputRef, required: true }) },
    resolve: async (_root, { input }, ctx) =>
      ctx.cp.organizations.create(await ctx.principal(), input),
  }),
  updateOrganization: t.field({
    type: OrganizationRef,
    errors: {},
    authScopes: { proxyAdmin: true },
    args: {
      id: t.arg.string({ required: true }),
      input: t.arg({ type: UpdateOrganizationInputRef, required: true }),
    },
    resolve: async (_root, { id, input }, ctx) =>
      ctx.cp.organizations.update(await ctx.principal(), id, input),
  }),
  deleteOrganization: t.field({
    type: OrganizationRef,
    errors: {},
    authScopes: { proxyAdmin: true },
    description: "Deletes the organization; its teams stay, without an organization.",
    args: { id: t.arg.string({ required: true }) },
    resolve: async (_root, { id }, ctx) => ctx.cp.organizations.delete(await ctx.principal(), id),
  }),
}));
