// Turns the measurements into a console table and bench/RESULTS.md.
import { readFileSync } from "node:fs";
import os from "node:os";
import { cpuNs, cpuSource } from "./cpu.js";
import type { Plan, TargetResult } from "./measure.js";
import type { LatencySummary } from "./stats.js";
import type { TargetName } from "./targets.js";

export interface RunInfo extends Plan {
  date: Date;
  loadAverage: number[];
}

export interface Ratio {
  label: string;
  value: number;
  unit: string;
  target: number;
}

export function ratios(results: TargetResult[]): Ratio[] {
  const direct = find(results, "direct");
  const floor = find(results, "floor");
  const gateway = find(results, "switchyard");
  if (direct === undefined || gateway === undefined) return [];
  const out: Ratio[] = [];
  if (floor !== undefined) {
    out.push({
      label: "Switchyard CPU/request ÷ floor CPU/request",
      value: cpuUsPerRequest(gateway) / cpuUsPerRequest(floor),
      unit: "×",
      target: 1.5,
    });
    out.push({
      label: "Switchyard added latency c=1 (p50) ÷ floor added latency c=1 (p50)",
      value:
        added(gateway.sequential, direct.sequential).p50Us /
        added(floor.sequential, direct.sequential).p50Us,
      unit: "×",
      target: 1.5,
    });
  }
  out.push({
    label: "Switchyard streamed TTFT added, p50",
    value: added(gateway.ttft, direct.ttft).p50Us / 1e3,
    unit: "ms",
    target: 1,
  });
  return out;
}

export function consoleReport(results: TargetResult[]): string {
  const lines = [
    ...textTable(throughputTable(results)),
    "",
    ...textTable(latencyTable(results)),
    "",
    ...ratios(results).map(
      (r) => `${r.label}: ${fmt(r.value, 2)} ${r.unit} (target ≤ ${r.target}: ${verdict(r)})`,
    ),
  ];
  return lines.join("\n");
}

export function markdownReport(results: TargetResult[], info: RunInfo): string {
  const measured = results.map((r) => r.name).join(", ");
  const ratioRows = ratios(results).map(
    (r) =>
      `| ${r.label} | ${fmt(r.value, 2)} ${r.unit} | ≤ ${r.target} ${r.unit} | ${verdict(r)} |`,
  );
  return [
    "# Switchyard benchmark results",
    "",
    `One run of \`npm run bench\` on ${info.date.toISOString()}. Targets measured: ${measured}.`,
    "",
    "**Read with care:** this is a single run on a shared, noisy 2-core machine. The load",
    "generator (autocannon / the undici loops, in the harness process), the target proxy and the",
    "mock upstream all share the same 2 cores, so the load generator competes with what it",
    "measures and throughput is bounded by that, not by the proxy alone. Ratios between targets",
    "measured the same way are more meaningful than the absolute numbers.",
    "",
    "## Machine",
    "",
    `- CPUs (nproc): ${os.availableParallelism()}, ${cpuModel()}`,
    `- Node ${process.version}, Linux ${os.release()}`,
    `- load average at start: ${info.loadAverage.map((l) => l.toFixed(2)).join(", ")}`,
    "",
    "## Targets judged",
    "",
    "| figure | value | target | met |",
    "|---|---|---|---|",
    ...(ratioRows.length > 0 ? ratioRows : ["| (switchyard not measured) | | | |"]),
    "",
    "## Throughput and CPU",
    "",
    ...markdownTable(throughputTable(results)),
    "",
    "## Latency (concurrency 1) and streamed time to first token",
    "",
    ...markdownTable(latencyTable(results)),
    "",
    "## How each figure was measured",
    "",
    "- **Targets.** *direct*: the mock upstream itself. *floor*: a bare uWS → undici `Pool`",
    "  passthrough (bench/floor-passthrough.ts; 128 connections, pipelining 1, body buffered",
    "  for JSON, streamed with backpressure for SSE), the least this stack can do. *switchyard*:",
    "  `node dist/cli/main.js` with a one-model config and a master key, built by `npm run build`",
    "  from the working tree at the start of the run. Each runs in its own",
    "  process; every request goes over loopback (127.0.0.1) to `POST /v1/chat/completions`.",
    "- **Mock upstream** (bench/mock-upstream.ts): uWS, reads the whole body, answers a fixed",
    "  chat.completion (with usage) at once; streamed: first chunk written at once, then 19",
    "  more content chunks, a finish chunk, the usage chunk and `data: [DONE]` on the next tick.",
    `- **Rounds.** Each phase gives every target ${info.seconds} s, split into ${info.rounds} ` +
      `round(s) of ${fmt(info.seconds / info.rounds, 1)} s; within a round the targets take turns ` +
      "in rotating order, so a noisy stretch of the shared machine hits all of them alike.",
    `- **Throughput**: autocannon in the harness process, ${info.connections} connections, ` +
      `pipelining 1, non-streamed requests, after a ${info.throughputWarmupSeconds} s warm-up per ` +
      "target. req/s = completed requests ÷ elapsed, over all rounds. Latency p50/p99: autocannon's " +
      "(whole milliseconds), median over the rounds. Failures = non-2xx + connection errors + " +
      "timeouts.",
    "- **CPU µs/request**: CPU time of the target's process tree (all threads) during its " +
      "throughput rounds ÷ the requests completed in them. Source: " +
      `${cpuSource}; cross-checked against utime+stime from /proc/<pid>/stat (whole clock ` +
      "ticks, 10 ms; the *stat* column; *kernel %* is the stime share). For *direct* it is the " +
      "mock's CPU. *mock µs/req* is the mock's CPU over the same rounds, the same work for every " +
      "target, so its spread shows the noise; *loadgen µs/req* is the harness process " +
      "(autocannon) over the same rounds: the CPU the load generator takes from the 2 cores.",
    "- **Latency c=1**: one kept-alive undici `Client` per target, one request at a time, after a " +
      `${info.latencyWarmupSeconds} s warm-up; each sample is send → whole body read, in ns ` +
      "(process.hrtime.bigint). *added* = target − direct at the same percentile (a difference " +
      "of percentiles).",
    '- **TTFT**: the same loop with `"stream": true, "stream_options": {"include_usage": true}`; ' +
      "each sample is send → first body chunk containing `data:`; the rest of the stream is read " +
      "before the next request. *added* = target − direct at the same percentile.",
    "",
  ].join("\n");
}

