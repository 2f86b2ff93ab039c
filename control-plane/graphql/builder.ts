import SchemaBuilder from "@pothos/core";
import ErrorsPlugin from "@pothos/plugin-errors";
import PrismaPlugin from "@pothos/plugin-prisma";
import ScopeAuthPlugin, { type AuthFailure, AuthScopeFailureType } from "@pothos/plugin-scope-auth";
import type PrismaTypes from "../../generated/sqlite/pothos-types.js";
import { getDatamodel } from "../../generated/sqlite/pothos-types.js";
import ServiceErrorsPlugin from "./service-errors.js";
import { canReadAll, isProxyAdmin, type Principal } from "../auth/principal.js";
import type { RequestContext } from "../http/context.js";
import {
  ConflictError,
  ForbiddenError,
  InvalidInputError,
  NotFoundError,
  UnauthenticatedError,
} from "../services/errors.js";

export interface AuthScopes {
  /** The master key or a proxy_admin user's key. */
  proxyAdmin: boolean;
  /** May read everything: proxy_admin or proxy_admin_viewer. */
  adminViewer: boolean;
  /** Any resolved caller; the services then apply own-key / team-admin rules. */
  authenticated: boolean;
}

/**
 * The one Pothos builder. Plugin order matters: the first plugin wraps the others, so the
 * errors plugin sees (and returns as typed results) what scope-auth and Prisma throw, and
 * what it does not handle (queries) gets an `extensions.code` from ServiceErrorsPlugin.
 */
export const builder = new SchemaBuilder<{
  Context: RequestContext;
  // Non-null unless a field says otherwise (Pothos defaults to nullable).
  DefaultFieldNullability: false;
  PrismaTypes: PrismaTypes;
  AuthScopes: AuthScopes;
  Scalars: {
    DateTime: { Input: Date; Output: Date };
    JSON: { Input: unknown; Output: unknown };
  };
}>({
  plugins: [ServiceErrorsPlugin, ErrorsPlugin, ScopeAuthPlugin, PrismaPlugin],
  defaultFieldNullability: false,
  prisma: {
    client: (ctx) => ctx.cp.db,
    dmmf: getDatamodel(),
    exposeDescriptions: false,
    filterConnectionTotalCount: true,
    onUnusedQuery: null,
  },
  scopeAuth: {
    // Subscriptions are authorized once, when they start, not again for every event.
    authorizeOnSubscribe: true,
    authScopes: async (ctx) => {
      const p = await principalOrNull(ctx);
      return {
        proxyAdmin: p !== null && isProxyAdmin(p),
        adminViewer: p !== null && canReadAll(p),
        authenticated: p !== null,
      };
    },
    // A caller we could not identify is told so; one we could is told what it lacks.
    unauthorizedError: (_parent, ctx, _info, result) =>
      unauthenticated.get(ctx) ?? new ForbiddenError(forbiddenMessage(result.failure)),
  },
  errors: {
    defaultTypes: [
      InvalidInputError,
      NotFoundError,
      ForbiddenError,
      ConflictError,
      UnauthenticatedError,
    ],
    // `... on VirtualKey { id }` rather than `... on MutationXSuccess { data { id } }`.
    directResult: true,
  },
});

/** Why each request's principal could not be resolved (read back by `unauthorizedError`). */
const unauthenticated = new WeakMap<object, UnauthenticatedError>();

async function principalOrNull(ctx: RequestContext): Promise<Principal | null> {
  try {
    return await ctx.principal();
  } catch (err) {
    if (err instanceof UnauthenticatedError) {
      unauthenticated.set(ctx, err);
      return null;
    }
    throw err;
  }
}

const SCOPE_MESSAGES: Record<string, string> = {
  proxyAdmin: "Only a proxy admin may do this.",
  adminViewer: "Only a proxy admin or proxy admin viewer may read this.",
  authenticated: "Sign in with an API key to do this.",
};

/** The message for the first scope that failed (scope maps nest as $any / $all). */
function forbiddenMessage(failure: AuthFailure): string {
  switch (failure.kind) {
    case AuthScopeFailureType.AuthScope:
      return SCOPE_MESSAGES[failure.scope] ?? "You may not do this.";
    case AuthScopeFailureType.AnyAuthScopes:
    case AuthScopeFailureType.AllAuthScopes: {
      const first = failure.failures[0];
      return first === undefined ? "You may not do this." : forbiddenMessage(first);
    }
    default:
      return "You may not do this.";
  }
}

/** The builder's resolved schema types, for helpers that take refs. */
export type BuilderTypes =
  typeof builder extends PothosSchemaTypes.SchemaBuilder<infer T> ? T : never;

builder.queryType({});
builder.mutationType({});
builder.subscriptionType({});
