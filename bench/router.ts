// The router's cost (#7):
// 1. µs per pick among 1,000 deployments of one group, for each routing strategy (one
//    process, no network: Router.pick called directly);
// 2. gateway CPU per request for a routed group (several deployments, retries, fallbacks,
//    cooldowns configured) against a single-deployment group, same gateway process, same
//    mock upstream, interleaved rounds.
//
//   npm run bench:router            print the numbers
//   npm run bench:router -- --write also replace the "#7 router" section of bench/RESULTS.md
//   npm run bench:router -- --picks only the selection part
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";
import { pino } from "pino";
import { buildSnapshotFromConfig } from "../control-plane/snapshot/build-from-config.js";
import { Router } from "../data-plane/router/router.js";
import { IndexedSnapshot } from "../data-plane/snapshot/indexed-snapshot.js";
import { ConfigSchema } from "../schema/config.js";
import {
  DEFAULT_ROUTER_SETTINGS,
  ROUTING_STRATEGIES,
  type RoutingStrategy,
} from "../schema/snapshot.js";
import { stopAll } from "./children.js";
import { cpuBetween, cpuNs, cpuSource, readCpu } from "./cpu.js";
import { machineLine, writeMarkedSection } from "./results-section.js";
import { buildGateway, startGatewayWithConfig, startMock } from "./targets.js";
import { CHAT_PATH, MASTER_KEY, UPSTREAM_KEY } from "./workload.js";

const DEPLOYMENTS = 1_000;
const PICK_WARMUP = 20_000;
const PICK_ITERATIONS = 200_000;
const PICK_ROUNDS = 5;
const TARGET_PICK_US = 5;
const TARGET_CPU_PERCENT = 5;
const E2E_ROUNDS = 6;
const E2E_SECONDS = 5;
const CONNECTIONS = 32;
const ROUTED_DEPLOYMENTS = 5;

interface PickRow {
  name: string;
  medianUs: number;
  minUs: number;
}

function pickBench(strategy: RoutingStrategy, limited: boolean): PickRow {
  const models = ["gpt-4o", "gpt-4o-mini", "gpt-4.1-mini", "gpt-4.1-nano"];
  const config = ConfigSchema.parse({
    model_list: Array.from({ length: DEPLOYMENTS }, (_, i) => ({
      model_name: "big",
      litellm_params: {
        model: `openai/${models[i % models.length]}`,
        api_key: "k",
        ...(limited ? { rpm: 1e12, tpm: 1e12, max_parallel_requests: 1e9 } : {}),
      },
      model_info: { id: `d${i}` },
    })),
    router_settings: { routing_strategy: strategy },
  });
  const snapshot = new IndexedSnapshot(buildSnapshotFromConfig(config));
  const group = snapshot.groups.get("big")!;
  const settings = snapshot.settings.router ?? DEFAULT_ROUTER_SETTINGS;
  const router = new Router(pino({ level: "silent" }));
  // Every deployment has latency numbers and a few requests in flight, so no strategy can
  // stop at the first idle one: each compares them all.
  group.deployments.forEach((d, i) => {
    router.loadOf(d.id).recordLatency(100 + Math.random() * 50);
    router.loadOf(d.id).inFlight = 1 + (i % 7);
  });
  let sink = 0;
  for (let i = 0; i < PICK_WARMUP; i++)
    sink += router.pick(group, settings, undefined, undefined)!.weight;
  const rounds: number[] = [];
  for (let r = 0; r < PICK_ROUNDS; r++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < PICK_ITERATIONS; i++) {
      sink += router.pick(group, settings, undefined, undefined)!.weight;
    }
    rounds.push(Number(process.hrtime.bigint() - start) / 1e3 / PICK_ITERATIONS);
  }
  if (sink < 0) console.log(sink);
  rounds.sort((a, b) => a - b);
  return {
    name: `${strategy}${limited ? " (rpm/tpm/max_parallel_requests set)" : ""}`,
    medianUs: rounds[PICK_ROUNDS >> 1]!,
    minUs: rounds[0]!,
  };
}

interface CpuRow {
  name: string;
  requests: number;
  cpuUsPerRequest: number;
  reqPerSec: number;
  failures: number;
}

function gatewayConfig(mockOrigin: string): string {
  const entry = (name: string, id: string) =>
    [
      `  - model_name: ${name}`,
      "    litellm_params:",
      "      model: openai/bench-model",
      `      api_base: ${mockOrigin}/v1`,
      `      api_key: ${UPSTREAM_KEY}`,
      "    model_info:",
      `      id: ${id}`,
    ].join("\n");
  return [
    "model_list:",
    entry("single", "single-0"),
    ...Array.from({ length: ROUTED_DEPLOYMENTS }, (_, i) => entry("routed", `routed-${i}`)),
    entry("routed-fallback", "routed-fallback-0"),
    "router_settings:",
    "  num_retries: 2",
    "  retry_policy: { RateLimitErrorRetries: 3, AuthenticationErrorRetries: 0 }",
    "  fallbacks: [{ routed: [routed-fallback] }]",
    "  context_window_fallbacks: [{ routed: [routed-fallback] }]",
    "  allowed_fails: 3",
    "  cooldown_time: 30",
    "general_settings:",
    `  master_key: ${MASTER_KEY}`,
    "",
  ].join("\n");
}

