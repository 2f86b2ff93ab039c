import { setTimeout as sleep } from "node:timers/promises";
import { ApiError } from "../../schema/errors.js";
import {
  DEFAULT_ROUTER_SETTINGS,
  type Deployment,
  type RouterSettings,
} from "../../schema/snapshot.js";
import { type ModelGroup, resolveGroup } from "../snapshot/indexed-snapshot.js";
import { callDeployment } from "./call-deployment.js";
import { exceedsContextWindow, groupContextWindow, mayExceed } from "./context-window.js";
import { fallbacksFor } from "./fallbacks.js";
import {
  backoffMs,
  type FailureKind,
  failureKind,
  MAX_RETRY_WAIT_MS,
  retriesFor,
} from "./retry-policy.js";
import type { RoutedCall } from "./routed-call.js";
import type { Router } from "./router.js";
import { type RouterParams, routerParams, withoutRouterParams } from "./router-params.js";
import { requestTags } from "./tag-filter.js";

/** How long a request may wait for deployment counters to sync (as limits do) before a 429. */
const MAX_SYNC_WAIT_MS = 5_000;

/**
 * Routes one request: picks a deployment of its group by the configured strategy, retries
 * failed attempts (`num_retries`, `retry_policy`, backoff with jitter, the upstream's
 * Retry-After), then tries the fallback groups. Resolves once the client was answered;
 * throws the ApiError to answer with when no attempt succeeded. Nothing is retried once a
 * byte reached the client (callDeployment answers those failures itself).
 */
export async function routeCall(call: RoutedCall, group: ModelGroup): Promise<void> {
  const { ctx, outcome, request } = call;
  const snapshot = ctx.snapshot();
  const settings = snapshot.settings.router ?? DEFAULT_ROUTER_SETTINGS;
  const router = ctx.router;
  const own = routerParams(request.body);
  const base = own === undefined ? call : stripped(call);
  const deadline = own?.timeoutMs === undefined ? undefined : performance.now() + own.timeoutMs;
  const tags = requestTags(call.tagsHeader ?? "", request.body);

  let current = group;
  let lastError: ApiError | undefined;
  let upstreamFailed = false;
  let coolingUntil = 0;
  let triedGroups: string[] | undefined;
  let syncGiveUpAt: number | undefined;
  for (;;) {
    let kind: FailureKind = "server";
    let exclude: Deployment[] | undefined;
    let retries = 0;
    let last: { deployment: Deployment; retryAfter: number | undefined } | undefined;
    const cwFallbacks = settings.contextWindowFallbacks;
    let tooLong: boolean | Promise<boolean> = false;
    if (Object.hasOwn(cwFallbacks, request.model) || Object.hasOwn(cwFallbacks, current.name)) {
      tooLong = tooLongFor(current, call);
      // Only a prompt long enough to count is awaited (the tokenizer may load).
      if (tooLong !== true && tooLong !== false) tooLong = await tooLong;
    }
    if (tooLong) {
      kind = "contextWindow";
      lastError = contextWindowError(current);
    } else {
      for (;;) {
        let deployment = router.pick(current, settings, tags, exclude);
        if (deployment === undefined && exclude !== undefined) {
          // Nothing else to try: the same deployment again.
          deployment = router.pick(current, settings, tags, undefined);
        }
        if (deployment === undefined && router.awaitingSync) {
          // A deployment's cluster-wide counters must be synced before it may take more.
          syncGiveUpAt ??= performance.now() + MAX_SYNC_WAIT_MS;
          if (performance.now() < syncGiveUpAt) {
            await router.nextSync();
            if (!call.exchange.open) return;
            continue;
          }
        }
        if (deployment === undefined) {
          if (tags !== undefined && settings.enableTagFiltering && !carriesTags(current, tags)) {
            throw noTaggedDeployment(current.name, tags);
          }
          const until = router.coolingUntil(current, Date.now());
          if (until > 0 && (coolingUntil === 0 || until < coolingUntil)) coolingUntil = until;
          lastError ??= noDeployments(current.name, coolingUntil);
          kind = "rateLimit";
          break;
        }
        if (retries > 0) {
          const sameAsLast = last !== undefined && last.deployment.id === deployment.id;
          const wait = backoffMs(retries, settings, sameAsLast ? last?.retryAfter : undefined);
          if (wait > MAX_RETRY_WAIT_MS) {
            // The upstream asks for longer than a request should hang: answer or fall back.
            outcome.retries--;
            break;
          }
          if (deadline !== undefined && performance.now() + wait >= deadline) {
            throw requestTimeout(own!, outcome.retries, outcome.fallbacks);
          }
          await sleep(wait);
          if (!call.exchange.open) return;
        }
        try {
          await attempt(base, current, deployment, router, deadline, own);
          return;
        } catch (err) {
          if (!(err instanceof ApiError)) throw err;
          lastError = err;
          upstreamFailed = true;
          kind = failureKind(err);
          if (kind === "final") throw err;
          // Refusals of this request's content say nothing of the deployment's health.
          if (kind !== "contextWindow" && kind !== "contentPolicy") {
            router.cooldowns.recordFailure(
              deployment.id,
              err,
              settings,
              current.deployments.length,
              Date.now(),
            );
          }
          const allowed = own?.numRetries ?? retriesFor(kind, settings);
          if (kind === "contextWindow" || retries >= allowed) break;
          if (deadline !== undefined && performance.now() >= deadline) break;
          retries++;
          outcome.retries++;
          exclude ??= [];
          exclude.push(deployment);
          last = { deployment, retryAfter: err.retryAfter };
        }
      }
    }
    triedGroups ??= [current.name];
    const next = nextFallback(call, current, kind, settings, own, triedGroups);
    if (next === undefined || outcome.fallbacks >= settings.maxFallbacks) break;
    if (deadline !== undefined && performance.now() >= deadline) {
      throw requestTimeout(own!, outcome.retries, outcome.fallbacks);
    }
    triedGroups.push(next.name);
    outcome.fallbacks++;
    current = next;
  }
  if (!upstreamFailed && coolingUntil > 0) throw noDeployments(request.model, coolingUntil);
  throw lastError ?? noDeployments(request.model, coolingUntil);
}

