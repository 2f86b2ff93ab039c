import { Repeater } from "graphql-yoga";
import { canReadAll } from "../../auth/principal.js";
import { readList, readObject } from "../../db.js";
import { ForbiddenError } from "../../services/errors.js";
import { SPEND_GROUPS, type SpendReportRow } from "../../services/spend.js";
import { type BudgetCrossing, BudgetIndex, crossingsOf } from "../../spend/budget-crossings.js";
import type { SpendUpdate } from "../../spend/live-feed.js";
import { builder } from "../builder.js";
import { connection, pageArgs } from "../types/pagination.js";

const SpendLogRef = builder.prismaObject("SpendLog", {
  description: "One request's spend record (LiteLLM's SpendLogs).",
  fields: (t) => ({
    requestId: t.exposeID("requestId"),
    callType: t.exposeString("callType"),
    apiKey: t.exposeString("apiKey", { description: "SHA-256 of the key." }),
    spend: t.exposeFloat("spend"),
    promptTokens: t.exposeInt("promptTokens"),
    completionTokens: t.exposeInt("completionTokens"),
    cachedTokens: t.exposeInt("cachedTokens"),
    startTime: t.expose("startTime", { type: "DateTime" }),
    endTime: t.expose("endTime", { type: "DateTime" }),
    completionStartTime: t.expose("completionStartTime", { type: "DateTime", nullable: true }),
    model: t.exposeString("model"),
    modelGroup: t.exposeString("modelGroup", { nullable: true }),
    modelId: t.exposeString("modelId", { nullable: true }),
    customLlmProvider: t.exposeString("customLlmProvider", { nullable: true }),
    apiBase: t.exposeString("apiBase", { nullable: true }),
    user: t.exposeString("user", { nullable: true }),
    endUser: t.exposeString("endUser", { nullable: true }),
    teamId: t.exposeString("teamId", { nullable: true }),
    organizationId: t.exposeString("organizationId", { nullable: true }),
    requestTags: t.stringList({ resolve: (r) => readList(r.requestTags) }),
    cacheHit: t.exposeBoolean("cacheHit"),
    status: t.exposeString("status", { description: "success, failure or aborted." }),
    metadata: t.field({ type: "JSON", resolve: (r) => readObject(r.metadata) }),
  }),
});

const SpendLogConnection = connection("SpendLog", SpendLogRef);

const SpendGroupByEnum = builder.enumType("SpendGroupBy", {
  values: Object.fromEntries(SPEND_GROUPS.map((g) => [g.toUpperCase(), { value: g }])) as {
    [K in Uppercase<(typeof SPEND_GROUPS)[number]>]: { value: Lowercase<K> };
  },
});

const SpendReportRowRef = builder.objectRef<SpendReportRow>("SpendReportRow").implement({
  fields: (t) => ({
    group: t.exposeString("group", {
      description: "The key hash, user id, team id, model, tag or day (YYYY-MM-DD).",
    }),
    spend: t.exposeFloat("spend"),
    requests: t.exposeInt("requests"),
    promptTokens: t.exposeInt("promptTokens"),
    completionTokens: t.exposeInt("completionTokens"),
  }),
});

const SpendUpdateRef = builder.objectRef<SpendUpdate>("SpendUpdate").implement({
  description: "One request's cost and the running totals right after it.",
  fields: (t) => ({
    requestId: t.exposeString("requestId"),
    keyId: t.exposeString("keyId", { nullable: true }),
    userId: t.exposeString("userId", { nullable: true }),
    teamId: t.exposeString("teamId", { nullable: true }),
    model: t.exposeString("model"),
    status: t.exposeString("status"),
    spend: t.exposeFloat("spend"),
    keyTotal: t.exposeFloat("keyTotal", { nullable: true }),
    userTotal: t.exposeFloat("userTotal", { nullable: true }),
    teamTotal: t.exposeFloat("teamTotal", { nullable: true }),
    endTime: t.field({ type: "DateTime", resolve: (u) => new Date(u.endTime) }),
  }),
});

