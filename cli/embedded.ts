import type { Logger } from "pino";
import { type LoadedConfig, loadConfigFile } from "../control-plane/config/load-config.js";
import { ControlPlane } from "../control-plane/control-plane.js";
import { mountControlPlane } from "../control-plane/http/mount.js";
import { InProcessSpendQueue } from "../control-plane/spend/in-process-spend-queue.js";
import { providerFor } from "../data-plane/providers/registry.js";
import { DataPlaneServer } from "../data-plane/server.js";
import { redactDatabaseUrl, resolveDatabaseUrl } from "../prisma/client.js";

export interface EmbeddedOptions {
  configFile: string;
  host: string;
  port: number;
  logger: Logger;
  env?: NodeJS.ProcessEnv;
}

export interface EmbeddedGateway {
  readonly port: number;
  readonly server: DataPlaneServer;
  readonly controlPlane: ControlPlane;
  readonly loaded: LoadedConfig;
  stop(graceMs?: number): Promise<void>;
}

/**
 * Both planes in one process: the control plane migrates the database and builds the
 * snapshot; the data plane serves it, and is handed a new one after every change made
 * through GraphQL or the admin REST endpoints, which share its port.
 */
export async function startEmbeddedGateway(options: EmbeddedOptions): Promise<EmbeddedGateway> {
  const { logger } = options;
  const env = options.env ?? process.env;
  const loaded = await loadConfigFile(options.configFile, env);
  // LiteLLM semantics: environment_variables from the file become process environment.
  for (const [k, v] of Object.entries(loaded.environment)) env[k] = v;
  const level = loaded.config.general_settings?.log_level;
  if (level !== undefined && env.SWITCHYARD_LOG_LEVEL === undefined) {
    logger.level = level === "warning" ? "warn" : level;
  }
  for (const w of loaded.warnings) logger.warn({ path: w.path }, `config: ${w.message}`);

  const databaseUrl = resolveDatabaseUrl(loaded.config.general_settings?.database_url, env);
  let server: DataPlaneServer | undefined;
  const controlPlane = await ControlPlane.start({
    config: loaded.config,
    databaseUrl,
    logger,
    // A change's delta is applied in place; the first snapshot (and any rebuild) swaps in whole.
    onSnapshot: (snapshot, _change, delta) => {
      if (server === undefined) return;
      if (delta !== undefined && delta.baseVersion === server.snapshotVersion)
        server.applyDelta(delta);
      else server.applySnapshot(snapshot);
    },
  });
  const snapshot = controlPlane.snapshot();
  if (snapshot.masterKeyHash === undefined) {
    logger.warn(
      "NO MASTER KEY: general_settings.master_key is not set, so anyone who can reach this port may use every model and administer the gateway. Set a master key before exposing Switchyard.",
    );
  }
  for (const d of snapshot.deployments) {
    if (providerFor(d.provider) === undefined) {
      logger.warn(
        { model: d.modelName, provider: d.provider },
        "provider not supported by this build yet: requests to this deployment will fail with HTTP 500",
      );
    }
  }
  // Spend goes from the data plane to the database through an in-process queue.
  const spendQueue = new InProcessSpendQueue(controlPlane.spendIngest, { logger });
  server = new DataPlaneServer({
    host: options.host,
    port: options.port,
    snapshot,
    logger,
    spendSink: spendQueue,
    extraRoutes: (app) =>
      mountControlPlane(app, controlPlane, { graphiql: env.NODE_ENV !== "production" }),
  });
  let port: number;
  try {
    port = await server.start();
  } catch (err) {
    await controlPlane.stop();
    throw err;
  }
  logger.info(
    {
      host: options.host,
      port,
      database: redactDatabaseUrl(databaseUrl),
      models: [...new Set(snapshot.deployments.map((d) => d.modelName))],
    },
    `Switchyard listening on http://${options.host}:${port} (GraphQL at /graphql)`,
  );
  const dataPlane = server;
  return {
    port,
    server: dataPlane,
    controlPlane,
    loaded,
    stop: async (graceMs) => {
      await dataPlane.stop(graceMs);
      await controlPlane.stop();
    },
  };
}
