import { builder } from "../builder.js";
import { CreateUserInputRef, UpdateUserInputRef } from "../inputs.js";
import { connection, pageArgs } from "../types/pagination.js";
import { UserRef, UserRoleEnum } from "../types/user.js";

const UserConnection = connection("User", UserRef);

builder.queryFields((t) => ({
  users: t.field({
    nullable: true,
    type: UserConnection,
    authScopes: { adminViewer: true },
    args: { role: t.arg({ type: UserRoleEnum }), ...pageArgs },
    resolve: async (_root, { role, first, after }, ctx) =>
      ctx.cp.users.list(await ctx.principal(), { role }, { first, after }),
  }),
  user: t.field({
    type: UserRef,
    nullable: true,
    description: "Admins and viewers read any user; others only themselves.",
    authScopes: { authenticated: true },
    args: { userId: t.arg.string({ required: true }) },
    resolve: async (_root, { userId }, ctx) => ctx.cp.users.get(await ctx.principal(), userId),
  }),
}));

builder.mutationFields((t) => ({
  createUser: t.field({
    type: UserRef,
    errors: {},
    authScopes: { proxyAdmin: true },
    args: { input: t.arg({ type: CreateUserInputRef, required: true }) },
    resolve: async (_root, { input }, ctx) => ctx.cp.users.create(await ctx.principal(), input),
  }),
  updateUser: t.field({
    type: UserRef,
    errors: {},
    authScopes: { proxyAdmin: true },
    args: {
      userId: t.arg.string({ required: true }),
      input: t.arg({ type: UpdateUserInputRef, required: true }),
    },
    resolve: async (_root, { userId, input }, ctx) =>
      ctx.cp.users.update(await ctx.principal(), userId, input),
  }),
  deleteUser: t.field({
    type: UserRef,
    errors: {},
    authScopes: { proxyAdmin: true },
    description: "Deletes the user and the user's keys.",
    args: { userId: t.arg.string({ required: true }) },
    resolve: async (_root, { userId }, ctx) => ctx.cp.users.delete(await ctx.principal(), userId),
  }),
}));
