// The node under test of bench/background-apply.ts, in a process of its own (so its heap
// holds what a node's does, not the bench's copies): a data-plane node (cli/data-plane-node)
// booted from the snapshot server at argv[2] over an in-process bus. On each "apply" from
// the parent it makes the node refetch the whole snapshot (a version beat that differs, as
// after a gap) and reports how long the event loop stalled until 100 ms after the new one
// was swapped in. APPLY_NODE_TRACE=1 prints every stall and GC pause of each apply.
import { PerformanceObserver } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { pino } from "pino";
import { busChannels } from "../bus/channels.js";
import { InProcessBus } from "../bus/in-process-bus.js";
import { startDataPlaneNode } from "../cli/data-plane-node.js";
import type { IndexedSnapshot } from "../data-plane/snapshot/indexed-snapshot.js";
import { HttpSnapshotSource } from "../data-plane/sync/snapshot-source.js";
import { BUILT_AT } from "./large-snapshot.js";

/** One whole-snapshot apply, as measured inside the node, ms. */
export interface ApplyRun {
  /** Refetch started → new snapshot swapped in. */
  total: number;
  /** Longest gap between two ticks of a 1 ms interval, minus 1 ms (until AFTER_SWAP_MS after). */
  stall: number;
  /**
   * The longest such gap that ended more than AROUND_SWAP_MS before the swap: while the
   * worker requests, parses and packs the snapshot and the main thread only serves.
   */
  stallBeforeSwap: number;
  /** The longest such gap that no GC pause overlapped. */
  stallWithoutGc: number;
  /** Longest GC pause that began during the apply. */
  longestGc: number;
  /** The same probe right after, for as long, with only the request load running. */
  idleStall: number;
  keys: number;
}

export type NodeMessage = { type: "ready"; port: number } | { type: "applied"; run: ApplyRun };

/** The probe runs on this long after the swap. */
const AFTER_SWAP_MS = 100;
/** The main thread's share of an apply (taking the parts in, regrouping) ends at the swap. */
const AROUND_SWAP_MS = 10;

const url = process.argv[2]!;
const channel = busChannels("").snapshot;
const bus = new InProcessBus();
await bus.start();
const node = await startDataPlaneNode({
  host: "127.0.0.1",
  port: 0,
  nodeId: "bench-node",
  bus,
  busPrefix: "",
  source: new HttpSnapshotSource(url, "bench-token", 60_000),
  logger: pino({ level: "silent" }),
});
const { server } = node;
let swapped: (() => void) | undefined;
/** The snapshot last swapped in by a refetch (the boot's was built at BUILT_AT too). */
let latest: IndexedSnapshot | undefined;
const swap = server.swapSnapshot.bind(server);
server.swapSnapshot = (snapshot: IndexedSnapshot) => {
  swap(snapshot);
  latest = snapshot;
  swapped?.();
};
// The control plane's beat: keeps the node from calling itself stale (and refetching).
const beat = () =>
  bus.publish(
    channel,
    JSON.stringify({ type: "version", version: server.snapshotVersion, builtAt: builtAt() }),
  );
const beats = setInterval(() => void beat(), 1_000);

process.on("message", (message: { type: string }) => {
  if (message.type === "apply") void apply().then((run) => send({ type: "applied", run }));
  if (message.type === "stop") {
    clearInterval(beats);
    void node.stop().then(() => process.exit(0));
  }
});
process.on("disconnect", () => process.exit(0));
send({ type: "ready", port: node.port });

async function apply(): Promise<ApplyRun> {
  const gcs: Window[] = [];
  const gc = new PerformanceObserver((list) => {
    for (const e of list.getEntries())
      gcs.push({
        start: e.startTime,
        end: e.startTime + e.duration,
        kind: (e as unknown as { detail?: { kind?: number } }).detail?.kind,
      });
  });
  gc.observe({ entryTypes: ["gc"] });
  const done = new Promise<void>((resolve) => {
    swapped = resolve;
  });
  const probe = startProbe();
  const t0 = performance.now();
  // A version this node does not have: it refetches the whole snapshot, as after a gap.
  await bus.publish(channel, JSON.stringify({ type: "version", version: 0, builtAt: "bench" }));
  await done;
  const swapAt = performance.now();
  const total = swapAt - t0;
  // What the apply leaves behind (the collector freeing the old snapshot) counts too.
  await sleep(AFTER_SWAP_MS);
  const gaps = probe.stop();
  swapped = undefined;
  await sleep(20);
  gc.disconnect();
  const idle = startProbe();
  await sleep(Math.min(total + AFTER_SWAP_MS, 2_000));
  if (process.env.APPLY_NODE_TRACE !== undefined) {
    const at = (t: number) => (t - t0).toFixed(0);
    process.stderr.write(
      `apply ${total.toFixed(0)} ms; gaps ${gaps.map((g) => `${at(g.start)}+${(g.end - g.start).toFixed(1)}`).join(" ")}\n` +
        `  gcs ${gcs.map((g) => `${at(g.start)}+${(g.end - g.start).toFixed(1)}k${g.kind}`).join(" ")}\n`,
    );
  }
  return {
    total,
    stall: longest(gaps),
    stallBeforeSwap: longest(gaps.filter((g) => g.end < swapAt - AROUND_SWAP_MS)),
    stallWithoutGc: longest(
      gaps.filter((g) => !gcs.some((c) => c.start < g.end && c.end > g.start)),
    ),
    longestGc: Math.max(0, ...gcs.map((g) => g.end - g.start)),
    idleStall: longest(idle.stop()),
    keys: latest?.keysByHash.size ?? 0,
  };
}

function builtAt(): string {
  return latest?.builtAt ?? BUILT_AT;
}

function send(message: NodeMessage): void {
  process.send?.(message);
}

interface Window {
  start: number;
  end: number;
  kind?: number;
}

/** A 1 ms interval; stop() gives every gap between its ticks longer than 2 ms. */
function startProbe(): { stop(): Window[] } {
  let last = performance.now();
  const gaps: Window[] = [];
  const tick = (now: number) => {
    if (now - last > 2) gaps.push({ start: last, end: now });
    last = now;
  };
  const timer = setInterval(() => tick(performance.now()), 1);
  return {
    stop() {
      clearInterval(timer);
      tick(performance.now());
      return gaps;
    },
  };
}

function longest(gaps: Window[]): number {
  return Math.max(0, ...gaps.map((g) => g.end - g.start - 1));
}