/** One attempt, counted in the deployment's load (in flight, latency, tokens this minute). */
async function attempt(
  call: RoutedCall,
  group: ModelGroup,
  deployment: Deployment,
  router: Router,
  deadline: number | undefined,
  own: RouterParams | undefined,
): Promise<void> {
  const { outcome, exchange } = call;
  // The call object is this request's own: each attempt sets its group and time share on it.
  call.groupName = group.name;
  call.attemptTimeoutMs = undefined;
  if (deadline !== undefined) {
    const left = deadline - performance.now();
    if (left <= 0) throw requestTimeout(own!, outcome.retries, outcome.fallbacks);
    call.attemptTimeoutMs = left;
  }
  const load = router.loadOf(deployment.id);
  const startedAt = performance.now();
  load.inFlight++;
  load.shared?.parallel.add(1);
  try {
    await callDeployment(call, deployment);
    // Streams are judged by their time to first token.
    const answeredAt = exchange.respondedAt > startedAt ? exchange.respondedAt : performance.now();
    load.recordLatency(answeredAt - startedAt);
    const tokens = outcome.usage?.total_tokens;
    if (tokens !== undefined) {
      load.tokens += tokens;
      load.shared?.tokens.add(tokens);
    }
  } catch (err) {
    if (err instanceof ApiError && err.status === 504)
      load.recordLatency(performance.now() - startedAt);
    throw err;
  } finally {
    load.inFlight--;
    load.shared?.parallel.add(-1);
  }
}

function nextFallback(
  call: RoutedCall,
  current: ModelGroup,
  kind: FailureKind,
  settings: RouterSettings,
  own: RouterParams | undefined,
  tried: string[],
): ModelGroup | undefined {
  const model = call.request.model;
  let list = fallbacksFor(model, kind, settings, own?.fallbacks);
  if (list.length === 0 && current.name !== model) {
    list = fallbacksFor(current.name, kind, settings, own?.fallbacks);
  }
  const snapshot = call.ctx.snapshot();
  for (const name of list) {
    if (tried.includes(name)) continue;
    const group = resolveGroup(snapshot, name);
    if (group !== undefined && !tried.includes(group.name)) return group;
  }
  return undefined;
}

/** Whether the prompt plainly exceeds every deployment's context window (rarely awaited). */
function tooLongFor(group: ModelGroup, call: RoutedCall): boolean | Promise<boolean> {
  const window = groupContextWindow(group.deployments);
  if (!mayExceed(window, call.text.length)) return false;
  return exceedsContextWindow(window, call.callType, call.request.body);
}

function stripped(call: RoutedCall): RoutedCall {
  const body = withoutRouterParams(call.request.body);
  return { ...call, request: { ...call.request, body, rawBody: JSON.stringify(body) } };
}

function carriesTags(group: ModelGroup, tags: readonly string[]): boolean {
  return group.deployments.some((d) => d.tags?.some((t) => tags.includes(t) || t === "default"));
}

/** 429 with Retry-After: every deployment is cooling down (or at its own limits). */
export function noDeployments(model: string, coolingUntil: number): ApiError {
  const now = Date.now();
  const seconds =
    coolingUntil > now
      ? Math.max(1, Math.ceil((coolingUntil - now) / 1000))
      : 60 - (Math.floor(now / 1000) % 60);
  return new ApiError(
    429,
    `No deployments available for model ${model}, retry in ${seconds} s (every deployment is cooling down after failures, or at its rpm/tpm/max_parallel_requests limit).`,
    "rate_limit_error",
    "no_deployments_available",
    null,
    seconds,
  );
}

function noTaggedDeployment(model: string, tags: readonly string[]): ApiError {
  return new ApiError(
    400,
    `No deployment of model ${model} carries any of the request's tags (${tags.join(", ")}) or the "default" tag.`,
    "invalid_request_error",
    "no_deployment_for_tags",
  );
}

function contextWindowError(group: ModelGroup): ApiError {
  return new ApiError(
    400,
    `The prompt is longer than the context window of every deployment of model ${group.name}.`,
    "invalid_request_error",
    "context_length_exceeded",
  );
}

function requestTimeout(own: RouterParams, retries: number, fallbacks: number): ApiError {
  return new ApiError(
    504,
    `Request timed out after ${own.timeoutMs! / 1000}s (timeout), with ${retries} retries and ${fallbacks} fallbacks.`,
    "timeout_error",
    "request_timeout",
  );
}
