// Distributed mode on loopback: one control plane and N data-plane nodes, each its own
// `node --import tsx cli/main.ts …` process, talking over a Redis bus under a random
// channel prefix. Children are registered with children.ts, so stopAll()/killAllNow() end them.
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { request } from "undici";
import { type Child, freePort, spawnChild, waitForHttpOk } from "./children.js";
import { MASTER_KEY, MODEL_NAME } from "./workload.js";

export const HOST = "127.0.0.1";

export interface ClusterOptions {
  tmpDir: string;
  databaseUrl: string;
  redisUrl: string;
  nodes: number;
  startTimeoutMs: number;
}

export interface ClusterProcess {
  name: string;
  origin: string;
  child: Child;
}

export interface Cluster {
  controlPlane: ClusterProcess;
  nodes: ClusterProcess[];
  nodeToken: string;
  busPrefix: string;
}

const repoRoot = fileURLToPath(new URL("..", import.meta.url));
const cliEntry = join(repoRoot, "cli", "main.ts");

export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const nodeToken = `nt-${randomBytes(12).toString("hex")}`;
  const busPrefix = `bench-${randomBytes(6).toString("hex")}:`;
  const configPath = join(options.tmpDir, "control-plane.yaml");
  writeFileSync(configPath, clusterConfig());
  const env = { ...process.env, DATABASE_URL: options.databaseUrl, SWITCHYARD_LOG_LEVEL: "warn" };
  const bus = ["--redis", options.redisUrl, "--node-token", nodeToken, "--bus-prefix", busPrefix];

  const cpPort = await freePort(HOST);
  const controlPlane = spawnCli(
    "control plane",
    ["control-plane", "--config", configPath, "--port", String(cpPort), "--host", HOST, ...bus],
    env,
    cpPort,
  );
  await waitForHttpOk(
    controlPlane.child,
    `${controlPlane.origin}/health/readiness`,
    options.startTimeoutMs,
  );

  const nodes: ClusterProcess[] = [];
  for (let i = 1; i <= options.nodes; i++) {
    const port = await freePort(HOST);
    const args = ["data-plane", "--port", String(port), "--host", HOST];
    args.push("--control-plane", controlPlane.origin, ...bus, "--node-id", `bench-node-${i}`);
    nodes.push(spawnCli(`data-plane node ${i}`, args, env, port));
  }
  // A node listens only once it has subscribed and applied its first snapshot.
  await Promise.all(
    nodes.map((n) =>
      waitForHttpOk(n.child, `${n.origin}/health/liveliness`, options.startTimeoutMs),
    ),
  );
  return { controlPlane, nodes, nodeToken, busPrefix };
}

/** The snapshot version a process reports in `/health/readiness`. */
export async function snapshotVersion(origin: string): Promise<number> {
  const res = await request(`${origin}/health/readiness`, {
    headersTimeout: 5_000,
    bodyTimeout: 5_000,
  });
  const body = (await res.body.json()) as { snapshot?: { version?: number } };
  const version = body.snapshot?.version;
  if (typeof version !== "number") throw new Error(`${origin}: no snapshot version in readiness`);
  return version;
}

function spawnCli(
  name: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  port: number,
): ClusterProcess {
  // cwd is the repository, where `--import tsx` resolves; DATABASE_URL keeps writes in tmpDir.
  const child = spawnChild(name, process.execPath, ["--import", "tsx", cliEntry, ...args], {
    cwd: repoRoot,
    env,
  });
  return { name, origin: `http://${HOST}:${port}`, child };
}

function clusterConfig(): string {
  return [
    "model_list:",
    `  - model_name: ${MODEL_NAME}`,
    "    litellm_params:",
    `      model: mock/${MODEL_NAME}`,
    "general_settings:",
    `  master_key: ${MASTER_KEY}`,
    "",
  ].join("\n");
}