const BudgetAlertRef = builder.objectRef<BudgetCrossing>("BudgetAlert").implement({
  description: "A key, user or team whose total crossed its soft or hard (max) budget.",
  fields: (t) => ({
    level: t.exposeString("level", { description: "soft or hard." }),
    subject: t.exposeString("subject", { description: "key, user or team." }),
    id: t.exposeString("id"),
    spend: t.exposeFloat("spend"),
    budget: t.exposeFloat("budget"),
    requestId: t.exposeString("requestId"),
    at: t.expose("at", { type: "DateTime" }),
  }),
});

builder.queryFields((t) => ({
  spendLogs: t.field({
    type: SpendLogConnection,
    description:
      "Spend records, newest first. Admins and admin viewers see all; others their own (their user's, or their key's).",
    authScopes: { authenticated: true },
    args: {
      keyId: t.arg.string(),
      userId: t.arg.string(),
      teamId: t.arg.string(),
      model: t.arg.string({ description: "The model or model group." }),
      tags: t.arg.stringList({ description: "Records carrying every one of these tags." }),
      from: t.arg({ type: "DateTime", description: "Started at or after." }),
      to: t.arg({ type: "DateTime", description: "Started before." }),
      first: pageArgs.first,
      after: pageArgs.after,
    },
    resolve: async (_root, { first, after, ...filter }, ctx) =>
      ctx.cp.spend.logs(await ctx.principal(), filter, { first, after }),
  }),
  spendReport: t.field({
    type: [SpendReportRowRef],
    description:
      "Spend grouped by key, user, team, model, tag or day over a range (days from the daily aggregates; tags from the records). Highest spend first.",
    authScopes: { adminViewer: true },
    args: {
      groupBy: t.arg({ type: SpendGroupByEnum, required: true }),
      from: t.arg({ type: "DateTime" }),
      to: t.arg({ type: "DateTime" }),
    },
    resolve: async (_root, { groupBy, from, to }, ctx) =>
      ctx.cp.spend.report(await ctx.principal(), groupBy, from, to),
  }),
}));

builder.subscriptionFields((t) => ({
  spendUpdated: t.field({
    type: SpendUpdateRef,
    description:
      "Each request's cost and new running total, live, for a key, user or team (any that is given). Admins, or the caller's own key or user.",
    authScopes: { authenticated: true },
    args: {
      keyId: t.arg.string(),
      userId: t.arg.string(),
      teamId: t.arg.string(),
    },
    subscribe: async (_root, { keyId, userId, teamId }, ctx) => {
      const p = await ctx.principal();
      if (!keyId && !userId && !teamId) {
        throw new ForbiddenError("Pass keyId, userId or teamId.");
      }
      const own =
        (!keyId || keyId === p.keyId) &&
        (!userId || userId === p.userId) &&
        !teamId &&
        (keyId || userId);
      if (!canReadAll(p) && !own) {
        throw new ForbiddenError("Only admins may follow another key's, user's or team's spend.");
      }
      return live<SpendUpdate>((push) =>
        ctx.cp.spendFeed.subscribe((u) => {
          if (
            (keyId && u.keyId === keyId) ||
            (userId && u.userId === userId) ||
            (teamId && u.teamId === teamId)
          )
            push(u);
        }),
      );
    },
    resolve: (u) => u,
  }),
  budgetAlert: t.field({
    type: BudgetAlertRef,
    description:
      "Soft and hard budget crossings of keys, users and teams, as spend is written (admins and admin viewers).",
    authScopes: { adminViewer: true },
    subscribe: (_root, _args, ctx) => {
      const budgets = new BudgetIndex(() => ctx.cp.snapshot());
      return live<BudgetCrossing>((push) =>
        ctx.cp.spendFeed.subscribe((u) => {
          for (const c of crossingsOf(u, budgets)) push(c);
        }),
      );
    },
    resolve: (c) => c,
  }),
}));

/**
 * A Repeater over a listener (a generator parked on `await` would not run its cleanup when
 * the client goes away). A client that stops reading past the buffer is ended.
 */
function live<T>(listen: (push: (value: T) => void) => () => void): Repeater<T> {
  return new Repeater<T>(async (push, stop) => {
    const unsubscribe = listen((value) => {
      try {
        void push(value);
      } catch (err) {
        stop(err);
      }
    });
    await stop;
    unsubscribe();
  });
}
