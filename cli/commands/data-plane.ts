import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { type Command, Option } from "commander";
import { RedisBus } from "../../bus/redis-bus.js";
import { RedisStreamSink, spendStreamKey } from "../../data-plane/spend/redis-stream-sink.js";
import { HttpSnapshotSource } from "../../data-plane/sync/snapshot-source.js";
import { startDataPlaneNode } from "../data-plane-node.js";
import { createLogger } from "../logger.js";
import { runUntilSignal } from "../run-until-signal.js";
import { describeError } from "./fail.js";

interface DataPlaneFlags {
  port: string;
  host: string;
  controlPlane: string;
  redis: string;
  nodeToken?: string;
  nodeId?: string;
  busPrefix: string;
  spendSpool?: string;
}

/**
 * `switchyard data-plane`: one node serving `/v1` from the snapshot it fetches from the
 * control plane and keeps current from Redis. Run as many as needed behind a load balancer.
 */
export function registerDataPlaneCommand(program: Command): void {
  program
    .command("data-plane")
    .description(
      "run one data-plane node (distributed mode): serves /v1 from the control plane's snapshot",
    )
    .addOption(new Option("-p, --port <port>", "port to listen on").env("PORT").default("8000"))
    .addOption(new Option("--host <host>", "address to listen on").env("HOST").default("0.0.0.0"))
    .addOption(
      new Option("--control-plane <url>", "control plane base URL")
        .env("SWITCHYARD_CONTROL_PLANE_URL")
        .default("http://127.0.0.1:4000"),
    )
    .addOption(
      new Option("--redis <url>", "Redis URL").env("REDIS_URL").default("redis://127.0.0.1:6379"),
    )
    .addOption(
      new Option("--node-token <token>", "token to fetch snapshots from the control plane").env(
        "SWITCHYARD_NODE_TOKEN",
      ),
    )
    .addOption(
      new Option("--node-id <id>", "this node's name in `nodes` (default: host name + random)").env(
        "SWITCHYARD_NODE_ID",
      ),
    )
    .addOption(
      new Option("--bus-prefix <prefix>", "prefix of the Redis channels (to share a Redis)")
        .env("SWITCHYARD_BUS_PREFIX")
        .default(""),
    )
    .addOption(
      new Option(
        "--spend-spool <file>",
        "where spend events wait while Redis is unreachable (default: ./data/spend-spool-<node id>.jsonl)",
      ).env("SWITCHYARD_SPEND_SPOOL"),
    )
    .action(async (_flags: object, cmd: Command) => {
      const flags = cmd.opts<DataPlaneFlags>();
      const logger = createLogger();
      try {
        if (flags.nodeToken === undefined) {
          throw new Error(
            "set --node-token (SWITCHYARD_NODE_TOKEN): the control plane's node token",
          );
        }
        const nodeId = flags.nodeId ?? `${hostname()}-${randomBytes(3).toString("hex")}`;
        const bus = new RedisBus(flags.redis, { logger });
        await bus.start();
        // Spend goes to a Redis Stream; while Redis is down it waits here (memory, then disk).
        const spendSink = new RedisStreamSink({
          redisUrl: flags.redis,
          stream: spendStreamKey(flags.busPrefix),
          spoolFile: flags.spendSpool ?? `./data/spend-spool-${flags.nodeId ?? "node"}.jsonl`,
          logger,
        });
        await spendSink.start();
        const node = await startDataPlaneNode({
          host: flags.host,
          port: Number(flags.port),
          spendSink,
          nodeId,
          bus,
          busPrefix: flags.busPrefix,
          source: new HttpSnapshotSource(flags.controlPlane, flags.nodeToken),
          redisUrl: flags.redis,
          logger,
        });
        const { server } = node;
        logger.info(
          {
            nodeId,
            port: node.port,
            version: server.snapshotVersion,
            controlPlane: flags.controlPlane,
          },
          `Switchyard data-plane node listening on http://${flags.host}:${node.port}`,
        );
        runUntilSignal(
          logger,
          async () => {
            await node.stop();
            await bus.stop();
          },
          () => server.requestsInFlight,
        );
      } catch (err) {
        logger.fatal(describeError(err));
        process.stderr.write(`switchyard data-plane: ${describeError(err)}\n`);
        process.exit(1);
      }
    });
}
