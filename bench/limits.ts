// `npm run bench:limits`: what rate limits and budgets cost per request. One gateway (embedded
// mode), the mock upstream, and two callers taking turns: the master key (not rate limited)
// and a virtual key on which every limit and budget is on — key, user, team and organization
// budgets with windows, rpm/tpm/max_parallel_requests on key, user and team, a soft budget,
// and the gateway's global rpm/tpm and budget. The limits are far above the load, so every
// request is admitted and the two callers do the same upstream work; the difference in the
// gateway's CPU per request is what admitting, reserving and settling costs.
//
// Env: BENCH_SECONDS (measured seconds per caller, default 10), BENCH_CONNECTIONS (default 50).
// Writes the "#5 limits and budgets" section of bench/RESULTS.md.
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { request } from "undici";
import { cpuNs, cpuSource } from "./cpu.js";
import { killAllNow, stopAll } from "./children.js";
import { positiveNumber } from "./env.js";
import { combineRounds, type ThroughputResult, throughputRound, warmUp } from "./load.js";
import { machineLine, writeMarkedSection } from "./results-section.js";
import { buildGateway, startGateway, startMock } from "./targets.js";
import { CHAT_PATH, chatBody, MASTER_KEY, MODEL_NAME, requestHeaders } from "./workload.js";

const TARGET_EXTRA_CPU = 0.1;
/** Far above what the bench can send: every request is admitted. */
const HUGE_RPM = 100_000_000;
const HUGE_TPM = 10_000_000_000;
const HUGE_BUDGET = 1_000_000_000;

const tmpDir = mkdtempSync(join(os.tmpdir(), "switchyard-bench-limits-"));
process.on("exit", () => {
  killAllNow();
  rmSync(tmpDir, { recursive: true, force: true });
});

main().then(
  async (code) => {
    await stopAll();
    process.exit(code);
  },
  async (err: unknown) => {
    console.error(`\nbench:limits failed: ${err instanceof Error ? err.message : String(err)}`);
    await stopAll();
    process.exit(1);
  },
);

async function main(): Promise<number> {
  const seconds = positiveNumber("BENCH_SECONDS", 10);
  const connections = positiveNumber("BENCH_CONNECTIONS", 50);
  const rounds = Math.max(2, Math.min(5, Math.floor(seconds / 2)));
  const roundSeconds = seconds / rounds;
  const machine = machineLine();

  log("building (npm run build)…");
  buildGateway();
  const mock = await startMock();
  const gateway = await startGateway(mock, tmpDir, {
    // Priced, so that reservations and settlements are real amounts.
    modelInfo: ["input_cost_per_token: 0.000001", "output_cost_per_token: 0.000002"],
    generalSettings: [
      `global_max_rpm: ${HUGE_RPM}`,
      `global_max_tpm: ${HUGE_TPM}`,
      `max_budget: ${HUGE_BUDGET}`,
      "budget_duration: 30d",
    ],
  });
  const limitedKey = await createLimitedKey(gateway.origin);
  const limitedHeaders = { ...requestHeaders, authorization: `Bearer ${limitedKey}` };
  await assertLimitsApply(gateway.origin, limitedHeaders);

  const target = { origin: gateway.origin, pid: gateway.pid, mockPid: mock.pid };
  log(`warming up (${connections} connections)…`);
  await warmUp(target, connections, 2, requestHeaders);
  await warmUp(target, connections, 2, limitedHeaders);

  // Alternate which caller goes first, so that a drift in machine load hits both alike.
  const master: ThroughputResult[] = [];
  const limited: ThroughputResult[] = [];
  for (let i = 0; i < rounds; i++) {
    const order = i % 2 === 0 ? (["master", "limited"] as const) : (["limited", "master"] as const);
    for (const who of order) {
      log(`round ${i + 1}/${rounds}: ${who}`);
      const headers = who === "master" ? requestHeaders : limitedHeaders;
      const result = await throughputRound(target, connections, roundSeconds, headers);
      (who === "master" ? master : limited).push(result);
    }
  }
  const m = combineRounds(master);
  const l = combineRounds(limited);
  const failures = [m, l].filter((r) => r.failures > 0).map((r) => r.failureDetail);
  if (failures.length > 0) {
    console.error(`requests failed; RESULTS.md not written:\n  ${failures.join("\n  ")}`);
    return 1;
  }

  const perRequest = (r: ThroughputResult) => cpuNs(r.cpu) / r.requests / 1000;
  const extra = perRequest(l) / perRequest(m) - 1;
  const roundRatios = limited.map((r, i) => perRequest(r) / perRequest(master[i]!) - 1);
  const met = extra <= TARGET_EXTRA_CPU;
  const row = (name: string, r: ThroughputResult) =>
    `| ${name} | ${r.requests} | ${r.reqPerSec.toFixed(0)} | ${perRequest(r).toFixed(1)} | ${r.latencyP50Ms} | ${r.latencyP99Ms} |`;
  const table = [
    "| caller | requests | req/s | gateway CPU µs/request | p50 ms | p99 ms |",
    "|---|---:|---:|---:|---:|---:|",
    row("master key (not limited)", m),
    row("key with every limit and budget", l),
  ].join("\n");
  const verdict = `Limits and budgets add **${pct(extra)}** CPU per request (per round: ${roundRatios.map(pct).join(", ")}); target ≤ ${pct(TARGET_EXTRA_CPU)}: **${met ? "met" : "missed"}**.`;
  console.log(`\n${table}\n\n${verdict}\n`);

  const path = writeMarkedSection(
    "limits",
    [
      "## #5 limits and budgets: CPU per request",
      "",
      `Written by \`npm run bench:limits\` on ${new Date().toISOString().slice(0, 10)}; ${machine}.`,
      "",
      `How: one gateway in embedded mode (limits counted in memory on the node) in front of the mock upstream, ${connections} connections, ${rounds} rounds of ${roundSeconds.toFixed(1)} s per caller, callers alternating (and which goes first alternating). The limited caller is a virtual key with max_budget + soft_budget + budget_duration, rpm_limit, tpm_limit and max_parallel_requests, belonging to a user and a team that have the same, the team to an organization with a budget; the gateway has global_max_rpm, global_max_tpm and a global max_budget with budget_duration. Every limit is far above the load, so every request is admitted, reserved at its worst-case cost and settled to its real cost (the model is priced through model_info). The master key is not rate limited (its spend still counts toward the global budget). CPU is the gateway process's (${cpuSource}) divided by the requests completed.`,
      "",
      table,
      "",
      verdict,
      "",
      "In a cluster the same per-request work runs on each node; the counters' Redis sync is one pipelined round-trip every 20 ms per node for the counters touched since the last one, not per request.",
    ].join("\n"),
  );
  log(`wrote ${path}`);
  return 0;
}