async function cpuRound(origin: string, pid: number, model: string): Promise<CpuRow> {
  const before = readCpu(pid);
  const result = await autocannon({
    url: `${origin}${CHAT_PATH}`,
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${MASTER_KEY}` },
    body: JSON.stringify({
      model,
      messages: [{ role: "user", content: "Say hello to the benchmark" }],
    }),
    connections: CONNECTIONS,
    pipelining: 1,
    duration: E2E_SECONDS,
    timeout: 10,
  });
  const used = cpuNs(cpuBetween(before, readCpu(pid)));
  const requests = result.requests.total;
  return {
    name: model,
    requests,
    cpuUsPerRequest: used / 1e3 / requests,
    reqPerSec: requests / result.duration,
    failures: result.non2xx + result.errors + result.timeouts,
  };
}

async function e2eBench(): Promise<{ single: CpuRow; routed: CpuRow }> {
  buildGateway();
  const mock = await startMock();
  const dir = mkdtempSync(join(tmpdir(), "switchyard-router-bench-"));
  try {
    const { origin, pid } = await startGatewayWithConfig(gatewayConfig(mock.origin), dir);
    // Warm both paths up.
    await cpuRound(origin, pid, "single");
    await cpuRound(origin, pid, "routed");
    const single: CpuRow[] = [];
    const routed: CpuRow[] = [];
    for (let r = 0; r < E2E_ROUNDS; r++) {
      single.push(await cpuRound(origin, pid, "single"));
      routed.push(await cpuRound(origin, pid, "routed"));
    }
    return { single: combine("single", single), routed: combine("routed", routed) };
  } finally {
    await stopAll();
    rmSync(dir, { recursive: true, force: true });
  }
}

function combine(name: string, rows: CpuRow[]): CpuRow {
  const requests = rows.reduce((s, r) => s + r.requests, 0);
  const cpuUs = rows.reduce((s, r) => s + r.cpuUsPerRequest * r.requests, 0);
  return {
    name,
    requests,
    cpuUsPerRequest: cpuUs / requests,
    reqPerSec: rows.reduce((s, r) => s + r.reqPerSec, 0) / rows.length,
    failures: rows.reduce((s, r) => s + r.failures, 0),
  };
}

async function main(): Promise<void> {
  const machine = machineLine();
  const picks: PickRow[] = [];
  for (const strategy of ROUTING_STRATEGIES) picks.push(pickBench(strategy, false));
  picks.push(pickBench("simple-shuffle", true));
  picks.push(pickBench("least-busy", true));
  const pickTable = [
    "| strategy | µs per pick (median) | min | target ≤ 5 µs |",
    "| --- | ---: | ---: | --- |",
    ...picks.map(
      (p) =>
        `| ${p.name} | ${p.medianUs.toFixed(2)} | ${p.minUs.toFixed(2)} | ${p.medianUs <= TARGET_PICK_US ? "met" : "**missed**"} |`,
    ),
  ].join("\n");
  console.log(pickTable);
  if (process.argv.includes("--picks")) return;

  const { single, routed } = await e2eBench();
  const extra = (routed.cpuUsPerRequest / single.cpuUsPerRequest - 1) * 100;
  const cpuTable = [
    "| group | requests | gateway CPU µs / request | req/s | failures |",
    "| --- | ---: | ---: | ---: | ---: |",
    ...[single, routed].map(
      (r) =>
        `| ${r.name} | ${r.requests} | ${r.cpuUsPerRequest.toFixed(1)} | ${r.reqPerSec.toFixed(0)} | ${r.failures} |`,
    ),
  ].join("\n");
  const verdict = `Routed over single: ${extra >= 0 ? "+" : ""}${extra.toFixed(1)}% CPU per request (target ≤ ${TARGET_CPU_PERCENT}%: ${extra <= TARGET_CPU_PERCENT ? "met" : "**missed**"}).`;
  console.log(`\n${cpuTable}\n\n${verdict}`);

  if (process.argv.includes("--write")) {
    const path = writeMarkedSection(
      "router",
      [
        "## #7 router: deployment selection and routing overhead",
        "",
        `Written by \`npm run bench:router -- --write\` on ${new Date().toISOString().slice(0, 10)}; ${machine}.`,
        "",
        `Selection: \`Router.pick\` among ${DEPLOYMENTS} deployments of one group (four OpenAI models, so cost-based has prices to compare; latency-based with a latency sample on each), called directly in one process. ${PICK_WARMUP} warm-up picks, then ${PICK_ROUNDS} rounds of ${PICK_ITERATIONS}, each timed with \`process.hrtime.bigint()\`; median and min of the rounds. A pick scans the group (every strategy is O(n) with no allocation), so the cost grows with the group's size; 1,000 is the issue's case.`,
        "",
        pickTable,
        "",
        `End to end: one gateway process (built \`dist/\`, embedded mode) in front of the bench mock upstream; \`single\` is a group of one deployment, \`routed\` a group of ${ROUTED_DEPLOYMENTS} with num_retries, retry_policy, fallbacks, context_window_fallbacks, allowed_fails and cooldown_time set (no failures happen: this is the cost of routing itself). ${E2E_ROUNDS} interleaved rounds of ${E2E_SECONDS} s each at ${CONNECTIONS} connections after one warm-up round of each; CPU of the gateway process from ${cpuSource}.`,
        "",
        cpuTable,
        "",
        verdict,
        "",
        "Numbers are from a shared machine; expect run-to-run noise of a few percent in the end-to-end figures.",
      ].join("\n"),
    );
    console.log(`\nwrote ${path}`);
  }
}

await main();
