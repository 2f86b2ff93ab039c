import { builder } from "../builder.js";
import { GenerateKeyInputRef, UpdateKeyInputRef } from "../inputs.js";
import { GeneratedKeyRef } from "../types/generated-key.js";
import { connection, pageArgs } from "../types/pagination.js";
import { VirtualKeyRef } from "../types/virtual-key.js";

const KeyConnection = connection("Key", VirtualKeyRef);

builder.queryFields((t) => ({
  keys: t.field({
    nullable: true,
    type: KeyConnection,
    description:
      "Admins and viewers see every key; others their own and their teams' (as team admin).",
    authScopes: { authenticated: true },
    args: {
      userId: t.arg.string(),
      teamId: t.arg.string(),
      keyAlias: t.arg.string(),
      ...pageArgs,
    },
    resolve: async (_root, args, ctx) =>
      ctx.cp.keys.list(await ctx.principal(), args, { first: args.first, after: args.after }),
  }),
  key: t.field({
    type: VirtualKeyRef,
    nullable: true,
    authScopes: { authenticated: true },
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, { id }, ctx) => ctx.cp.keys.get(await ctx.principal(), id),
  }),
}));

// Self-service: the service lets users manage their own keys and team admins their team's.
builder.mutationFields((t) => ({
  generateKey: t.field({
    type: GeneratedKeyRef,
    errors: {},
    authScopes: { authenticated: true },
    args: { input: t.arg({ type: GenerateKeyInputRef }) },
    resolve: async (_root, { input }, ctx) =>
      ctx.cp.keys.generate(await ctx.principal(), input ?? {}),
  }),
  updateKey: t.field({
    type: VirtualKeyRef,
    errors: {},
    authScopes: { authenticated: true },
    args: {
      id: t.arg.id({ required: true }),
      input: t.arg({ type: UpdateKeyInputRef, required: true }),
    },
    resolve: async (_root, { id, input }, ctx) =>
      ctx.cp.keys.update(await ctx.principal(), id, input),
  }),
  regenerateKey: t.field({
    type: GeneratedKeyRef,
    errors: {},
    authScopes: { authenticated: true },
    description:
      "A new plaintext for the same key. The old one keeps working for `gracePeriod` (e.g. 1h), if given.",
    args: {
      id: t.arg.id({ required: true }),
      gracePeriod: t.arg.string(),
    },
    resolve: async (_root, { id, gracePeriod }, ctx) =>
      ctx.cp.keys.regenerate(await ctx.principal(), id, { gracePeriod }),
  }),
  deleteKey: t.field({
    type: VirtualKeyRef,
    errors: {},
    authScopes: { authenticated: true },
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, { id }, ctx) => ctx.cp.keys.delete(await ctx.principal(), id),
  }),
  blockKey: t.field({
    type: VirtualKeyRef,
    errors: {},
    authScopes: { authenticated: true },
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, { id }, ctx) => ctx.cp.keys.setBlocked(await ctx.principal(), id, true),
  }),
  unblockKey: t.field({
    type: VirtualKeyRef,
    errors: {},
    authScopes: { authenticated: true },
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, { id }, ctx) => ctx.cp.keys.setBlocked(await ctx.principal(), id, false),
  }),
}));
