// Throughput: autocannon at fixed concurrency, in rounds, with the target's CPU time read
// before and after each round so it can be divided by the requests that completed.
import autocannon, { type Result } from "autocannon";
import { type CpuUsed, cpuBetween, readCpu } from "./cpu.js";
import { CHAT_PATH, chatBody, requestHeaders } from "./workload.js";

export interface ThroughputResult {
  rounds: number;
  requests: number;
  seconds: number;
  reqPerSec: number;
  /** Median over the rounds of autocannon's percentiles (whole milliseconds). */
  latencyP50Ms: number;
  latencyP99Ms: number;
  /** non-2xx responses + connection errors + timeouts. */
  failures: number;
  failureDetail: string;
  cpu: CpuUsed;
  /** CPU of the upstream mock over the same windows (a constant, as a noise check). */
  mockCpu: CpuUsed;
  /** CPU of the load generator (this process) over the same windows, in ns. */
  loadGeneratorNs: number;
}

export interface ThroughputTarget {
  origin: string;
  /** The process whose CPU is charged to the target. */
  pid: number;
  /** The upstream mock's process. */
  mockPid: number;
}

/** Load without measuring, so that connections are open and the code is compiled. */
export async function warmUp(
  target: ThroughputTarget,
  connections: number,
  seconds: number,
  headers: Record<string, string> = requestHeaders,
) {
  if (seconds > 0) await load(target.origin, connections, seconds, headers);
}

/** One measured round; combine the rounds of a target with `combineRounds`. */
export async function throughputRound(
  target: ThroughputTarget,
  connections: number,
  seconds: number,
  /** The request's headers (the master key's by default). */
  headers: Record<string, string> = requestHeaders,
): Promise<ThroughputResult> {
  const before = readCpu(target.pid);
  const mockBefore = readCpu(target.mockPid);
  const selfBefore = process.cpuUsage();
  const result = await load(target.origin, connections, seconds, headers);
  const cpu = cpuBetween(before, readCpu(target.pid));
  const mockCpu = cpuBetween(mockBefore, readCpu(target.mockPid));
  const self = process.cpuUsage(selfBefore);

  const codes = Object.entries(result.statusCodeStats)
    .map(([code, { count }]) => `${code}×${count}`)
    .join(" ");
  return {
    rounds: 1,
    requests: result.requests.total,
    seconds: result.duration,
    reqPerSec: result.requests.total / result.duration,
    latencyP50Ms: result.latency.p50,
    latencyP99Ms: result.latency.p99,
    failures: result.non2xx + result.errors + result.timeouts,
    failureDetail: `non2xx ${result.non2xx}, errors ${result.errors}, timeouts ${result.timeouts}; status ${codes}`,
    cpu,
    mockCpu,
    loadGeneratorNs: (self.user + self.system) * 1e3,
  };
}

/** Totals over rounds: requests and CPU add up, latency percentiles take the median round. */
export function combineRounds(rounds: ThroughputResult[]): ThroughputResult {
  const requests = sum(rounds, (r) => r.requests);
  const seconds = sum(rounds, (r) => r.seconds);
  const failed = rounds.filter((r) => r.failures > 0);
  return {
    rounds: rounds.length,
    requests,
    seconds,
    reqPerSec: requests / seconds,
    latencyP50Ms: median(rounds.map((r) => r.latencyP50Ms)),
    latencyP99Ms: median(rounds.map((r) => r.latencyP99Ms)),
    failures: sum(rounds, (r) => r.failures),
    failureDetail: failed.map((r) => r.failureDetail).join(" | "),
    cpu: sumCpu(rounds.map((r) => r.cpu)),
    mockCpu: sumCpu(rounds.map((r) => r.mockCpu)),
    loadGeneratorNs: sum(rounds, (r) => r.loadGeneratorNs),
  };
}

function load(
  origin: string,
  connections: number,
  seconds: number,
  headers: Record<string, string>,
): Promise<Result> {
  return autocannon({
    url: `${origin}${CHAT_PATH}`,
    method: "POST",
    headers,
    body: chatBody,
    connections,
    pipelining: 1,
    duration: seconds,
    timeout: 10,
  });
}

function sumCpu(used: CpuUsed[]): CpuUsed {
  const sched = used.map((u) => u.schedNs);
  return {
    schedNs: sched.some((s) => s === undefined) ? undefined : sum(sched, (s) => s ?? 0),
    statNs: sum(used, (u) => u.statNs),
    statSysNs: sum(used, (u) => u.statSysNs),
  };
}

function sum<T>(items: T[], value: (item: T) => number): number {
  let total = 0;
  for (const item of items) total += value(item);
  return total;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
