import { type DocumentNode, type ExecutionArgs, GraphQLError } from "graphql";
import { makeBehavior } from "graphql-ws/use/uWebSockets";
import type uWS from "uWebSockets.js";
import type { ControlPlane } from "../control-plane.js";
import { keyContext, keyFromConnectionParams } from "../http/context.js";
import { UnauthenticatedError } from "../services/errors.js";
import type { SwitchyardYoga } from "./yoga.js";

/** The enveloped executors of one operation, carried to `execute`/`subscribe` as its root value. */
type Enveloped = Pick<ReturnType<SwitchyardYoga["getEnveloped"]>, "execute" | "subscribe">;

/**
 * GraphQL over websockets (`graphql-transport-ws`, as graphql-ws clients speak it), for
 * `configChanged` and any other operation. The key comes in the connection params
 * (`{ authorization: "Bearer sk-..." }` or `{ apiKey }`): a key that resolves to no caller
 * is refused the connection (close code 4403); each operation then runs through the same
 * yoga plugins, scopes and error masking as over HTTP.
 */
export function graphqlWebSocketBehavior(
  yoga: SwitchyardYoga,
  cp: ControlPlane,
): uWS.WebSocketBehavior<unknown> {
  return makeBehavior({
    // Internal errors close the socket; their messages stay on the server, as over HTTP.
    isProd: true,
    execute: (args) => (args.rootValue as Enveloped).execute(args),
    subscribe: (args) => (args.rootValue as Enveloped).subscribe(args),
    onConnect: async (ctx) => {
      try {
        await cp.principal(keyFromConnectionParams(ctx.connectionParams));
        return true;
      } catch (err) {
        if (err instanceof UnauthenticatedError) return false;
        throw err;
      }
    },
    onSubscribe: async (ctx, _id, payload) => {
      const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
        // A fresh caller per operation, resolved again from the key, like an HTTP request.
        callerContext: keyContext(cp, keyFromConnectionParams(ctx.connectionParams)),
        params: payload,
      });
      let document: DocumentNode;
      try {
        document = parse(payload.query);
      } catch (err) {
        // A syntax error is the client's: answer it, do not close the socket.
        if (err instanceof GraphQLError) return [err];
        throw err;
      }
      const errors = validate(schema, document);
      if (errors.length > 0) return errors;
      const root: Enveloped = { execute, subscribe };
      const args: ExecutionArgs = {
        schema,
        document,
        operationName: payload.operationName,
        variableValues: payload.variables,
        contextValue: await contextFactory(),
        rootValue: root,
      };
      return args;
    },
  });
}
