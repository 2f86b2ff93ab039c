import { hostname } from "node:os";
import { type Command, Option } from "commander";
import { RedisBus } from "../../bus/redis-bus.js";
import { loadConfigFile } from "../../control-plane/config/load-config.js";
import { ControlPlane } from "../../control-plane/control-plane.js";
import { ControlPlaneServer } from "../../control-plane/http/control-plane-server.js";
import { NodeRegistry } from "../../control-plane/nodes/node-registry.js";
import { RedisChangeCoordinator } from "../../control-plane/snapshot/change-coordinator.js";
import { SnapshotPublisher } from "../../control-plane/snapshot/publisher.js";
import { SpendStreamConsumer } from "../../control-plane/spend/stream-consumer.js";
import { spendStreamKey } from "../../data-plane/spend/redis-stream-sink.js";
import { redactDatabaseUrl, resolveDatabaseUrl } from "../../prisma/client.js";
import { busChannels } from "../../bus/channels.js";
import { createLogger } from "../logger.js";
import { runUntilSignal } from "../run-until-signal.js";
import { describeError } from "./fail.js";

interface ControlPlaneFlags {
  config: string;
  port: string;
  host: string;
  redis: string;
  nodeToken?: string;
  busPrefix: string;
  spendConsumer?: string;
  spendClaimIdleMs: string;
}

/**
 * `switchyard control-plane`: the GraphQL and admin API, the database, and the source of
 * snapshots, which it publishes to data-plane nodes over Redis (distributed mode).
 */
export function registerControlPlaneCommand(program: Command): void {
  program
    .command("control-plane")
    .description(
      "run the control plane alone (distributed mode): admin API, database, snapshots over Redis",
    )
    .addOption(
      new Option("-c, --config <file>", "config file (YAML)")
        .env("SWITCHYARD_CONFIG")
        .default("config.yaml"),
    )
    .addOption(new Option("-p, --port <port>", "port to listen on").env("PORT").default("4000"))
    .addOption(new Option("--host <host>", "address to listen on").env("HOST").default("0.0.0.0"))
    .addOption(
      new Option("--redis <url>", "Redis URL").env("REDIS_URL").default("redis://127.0.0.1:6379"),
    )
    .addOption(
      new Option("--node-token <token>", "token data-plane nodes present to fetch snapshots").env(
        "SWITCHYARD_NODE_TOKEN",
      ),
    )
    .addOption(
      new Option("--bus-prefix <prefix>", "prefix of the Redis channels (to share a Redis)")
        .env("SWITCHYARD_BUS_PREFIX")
        .default(""),
    )
    .addOption(
      new Option(
        "--spend-consumer <name>",
        "this control plane's name in the spend stream's consumer group (default: host name and port; keep it across restarts)",
      ).env("SWITCHYARD_SPEND_CONSUMER"),
    )
    .addOption(
      new Option(
        "--spend-claim-idle-ms <ms>",
        "spend entries another control plane left unacknowledged this long are taken over",
      )
        .env("SWITCHYARD_SPEND_CLAIM_IDLE_MS")
        .default("30000"),
    )
    .action(async (_flags: object, cmd: Command) => {
      const flags = cmd.opts<ControlPlaneFlags>();
      const logger = createLogger();
      try {
        const running = await startControlPlane(flags, logger);
        runUntilSignal(logger, running.stop);
      } catch (err) {
        logger.fatal(describeError(err));
        process.stderr.write(`switchyard control-plane: ${describeError(err)}\n`);
        process.exit(1);
      }
    });
}

async function startControlPlane(
  flags: ControlPlaneFlags,
  logger: ReturnType<typeof createLogger>,
) {
  const loaded = await loadConfigFile(flags.config);
  for (const [k, v] of Object.entries(loaded.environment)) process.env[k] = v;
  for (const w of loaded.warnings) logger.warn({ path: w.path }, `config: ${w.message}`);
  const nodeToken = flags.nodeToken ?? loaded.config.general_settings?.master_key;
  if (nodeToken === undefined) {
    throw new Error(
      "set --node-token (SWITCHYARD_NODE_TOKEN) or general_settings.master_key: nodes need it to fetch snapshots",
    );
  }
  const channels = busChannels(flags.busPrefix);
  const bus = new RedisBus(flags.redis, { logger });
  await bus.start();
  const publisher = new SnapshotPublisher(bus, channels.snapshot, logger);
  // Other control planes may run beside this one: share the version sequence with them.
  const coordinator = new RedisChangeCoordinator(flags.redis, flags.busPrefix, logger);
  await coordinator.start();
  const databaseUrl = resolveDatabaseUrl(loaded.config.general_settings?.database_url);
  const cp = await ControlPlane.start({
    config: loaded.config,
    databaseUrl,
    logger,
    coordinator,
    onSnapshot: (snapshot, change, delta) => publisher.publish(snapshot, change, delta),
    onPeerSnapshot: (snapshot) => publisher.adopt(snapshot),
  });
  await publisher.listen((message) => cp.receivePeer(message));
  publisher.start();
  const nodes = new NodeRegistry(bus, channels.nodes, () => cp.snapshot().version);
  await nodes.start();
  cp.nodes = nodes;
  const server = new ControlPlaneServer(cp, {
    host: flags.host,
    port: Number(flags.port),
    nodeToken,
    graphiql: process.env.NODE_ENV !== "production",
    logger,
  });
  const port = await server.start();
  // Spend: this control plane joins the group that consumes the nodes' spend stream.
  const spendConsumer = new SpendStreamConsumer({
    redisUrl: flags.redis,
    stream: spendStreamKey(flags.busPrefix),
    consumer: flags.spendConsumer ?? `${hostname()}:${port}`,
    ingest: cp.spendIngest,
    logger,
    claimIdleMs: Number(flags.spendClaimIdleMs),
  });
  await spendConsumer.start();
  await cp.spendFeed.connect(bus, channels.spendUpdates);
  logger.info(
    {
      host: flags.host,
      port,
      database: redactDatabaseUrl(databaseUrl),
      version: cp.snapshot().version,
    },
    `Switchyard control plane listening on http://${flags.host}:${port} (GraphQL at /graphql)`,
  );
  return {
    port,
    stop: async () => {
      await spendConsumer.stop();
      await server.stop();
      publisher.stop();
      await nodes.stop();
      await cp.stop();
      await coordinator.stop();
      await bus.stop();
    },
  };
}
