// The three things measured: the mock upstream itself ("direct"), the floor passthrough and
// the Switchyard gateway, each in its own process.
import { spawnSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Child, freePort, spawnChild, waitForHttpOk, waitForListening } from "./children.js";
import { MASTER_KEY, MODEL_NAME, UPSTREAM_KEY } from "./workload.js";

export const TARGET_NAMES = ["direct", "floor", "switchyard"] as const;
export type TargetName = (typeof TARGET_NAMES)[number];

export interface Target {
  name: TargetName;
  origin: string;
  /** The process whose CPU is charged to this target. */
  pid: number;
}

const HOST = "127.0.0.1";
const START_TIMEOUT_MS = 30_000;
const repoRoot = fileURLToPath(new URL("..", import.meta.url));
const gatewayEntry = join(repoRoot, "dist", "cli", "main.js");

export async function startMock(): Promise<Target> {
  const child = spawnTsChild("mock upstream", "mock-upstream.ts", {});
  const port = await waitForListening(child, START_TIMEOUT_MS);
  return { name: "direct", origin: `http://${HOST}:${port}`, pid: child.pid };
}

export async function startFloor(mock: Target): Promise<Target> {
  const child = spawnTsChild("floor passthrough", "floor-passthrough.ts", {
    UPSTREAM_URL: mock.origin,
  });
  const port = await waitForListening(child, START_TIMEOUT_MS);
  return { name: "floor", origin: `http://${HOST}:${port}`, pid: child.pid };
}

/** Runs `npm run build` once; throws with the compiler output if it fails. */
export function buildGateway(): void {
  const build = spawnSync("npm", ["run", "build"], { cwd: repoRoot, encoding: "utf8" });
  if (build.status !== 0) {
    const output = `${build.stdout ?? ""}${build.stderr ?? ""}`.trim().split("\n").slice(-30);
    throw new Error(
      `switchyard: \`npm run build\` failed (exit ${build.status})\n${output.join("\n")}`,
    );
  }
  if (!existsSync(gatewayEntry)) throw new Error(`switchyard: build did not emit ${gatewayEntry}`);
}

/** YAML lines added to the bench config: more model_info, more general_settings. */
export interface GatewayExtras {
  modelInfo?: string[];
  generalSettings?: string[];
}

export async function startGateway(
  mock: Target,
  tmpDir: string,
  extras: GatewayExtras = {},
): Promise<Target> {
  return startGatewayWithConfig(gatewayConfig(mock.origin, extras), tmpDir);
}

/** The built gateway (embedded mode) on a free port, reading `configYaml`. */
export async function startGatewayWithConfig(configYaml: string, tmpDir: string): Promise<Target> {
  const configPath = join(tmpDir, "switchyard-bench.yaml");
  writeFileSync(configPath, configYaml);
  const port = await freePort(HOST);
  // cwd is the temp dir, so whatever the gateway writes next to itself is removed with it.
  const child = spawnChild(
    "switchyard",
    process.execPath,
    [gatewayEntry, "--config", configPath, "--port", String(port), "--host", HOST],
    { cwd: tmpDir },
  );
  const origin = `http://${HOST}:${port}`;
  await waitForHttpOk(child, `${origin}/health/liveliness`, START_TIMEOUT_MS);
  return { name: "switchyard", origin, pid: child.pid };
}

function gatewayConfig(mockOrigin: string, extras: GatewayExtras): string {
  const modelInfo = extras.modelInfo ?? [];
  return [
    "model_list:",
    `  - model_name: ${MODEL_NAME}`,
    "    litellm_params:",
    `      model: openai/${MODEL_NAME}`,
    `      api_base: ${mockOrigin}/v1`,
    `      api_key: ${UPSTREAM_KEY}`,
    ...(modelInfo.length > 0 ? ["    model_info:", ...modelInfo.map((l) => `      ${l}`)] : []),
    "general_settings:",
    `  master_key: ${MASTER_KEY}`,
    ...(extras.generalSettings ?? []).map((l) => `  ${l}`),
    "",
  ].join("\n");
}

function spawnTsChild(name: string, file: string, env: NodeJS.ProcessEnv): Child {
  return spawnChild(name, process.execPath, ["--import", "tsx", join(repoRoot, "bench", file)], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    ipc: true,
  });
}
