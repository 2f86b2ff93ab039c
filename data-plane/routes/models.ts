import type { HttpRequest, HttpResponse } from "uWebSockets.js";
import { mayUseModel } from "../auth/model-access.js";
import { Exchange, toApiError } from "../http/exchange.js";
import { resolveGroup } from "../snapshot/indexed-snapshot.js";
import type { RouteContext } from "./context.js";
import { readRequestHeaders } from "./request-headers.js";
import { modelNotFound } from "./validate-request.js";

// LiteLLM reports a fixed creation time; clients only need the field to exist.
const CREATED = 1677610602;

function modelObject(id: string) {
  return { id, object: "model", created: CREATED, owned_by: "switchyard" };
}

/** `GET /v1/models`: the model names the caller may use. */
export function listModelsRoute(ctx: RouteContext) {
  return (res: HttpResponse, req: HttpRequest): void => {
    const headers = readRequestHeaders(req);
    const exchange = new Exchange(res, headers.requestId, performance.now(), ctx.track());
    try {
      const snapshot = ctx.snapshot();
      const caller = ctx.authenticate(headers.key);
      const names = snapshot.modelNames.filter((m) => mayUseModel(caller, m));
      // model_group_alias names are models too, for clients that list before they call.
      const aliases = snapshot.settings.router?.modelGroupAlias;
      if (aliases !== undefined) {
        for (const alias of Object.keys(aliases)) {
          if (!snapshot.groups.has(alias) && mayUseModel(caller, alias)) {
            if (resolveGroup(snapshot, alias) !== undefined) names.push(alias);
          }
        }
      }
      exchange.sendJson(200, JSON.stringify({ object: "list", data: names.map(modelObject) }));
    } catch (err) {
      exchange.sendError(toApiError(err));
    }
  };
}

/**
 * `GET /v1/models/{model}`, where the model name may hold slashes
 * (`meta-llama/Llama-3-8b`): everything after `prefix` is the name.
 */
export function retrieveModelRoute(ctx: RouteContext, prefix: string) {
  return (res: HttpResponse, req: HttpRequest): void => {
    const headers = readRequestHeaders(req);
    const rawModel = req.getUrl().slice(prefix.length);
    const exchange = new Exchange(res, headers.requestId, performance.now(), ctx.track());
    try {
      const model = safeDecode(rawModel);
      const snapshot = ctx.snapshot();
      const caller = ctx.authenticate(headers.key);
      // Aliases and wildcard names (`anthropic/claude-x` for `anthropic/*`) resolve as calls do.
      if (resolveGroup(snapshot, model) === undefined || !mayUseModel(caller, model)) {
        throw modelNotFound(model);
      }
      exchange.sendJson(200, JSON.stringify(modelObject(model)));
    } catch (err) {
      exchange.sendError(toApiError(err));
    }
  };
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
