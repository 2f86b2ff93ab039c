import type { Logger } from "pino";
import { type LoadedConfig, loadConfigFile } from "../control-plane/config/load-config.js";
import { buildSnapshotFromConfig } from "../control-plane/snapshot/build-from-config.js";
import { providerFor } from "../data-plane/providers/registry.js";
import { DataPlaneServer } from "../data-plane/server.js";

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
  readonly loaded: LoadedConfig;
  stop(graceMs?: number): Promise<void>;
}

/** Both planes in one process: the config file builds the snapshot the data plane serves. */
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

  const snapshot = buildSnapshotFromConfig(loaded.config);
  if (snapshot.masterKeyHash === undefined) {
    logger.warn(
      "NO MASTER KEY: general_settings.master_key is not set, so anyone who can reach this port may use every model. Set a master key before exposing Switchyard.",
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
  const server = new DataPlaneServer({ host: options.host, port: options.port, snapshot, logger });
  const port = await server.start();
  logger.info(
    {
      host: options.host,
      port,
      models: [...new Set(snapshot.deployments.map((d) => d.modelName))],
    },
    `Switchyard listening on http://${options.host}:${port}`,
  );
  return { port, server, loaded, stop: (graceMs) => server.stop(graceMs) };
}
