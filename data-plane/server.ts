import type { Logger } from "pino";
import uWS from "uWebSockets.js";
import type { SnapshotDelta } from "../schema/bus-messages.js";
import type { Snapshot } from "../schema/snapshot.js";
import { ApiError } from "../schema/errors.js";
import { authenticate } from "./auth/authenticate.js";
import { KeyDigests } from "./auth/key-digests.js";
import { DeploymentHealth } from "./health/deployment-health.js";
import { Exchange } from "./http/exchange.js";
import { assertNativeUws } from "./native-check.js";
import { anthropicMessagesRoute } from "./routes/anthropic-messages.js";
import type { RouteContext } from "./routes/context.js";
import { deploymentHealthRoute, livenessRoute, readinessRoute } from "./routes/health.js";
import { metricsRoute } from "./routes/metrics.js";
import { listModelsRoute, retrieveModelRoute } from "./routes/models.js";
import { proxyCallRoute } from "./routes/proxy-call.js";
import { readRequestHeaders } from "./routes/request-headers.js";
import { BudgetAlerts } from "./limits/budget-alerts.js";
import { Limits } from "./limits/limits.js";
import { SharedCounters } from "./limits/shared-counters.js";
import type { SpendSink } from "../schema/spend-event.js";
import { BatchingSpendRecorder } from "./spend/batching-recorder.js";
import { NO_SPEND, type SpendRecorder } from "./spend/finished-call.js";
import { IndexedSnapshot } from "./snapshot/indexed-snapshot.js";
import type { SyncStatus } from "./sync/sync-status.js";
import { UpstreamPools } from "./upstream/pools.js";
import type { CooldownSharing } from "./router/cooldowns.js";
import { Router } from "./router/router.js";

export interface DataPlaneOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** The first snapshot; an already indexed one is used as is. */
  snapshot: Snapshot | IndexedSnapshot;
  logger: Logger;
  /**
   * Registers more routes on the same server before the catch-all 404 (embedded mode
   * serves the control plane's GraphQL and admin REST on the gateway's port).
   */
  extraRoutes?: (app: uWS.TemplatedApp) => void;
  /** How fresh the snapshot is (a node syncing with a control plane); embedded: always fresh. */
  syncStatus?: () => SyncStatus;
  /**
   * Where rate-limit and budget counters are shared with the other nodes (distributed mode).
   * Absent: this node counts alone (embedded mode).
   */
  sharedLimits?: { redisUrl: string; nodeId: string; keyPrefix?: string };
  /** Where finished requests are recorded as spend; absent: not recorded. */
  spend?: SpendRecorder;
  /**
   * Where deployment cooldowns are shared with the other nodes (the bus's `cooldowns`
   * channel); absent: this node's cooldowns are its own.
   */
  cooldowns?: CooldownSharing;
  /**
   * Where this node sends its spend events (in-process queue or Redis Stream); the server
   * batches finished requests into it and flushes it at stop. Wins over `spend`.
   */
  spendSink?: SpendSink;
}

/**
 * The data plane: serves `/v1/*` on uWebSockets.js from an in-memory snapshot. Many
 * clients use a base URL without `/v1`, so every OpenAI route is served both ways.
 */
export class DataPlaneServer {
  private current: IndexedSnapshot;
  private listenSocket: uWS.us_listen_socket | undefined;
  private app: uWS.TemplatedApp | undefined;
  private inFlight = 0;
  private stopping = false;
  private drained: (() => void) | undefined;
  private readonly pools = new UpstreamPools();
  private readonly health = new DeploymentHealth();
  private readonly keyDigests = new KeyDigests();
  private readonly startedAt = Date.now();
  private readonly counters: SharedCounters;
  private readonly limits: Limits;
  private readonly router: Router;
  private readonly spendRecorder: BatchingSpendRecorder | undefined;
  /** Fired soft-budget alerts (also POSTed to the webhook, when one is configured). */
  readonly budgetAlerts: BudgetAlerts;

  constructor(private readonly options: DataPlaneOptions) {
    this.current =
      options.snapshot instanceof IndexedSnapshot
        ? options.snapshot
        : new IndexedSnapshot(options.snapshot);
    const shared = options.sharedLimits;
    const nodeId = shared?.nodeId ?? "embedded";
    this.counters = new SharedCounters({
      redisUrl: shared?.redisUrl,
      nodeId,
      keyPrefix: shared?.keyPrefix,
      logger: options.logger,
    });
    this.budgetAlerts = new BudgetAlerts({
      webhookUrl: () => this.current.settings.alertWebhookUrl,
      claimOnce: (id, expireAt) => this.counters.claimOnce(id, expireAt),
      nodeId,
      logger: options.logger,
    });
    this.limits = new Limits(this.counters, this.budgetAlerts);
    this.router = new Router(options.logger, options.cooldowns, Math.random, this.counters);
    if (options.spendSink !== undefined) {
      this.spendRecorder = new BatchingSpendRecorder({
        sink: options.spendSink,
        eventOptions: () => ({
          masterKeyHash: this.current.masterKeyHash?.toString("latin1"),
          storePrompts: this.current.settings.storePromptsInSpendLogs === true,
        }),
      });
    }
  }