function throughputTable(results: TargetResult[]): string[][] {
  const header = [
    "target",
    "req/s",
    "p50 ms",
    "p99 ms",
    "failures",
    "CPU µs/req",
    "stat µs/req",
    "kernel %",
    "mock µs/req",
    "loadgen µs/req",
  ];
  const rows = results.map((r) => {
    const t = r.throughput;
    return [
      r.name,
      fmt(t.reqPerSec, 0),
      fmt(t.latencyP50Ms, 0),
      fmt(t.latencyP99Ms, 0),
      String(t.failures),
      fmt(cpuUsPerRequest(r), 1),
      fmt(t.cpu.statNs / t.requests / 1e3, 1),
      fmt((100 * t.cpu.statSysNs) / t.cpu.statNs, 0),
      fmt(cpuNs(t.mockCpu) / t.requests / 1e3, 1),
      fmt(t.loadGeneratorNs / t.requests / 1e3, 1),
    ];
  });
  return [header, ...rows];
}

function latencyTable(results: TargetResult[]): string[][] {
  const direct = find(results, "direct");
  const header = [
    "target",
    "c=1 p50 µs",
    "c=1 p99 µs",
    "added p50 µs",
    "added p99 µs",
    "TTFT p50 µs",
    "TTFT p99 µs",
    "TTFT added p50 µs",
    "TTFT added p99 µs",
  ];
  const rows = results.map((r) => {
    const baseline = direct === undefined || r === direct ? undefined : direct;
    const seqAdded = baseline === undefined ? undefined : added(r.sequential, baseline.sequential);
    const ttftAdded = baseline === undefined ? undefined : added(r.ttft, baseline.ttft);
    return [
      r.name,
      fmt(r.sequential.p50Us, 0),
      fmt(r.sequential.p99Us, 0),
      fmt(seqAdded?.p50Us, 0),
      fmt(seqAdded?.p99Us, 0),
      fmt(r.ttft.p50Us, 0),
      fmt(r.ttft.p99Us, 0),
      fmt(ttftAdded?.p50Us, 0),
      fmt(ttftAdded?.p99Us, 0),
    ];
  });
  return [header, ...rows];
}

function cpuUsPerRequest(r: TargetResult): number {
  return cpuNs(r.throughput.cpu) / r.throughput.requests / 1e3;
}

function added(target: LatencySummary, direct: LatencySummary): { p50Us: number; p99Us: number } {
  return { p50Us: target.p50Us - direct.p50Us, p99Us: target.p99Us - direct.p99Us };
}

function find(results: TargetResult[], name: TargetName): TargetResult | undefined {
  return results.find((r) => r.name === name);
}

function verdict(r: Ratio): string {
  if (!Number.isFinite(r.value)) return "n/a";
  return r.value <= r.target ? "yes" : "no";
}

function fmt(value: number | undefined, digits: number): string {
  if (value === undefined) return "—";
  if (!Number.isFinite(value)) return "n/a";
  return value.toLocaleString("en-US", {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

function textTable(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((row) => row[col]!.length)));
  const line = (row: string[]) =>
    row
      .map((cell, col) => (col === 0 ? cell.padEnd(widths[col]!) : cell.padStart(widths[col]!)))
      .join("  ");
  return [line(rows[0]!), widths.map((w) => "-".repeat(w)).join("  "), ...rows.slice(1).map(line)];
}

function markdownTable(rows: string[][]): string[] {
  const [header, ...body] = rows;
  return [
    `| ${header!.join(" | ")} |`,
    `|${header!.map((_, i) => (i === 0 ? "---" : "---:")).join("|")}|`,
    ...body.map((row) => `| ${row.join(" | ")} |`),
  ];
}

function cpuModel(): string {
  try {
    const match = /^model name\s*:\s*(.+)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"));
    return match?.[1]?.trim() ?? "unknown CPU model";
  } catch {
    return "unknown CPU model";
  }
}
