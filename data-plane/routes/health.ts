import type { HttpRequest, HttpResponse } from "uWebSockets.js";
import { ApiError } from "../../schema/errors.js";
import type { Deployment } from "../../schema/snapshot.js";
import { isAdmin } from "../auth/authenticate.js";
import { Exchange, toApiError } from "../http/exchange.js";
import { priceOf } from "../pricing/deployment-price.js";
import { providerFor } from "../providers/registry.js";
import type { RouteContext } from "./context.js";
import { readRequestHeaders } from "./request-headers.js";

const ALIVE = JSON.stringify("I'm alive!");
const CHECK_TIMEOUT_MS = 10_000;

/** `GET /health/liveliness` (LiteLLM's spelling) and `/health/liveness`: the process answers. */
export function livenessRoute(ctx: RouteContext) {
  return (res: HttpResponse, req: HttpRequest): void => {
    const exchange = new Exchange(
      res,
      readRequestHeaders(req).requestId,
      performance.now(),
      ctx.track(),
    );
    exchange.sendJson(200, ALIVE);
  };
}

/** `GET /health/readiness`: ready to serve, with the snapshot it serves from. */
export function readinessRoute(ctx: RouteContext) {
  return (res: HttpResponse, req: HttpRequest): void => {
    const exchange = new Exchange(
      res,
      readRequestHeaders(req).requestId,
      performance.now(),
      ctx.track(),
    );
    const snapshot = ctx.snapshot();
    const draining = ctx.draining();
    const sync = ctx.syncStatus();
    // A stale node keeps serving its last snapshot (taking every node out of a load balancer
    // when Redis blips would be an outage); it says so, with the snapshot's age.
    exchange.sendJson(
      draining ? 503 : 200,
      JSON.stringify({
        status: draining ? "draining" : sync.stale ? "stale" : "healthy",
        snapshot: {
          version: snapshot.version,
          built_at: snapshot.builtAt,
          stale: sync.stale,
          stale_reason: sync.reason ?? null,
          seconds_since_sync: Math.round((Date.now() - sync.lastSyncAt) / 1000),
        },
        deployments: snapshot.deployments.length,
        limits: ctx.limitsStatus(),
        uptime_seconds: Math.round((Date.now() - ctx.startedAt) / 1000),
      }),
    );
  };
}

/**
 * `GET /health` (master key only): each deployment probed with a call that spends no
 * tokens (OpenAI: `GET /models`), plus what this node saw of its recent traffic.
 */
export function deploymentHealthRoute(ctx: RouteContext) {
  return (res: HttpResponse, req: HttpRequest): void => {
    const headers = readRequestHeaders(req);
    const exchange = new Exchange(res, headers.requestId, performance.now(), ctx.track());
    try {
      const snapshot = ctx.snapshot();
      if (!isAdmin(ctx.authenticate(headers.key))) {
        throw new ApiError(
          403,
          "Only the master key may read /health.",
          "permission_error",
          "forbidden",
        );
      }
      probeAll(snapshot.deployments, ctx).then(
        (body) => exchange.sendJson(200, JSON.stringify(body)),
        (err: unknown) => exchange.sendError(toApiError(err)),
      );
    } catch (err) {
      exchange.sendError(toApiError(err));
    }
  };
}

async function probeAll(deployments: readonly Deployment[], ctx: RouteContext) {
  const results = await Promise.all(deployments.map((d) => probe(d, ctx)));
  const healthy = results.filter((r) => r.healthy);
  const unhealthy = results.filter((r) => !r.healthy);
  // A model without a known price is billed 0: say so, never silently.
  const unpriced = deployments.filter((d) => !priceOf(d).known);
  return {
    healthy_endpoints: healthy,
    unhealthy_endpoints: unhealthy,
    healthy_count: healthy.length,
    unhealthy_count: unhealthy.length,
    unpriced_models: unpriced.map((d) => ({
      model: d.modelName,
      model_id: d.id,
      upstream_model: `${d.provider}/${d.model}`,
    })),
  };
}

async function probe(d: Deployment, ctx: RouteContext) {
  const seen = ctx.health.snapshotOf(d.id);
  const price = priceOf(d);
  const load = ctx.router.loadOf(d.id);
  const base = {
    model: d.modelName,
    model_id: d.id,
    provider: d.provider,
    upstream_model: d.model,
    api_base: d.apiBase ?? null,
    priced: price.known,
    input_cost_per_token: price.inputPerToken,
    output_cost_per_token: price.outputPerToken,
    recent: seen
      ? {
          successes: seen.successes,
          failures: seen.failures,
          consecutive_failures: seen.consecutiveFailures,
          last_error: seen.lastError ?? null,
          last_latency_ms: seen.lastLatencyMs ?? null,
        }
      : null,
    // The router's view on this node (cooldowns are shared by every node).
    routing: {
      in_flight: load.inFlight,
      cooling_down_until:
        load.coolUntil > Date.now() ? new Date(load.coolUntil).toISOString() : null,
      mean_latency_ms: load.samples === 0 ? null : load.latency,
    },
  };
  const provider = providerFor(d.provider);
  if (provider === undefined) {
    return {
      ...base,
      healthy: false,
      error: `provider "${d.provider}" is not supported by this build`,
    };
  }
  try {
    const signal = AbortSignal.timeout(Math.min(CHECK_TIMEOUT_MS, d.timeoutMs));
    const result = await provider.healthCheck(d, ctx.pools, signal);
    return { ...base, healthy: result.healthy, error: result.error ?? null };
  } catch (err) {
    const reason =
      err instanceof Error ? (err.name === "TimeoutError" ? "timed out" : err.message) : "failed";
    return { ...base, healthy: false, error: `probe ${reason}` };
  }
}