  get port(): number {
    return this.listenSocket === undefined ? 0 : uWS.us_socket_local_port(this.listenSocket);
  }

  get snapshotVersion(): number {
    return this.current.version;
  }

  async start(): Promise<number> {
    assertNativeUws();
    await this.counters.start();
    await this.router.start();
    const app = uWS.App();
    this.register(app, this.routeContext());
    this.app = app;
    const { host, port } = this.options;
    this.listenSocket = await new Promise<uWS.us_listen_socket>((resolve, reject) => {
      app.listen(host, port, (socket) => {
        if (socket) resolve(socket);
        else
          reject(new Error(`Cannot listen on ${host}:${port} (address in use or not permitted)`));
      });
    });
    return this.port;
  }

  /**
   * Indexes and swaps in a new snapshot, in one go (embedded mode: small, in-process). A node
   * syncing with a control plane indexes in the background and calls swapSnapshot.
   */
  applySnapshot(snapshot: Snapshot): void {
    this.swapSnapshot(new IndexedSnapshot(snapshot));
  }

  /** Swaps in an indexed snapshot: one reference assignment; requests in flight keep the old one. */
  swapSnapshot(snapshot: IndexedSnapshot): void {
    this.current = snapshot;
    this.forgetRemovedDeployments();
  }

  /** Applies the next delta in place (its baseVersion must be the current version). */
  applyDelta(delta: SnapshotDelta): void {
    this.current.applyDelta(delta);
    if (delta.remove.deployments.length > 0 || delta.upsert.deployments.length > 0) {
      this.forgetRemovedDeployments();
    }
  }

  private forgetRemovedDeployments(): void {
    const ids = new Set(this.current.deploymentsById.keys());
    this.health.retain(ids);
    this.router.retain(ids);
    void this.pools.retain(ids);
  }

  /**
   * Stops accepting connections, lets requests in flight finish for up to `graceMs`, then
   * closes every connection and upstream pool.
   */
  async stop(graceMs = this.current.settings.gracefulShutdownMs): Promise<void> {
    this.stopping = true;
    if (this.listenSocket !== undefined) {
      uWS.us_listen_socket_close(this.listenSocket);
      this.listenSocket = undefined;
    }
    if (this.inFlight > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, graceMs);
        this.drained = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    this.drained = undefined;
    (this.app as (uWS.TemplatedApp & { close?: () => void }) | undefined)?.close?.();
    this.app = undefined;
    await this.pools.stop();
    await this.counters.stop();
    await this.router.stop();
    await this.spendRecorder?.stop();
  }

  get requestsInFlight(): number {
    return this.inFlight;
  }

  private routeContext(): RouteContext {
    return {
      snapshot: () => this.current,
      authenticate: (key) => authenticate(key, this.current, this.keyDigests),
      pools: this.pools,
      health: this.health,
      router: this.router,
      logger: this.options.logger,
      startedAt: this.startedAt,
      draining: () => this.stopping,
      syncStatus: () => this.options.syncStatus?.() ?? { stale: false, lastSyncAt: Date.now() },
      limits: this.limits,
      spend: this.spendRecorder ?? this.options.spend ?? NO_SPEND,
      limitsStatus: () => ({ mode: this.counters.mode, nodes: this.counters.nodes }),
      track: () => {
        this.inFlight++;
        return () => {
          this.inFlight--;
          if (this.inFlight === 0) this.drained?.();
        };
      },
    };
  }

  private register(app: uWS.TemplatedApp, ctx: RouteContext): void {
    for (const prefix of ["/v1", ""]) {
      app.post(`${prefix}/chat/completions`, proxyCallRoute("chat", ctx));
      app.post(`${prefix}/completions`, proxyCallRoute("completion", ctx));
      app.post(`${prefix}/embeddings`, proxyCallRoute("embedding", ctx));
      app.post(`${prefix}/messages`, anthropicMessagesRoute(ctx));
      app.get(`${prefix}/models`, listModelsRoute(ctx));
      app.get(`${prefix}/models/*`, retrieveModelRoute(ctx, `${prefix}/models/`));
    }
    app.get("/health/liveliness", livenessRoute(ctx));
    app.get("/health/liveness", livenessRoute(ctx));
    app.get("/health/readiness", readinessRoute(ctx));
    app.get("/health", deploymentHealthRoute(ctx));
    app.get("/metrics", metricsRoute(ctx));
    this.options.extraRoutes?.(app);
    app.any("/*", (res, req) => {
      const method = req.getMethod().toUpperCase();
      const url = req.getUrl();
      const exchange = new Exchange(
        res,
        readRequestHeaders(req).requestId,
        performance.now(),
        ctx.track(),
      );
      exchange.sendError(
        new ApiError(404, `Invalid URL (${method} ${url})`, "invalid_request_error", "not_found"),
      );
    });
  }
}
