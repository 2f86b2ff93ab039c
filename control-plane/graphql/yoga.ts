import { createYoga as createYogaServer, type Plugin, type YogaServerInstance } from "graphql-yoga";
import type { ControlPlane } from "../control-plane.js";
import { type RequestContext, requestContext } from "../http/context.js";
import { buildGraphQLSchema } from "./schema.js";

export interface GraphQLServerOptions {
  /** Serve GraphiQL on GET /graphql (development only). */
  graphiql: boolean;
  /** More yoga/envelop plugins, e.g. the admin REST routes. */
  plugins?: Plugin[];
}

interface ServerContext {
  /**
   * Set by the websocket route (control-plane/graphql/websocket.ts), whose caller's key
   * comes in the connection params, not in request headers.
   */
  callerContext?: RequestContext;
}

export type SwitchyardYoga = YogaServerInstance<ServerContext, RequestContext>;

/**
 * The admin GraphQL API at `/graphql`. Every request gets a RequestContext (the caller is
 * resolved lazily from its key). Typed service errors come back as typed mutation results,
 * or in queries as GraphQL errors with `extensions.code`; anything unexpected is masked.
 */
export function createYoga(cp: ControlPlane, opts: GraphQLServerOptions): SwitchyardYoga {
  return createYogaServer<ServerContext, RequestContext>({
    schema: buildGraphQLSchema(),
    graphqlEndpoint: "/graphql",
    graphiql: opts.graphiql,
    landingPage: false,
    plugins: opts.plugins ?? [],
    context: ({ callerContext, request }) => callerContext ?? requestContext(cp, request.headers),
    // Unexpected errors become "Unexpected error." with no stack, whatever NODE_ENV says.
    maskedErrors: { isDev: false },
  });
}