/** An organization, team, user and key with every limit and budget on; returns the key. */
async function createLimitedKey(origin: string): Promise<string> {
  const limits = {
    rpm_limit: HUGE_RPM,
    tpm_limit: HUGE_TPM,
    max_parallel_requests: 100_000,
    max_budget: HUGE_BUDGET,
    budget_duration: "30d",
  };
  await graphql(
    origin,
    `mutation { createOrganization(input: { organizationId: "bench-org", organizationAlias: "bench-org", maxBudget: ${HUGE_BUDGET}, budgetDuration: "30d" }) { __typename ... on Error { message } } }`,
  );
  await admin(origin, "/team/new", {
    team_id: "bench-team",
    organization_id: "bench-org",
    ...limits,
  });
  await admin(origin, "/user/new", { user_id: "bench-user", ...limits });
  const key = await admin(origin, "/key/generate", {
    user_id: "bench-user",
    team_id: "bench-team",
    models: [MODEL_NAME],
    soft_budget: HUGE_BUDGET / 2,
    ...limits,
  });
  if (typeof key.key !== "string") throw new Error("/key/generate returned no key");
  return key.key;
}

/** The limited key must really be limited: rate-limit headers and a priced answer. */
async function assertLimitsApply(origin: string, headers: Record<string, string>): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const res = await request(`${origin}${CHAT_PATH}`, { method: "POST", headers, body: chatBody });
    await res.body.text();
    if (res.statusCode === 200) {
      const limitHeader = res.headers["x-ratelimit-limit-requests"];
      const cost = Number(res.headers["x-switchyard-response-cost"]);
      if (limitHeader === undefined) throw new Error("limited key answered without x-ratelimit-*");
      if (!(cost > 0)) throw new Error("limited key's answer has no cost: the model is unpriced");
      return;
    }
    if (Date.now() > deadline) throw new Error(`limited key refused: HTTP ${res.statusCode}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function admin(origin: string, path: string, body: object): Promise<Record<string, unknown>> {
  const res = await request(`${origin}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${MASTER_KEY}` },
    body: JSON.stringify(body),
  });
  const text = await res.body.text();
  if (res.statusCode !== 200) throw new Error(`${path}: HTTP ${res.statusCode} ${text}`);
  return JSON.parse(text) as Record<string, unknown>;
}

async function graphql(origin: string, query: string): Promise<void> {
  const res = await request(`${origin}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${MASTER_KEY}` },
    body: JSON.stringify({ query }),
  });
  const answer = (await res.body.json()) as {
    data?: Record<string, { message?: string }>;
    errors?: { message: string }[];
  };
  // Refusals are typed results (`... on Error`), not top-level errors.
  const refused = Object.values(answer.data ?? {}).find((r) => r.message !== undefined);
  if (res.statusCode !== 200 || answer.errors !== undefined || refused !== undefined) {
    throw new Error(
      `graphql: HTTP ${res.statusCode} ${refused?.message ?? JSON.stringify(answer.errors ?? [])}`,
    );
  }
}

function pct(x: number): string {
  return `${x >= 0 ? "+" : ""}${(x * 100).toFixed(1)}%`;
}

function log(message: string): void {
  process.stderr.write(`${message}\n`);
}
