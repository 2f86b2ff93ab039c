import SchemaBuilder, {
  BasePlugin,
  type PothosOutputFieldConfig,
  type SchemaTypes,
} from "@pothos/core";
import { GraphQLError, type GraphQLFieldResolver } from "graphql";
import { InvalidInputError, ServiceError } from "../services/errors.js";

/**
 * Typed service errors that reach a query (mutations return them as results) become
 * GraphQL errors with `extensions.code` (`FORBIDDEN`, `NOT_FOUND`, `UNAUTHENTICATED`, ...)
 * and, for invalid input, `extensions.issues`. Anything else stays an unexpected error,
 * which yoga masks. Listed first among the plugins, so it sees what every other one throws.
 * Subscriptions get the same treatment when they start (scope-auth refuses them there).
 */
export class ServiceErrorsPlugin<Types extends SchemaTypes> extends BasePlugin<Types> {
  override wrapResolve(
    resolver: GraphQLFieldResolver<unknown, Types["Context"], object>,
    fieldConfig: PothosOutputFieldConfig<Types>,
  ): GraphQLFieldResolver<unknown, Types["Context"], object> {
    // Only root fields call services; nested fields are plain reads.
    if (fieldConfig.kind !== "Query" && fieldConfig.kind !== "Mutation") return resolver;
    return async (parent, args, context, info) => {
      try {
        return await resolver(parent, args, context, info);
      } catch (err) {
        throw err instanceof ServiceError ? toGraphQLError(err) : err;
      }
    };
  }

  /** Subscriptions are authorized when they start: a refusal is a coded error too. */
  override wrapSubscribe(
    subscribe: GraphQLFieldResolver<unknown, Types["Context"], object> | undefined,
    fieldConfig: PothosOutputFieldConfig<Types>,
  ): GraphQLFieldResolver<unknown, Types["Context"], object> | undefined {
    if (subscribe === undefined || fieldConfig.kind !== "Subscription") return subscribe;
    return async (parent, args, context, info) => {
      try {
        return await subscribe(parent, args, context, info);
      } catch (err) {
        throw err instanceof ServiceError ? toGraphQLError(err) : err;
      }
    };
  }
}

function toGraphQLError(err: ServiceError): GraphQLError {
  // No `originalError`: yoga passes an error through unmasked only if its chain is all GraphQLErrors.
  return new GraphQLError(err.message, {
    extensions: {
      code: err.code.toUpperCase(),
      ...(err instanceof InvalidInputError ? { issues: err.issues } : {}),
    },
  });
}

const pluginName = "serviceErrors";

declare global {
  export namespace PothosSchemaTypes {
    export interface Plugins<Types extends SchemaTypes> {
      serviceErrors: ServiceErrorsPlugin<Types>;
    }
  }
}

SchemaBuilder.registerPlugin(pluginName, ServiceErrorsPlugin);

export default pluginName;
