import type { Deployment as SnapshotDeployment } from "../../schema/snapshot.js";
import { requireProxyAdmin } from "../auth/policy.js";
import { InvalidInputError } from "../services/errors.js";
import { publicDeployment, type PublicDeployment } from "../services/models.js";
import { maskSecret } from "../services/redact.js";
import { type Route, type RouteContext, requireString } from "./route.js";
import { serviceInput } from "./wire.js";

/**
 * LiteLLM's model management: /model/new, /model/update, /model/delete, and /model/info
 * (also at /v1/model/info) listing the config file's deployments and the API's. Upstream
 * secrets never leave: every secret-looking parameter and every extra header is masked.
 */
export const modelRoutes: Route[] = [
  {
    method: "POST",
    path: "/model/new",
    async handle(ctx) {
      const body = await ctx.body();
      const created = await ctx.cp.models.create(await ctx.principal(), serviceInput(body));
      return { model_id: created.id, ...dbModelJson(publicDeployment(created)) };
    },
  },
  {
    method: "POST",
    path: "/model/update",
    async handle(ctx) {
      const body = await ctx.body();
      const p = await ctx.principal();
      const info = body.model_info;
      const id = requireString(
        typeof info === "object" && info !== null
          ? (info as Record<string, unknown>).id
          : undefined,
        "model_info.id",
      );
      requireProxyAdmin(p, "change models");
      await refuseConfigModel(ctx, id, "changed");
      const updated = await ctx.cp.models.update(p, id, serviceInput(body));
      return { model_id: updated.id, ...dbModelJson(publicDeployment(updated)) };
    },
  },
  {
    method: "POST",
    path: "/model/delete",
    async handle(ctx) {
      const body = await ctx.body();
      const p = await ctx.principal();
      const id = requireString(body.id, "id");
      requireProxyAdmin(p, "delete models");
      await refuseConfigModel(ctx, id, "deleted");
      await ctx.cp.models.delete(p, id);
      return { message: `Model: ${id} deleted successfully` };
    },
  },
  { method: "GET", path: "/model/info", handle: modelInfo },
  { method: "GET", path: "/v1/model/info", handle: modelInfo },
];

async function modelInfo(ctx: RouteContext): Promise<unknown> {
  // Any valid key may see which models exist (as in LiteLLM); an invalid one may not.
  await ctx.principal();
  const stored = (await ctx.cp.models.list()).map(publicDeployment);
  const storedIds = new Set(stored.map((d) => d.id));
  const fromConfig = ctx.cp.snapshot().deployments.filter((d) => !storedIds.has(d.id));
  const data = [...fromConfig.map(configModelJson), ...stored.map(dbModelJson)];
  const only = ctx.url.searchParams.get("litellm_model_id");
  return { data: only ? data.filter((m) => m.model_info.id === only) : data };
}

interface ModelJson {
  model_name: string;
  litellm_params: Record<string, unknown>;
  model_info: Record<string, unknown> & { id: string };
}

function dbModelJson(d: PublicDeployment): ModelJson {
  return {
    model_name: d.modelName,
    litellm_params: masked(d.litellmParams),
    model_info: { ...masked(d.modelInfo), id: d.id, db_model: true },
  };
}

/** A config-file deployment, from the snapshot, back in the file's terms. */
function configModelJson(d: SnapshotDeployment): ModelJson {
  const params: Record<string, unknown> = {
    model: `${d.provider}/${d.model}`,
    api_base: d.apiBase,
    api_version: d.apiVersion,
    organization: d.organization,
    api_key: d.apiKey,
    timeout: d.timeoutMs / 1000,
    stream_timeout: d.streamTimeoutMs / 1000,
    weight: d.weight,
    ...(Object.keys(d.extraHeaders).length > 0 ? { extra_headers: d.extraHeaders } : {}),
  };
  return {
    model_name: d.modelName,
    litellm_params: masked(params),
    model_info: { ...masked(d.modelInfo), id: d.id, db_model: false },
  };
}

/** A parameter whose name says it holds a credential (but not `max_tokens`-like numbers). */
const SECRET_NAME = /key|secret|token|password|credential|auth/i;
const HEADER_FIELDS = new Set(["extra_headers", "headers"]);

/** A copy with every secret-named string (or object) and every header value masked. */
function masked(params: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined) continue;
    if (HEADER_FIELDS.has(name) && typeof value === "object" && value !== null) {
      out[name] = Object.fromEntries(Object.entries(value).map(([h, v]) => [h, maskValue(v)]));
    } else if (
      SECRET_NAME.test(name) &&
      (typeof value === "string" || typeof value === "object") &&
      value !== null
    ) {
      out[name] = maskValue(value);
    } else if (typeof value === "object" && value !== null && !Array.isArray(value)) {
      out[name] = masked(value as Record<string, unknown>);
    } else {
      out[name] = value;
    }
  }
  return out;
}

function maskValue(value: unknown): string {
  return typeof value === "string" ? maskSecret(value) : "****";
}

/** Config-file deployments have no row: they change with the file, not through the API. */
async function refuseConfigModel(ctx: RouteContext, id: string, what: string): Promise<void> {
  const stored = await ctx.cp.models.list();
  if (stored.some((d) => d.id === id)) return;
  if (!ctx.cp.snapshot().deployments.some((d) => d.id === id)) return;
  throw new InvalidInputError(
    `Model ${id} is defined in the config file and cannot be ${what} through the API; edit the file.`,
    [{ path: "id", message: "config-file model" }],
  );
}
