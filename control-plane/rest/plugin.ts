import type { Plugin } from "graphql-yoga";
import type { Logger } from "pino";
import type { ControlPlane } from "../control-plane.js";
import { requestContext } from "../http/context.js";
import { InvalidInputError, ServiceError } from "../services/errors.js";
import { keyRoutes } from "./keys.js";
import { modelRoutes } from "./models.js";
import { errorJson, errorResponse, json } from "./responses.js";
import type { Route, RouteContext } from "./route.js";
import { spendRoutes } from "./spend.js";
import { teamRoutes } from "./teams.js";
import { userRoutes } from "./users.js";

export interface LiteLLMRestOptions {
  /** Where unexpected failures are logged (message only; the client gets a bare 500). */
  logger?: Logger;
}

/** Management bodies are small; anything larger is refused before it is parsed. */
const MAX_BODY_BYTES = 1024 * 1024;

const ROUTES: readonly Route[] = [
  ...keyRoutes,
  ...userRoutes,
  ...teamRoutes,
  ...modelRoutes,
  ...spendRoutes,
];

/**
 * LiteLLM's management REST API (/key/*, /user/*, /team/*, /model/*) as a graphql-yoga
 * plugin, over the same services (and so the same authorization and validation) as GraphQL.
 * A path it does not know falls through to the rest of the server.
 */
export function useLiteLLMRest(cp: ControlPlane, options: LiteLLMRestOptions = {}): Plugin {
  return {
    async onRequest({ request, url, endResponse: end, fetchAPI }) {
      const match = matchRoute(url.pathname, request.method);
      if (match === undefined) return;
      // Answer with the server adapter's own Response class: on uWebSockets.js, yoga pipes
      // the body through its ponyfill streams, which refuse a Node-native Response body.
      const endResponse = async (response: Response) =>
        end(
          new fetchAPI.Response(await response.text(), {
            status: response.status,
            headers: response.headers,
          }),
        );
      if (match.route === undefined) {
        await endResponse(
          errorJson(
            405,
            `Method ${request.method} is not allowed on ${url.pathname}.`,
            "method_not_allowed",
            null,
            {
              allow: match.allowed.join(", "),
            },
          ),
        );
        return;
      }
      await endResponse(await run(cp, match.route, match.params, request, url, options.logger));
    },
  };
}

async function run(
  cp: ControlPlane,
  route: Route,
  params: Record<string, string>,
  request: Request,
  url: URL,
  logger: Logger | undefined,
): Promise<Response> {
  const context = requestContext(cp, request.headers);
  let body: Promise<Record<string, unknown>> | undefined;
  const ctx: RouteContext = {
    cp,
    request,
    url,
    params,
    principal: context.principal,
    body: () => {
      body ??= readBody(request);
      return body;
    },
  };
  try {
    // Authenticate before reading a byte of the body.
    await ctx.principal();
    return json(await route.handle(ctx));
  } catch (err) {
    const response = errorResponse(err);
    if (response.status >= 500) {
      logger?.error(
        { path: url.pathname, err: err instanceof Error ? err.message : String(err) },
        "management request failed",
      );
    }
    return response;
  }
}

type Match =
  | { route: Route; params: Record<string, string>; allowed?: undefined }
  | { route?: undefined; allowed: string[] };

/** The route for a path and method; `allowed` when only the method is wrong; undefined when the path is not ours. */
function matchRoute(pathname: string, method: string): Match | undefined {
  const allowed: string[] = [];
  for (const route of ROUTES) {
    const params = matchPath(route.path, pathname);
    if (params === undefined) continue;
    if (route.method === method) return { route, params };
    allowed.push(route.method);
  }
  return allowed.length > 0 ? { allowed } : undefined;
}

function matchPath(pattern: string, pathname: string): Record<string, string> | undefined {
  const want = pattern.split("/");
  const got = pathname.split("/");
  if (want.length !== got.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i] as string;
    const g = got[i] as string;
    if (w.startsWith(":")) {
      if (g === "") return undefined;
      try {
        params[w.slice(1)] = decodeURIComponent(g);
      } catch {
        return undefined;
      }
    } else if (w !== g) {
      return undefined;
    }
  }
  return params;
}

async function readBody(request: Request): Promise<Record<string, unknown>> {
  const text = await readText(request);
  if (text.trim() === "") return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new InvalidInputError("The request body is not valid JSON.");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new InvalidInputError("The request body must be a JSON object.");
  }
  return parsed as Record<string, unknown>;
}

/** The body as text, refused (413) as soon as it passes the limit: never buffered whole. */
async function readText(request: Request): Promise<string> {
  if (Number(request.headers.get("content-length") ?? "0") > MAX_BODY_BYTES)
    throw new BodyTooLargeError();
  if (request.body === null) return "";
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = request.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_BODY_BYTES) {
      await reader.cancel().catch(() => undefined);
      throw new BodyTooLargeError();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

class BodyTooLargeError extends ServiceError {
  readonly status = 413;
  readonly code = "request_too_large";
  constructor() {
    super(`The request body is larger than ${MAX_BODY_BYTES} bytes.`);
    this.name = "BodyTooLargeError";
  }
}
