// CPU time of a process and its descendants, read from /proc (Linux only).
//
// Two sources, both summed over every thread:
// - /proc/<pid>/task/<tid>/schedstat, first field: ns on CPU per thread (exact, but a thread
//   that exits takes its time with it; Node's threads live as long as the process);
// - /proc/<pid>/stat utime+stime: all threads including exited ones, in clock ticks
//   (1/CLK_TCK s, 10 ms at the usual 100), so coarse over a short phase.
// schedstat is the figure reported; stat is kept as a cross-check.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

export interface CpuReading {
  /** ns on CPU from schedstat, or undefined where schedstat is not available. */
  schedNs: number | undefined;
  /** ns on CPU from utime+stime, at clock-tick resolution. */
  statNs: number;
  /** The stime part of statNs: time in the kernel (syscalls, network stack). */
  statSysNs: number;
}

const clockTicksPerSecond = readClockTicks();
const nsPerTick = 1e9 / clockTicksPerSecond;

export function readCpu(rootPid: number): CpuReading {
  let schedNs: number | undefined = 0;
  let statNs = 0;
  let statSysNs = 0;
  for (const pid of processTree(rootPid)) {
    const sched = readSchedNs(pid);
    schedNs = sched === undefined || schedNs === undefined ? undefined : schedNs + sched;
    const ticks = readStatTicks(pid);
    statNs += (ticks.user + ticks.sys) * nsPerTick;
    statSysNs += ticks.sys * nsPerTick;
  }
  return { schedNs, statNs, statSysNs };
}

/** CPU used between two readings, same shape as a reading. */
export type CpuUsed = CpuReading;

export function cpuBetween(before: CpuReading, after: CpuReading): CpuUsed {
  return {
    schedNs:
      before.schedNs === undefined || after.schedNs === undefined
        ? undefined
        : after.schedNs - before.schedNs,
    statNs: after.statNs - before.statNs,
    statSysNs: after.statSysNs - before.statSysNs,
  };
}

/** The best figure available: schedstat where present, else the tick-based one. */
export function cpuNs(used: CpuUsed): number {
  return used.schedNs ?? used.statNs;
}

export const cpuSource =
  readSchedNs(process.pid) === undefined
    ? `/proc/<pid>/stat utime+stime (CLK_TCK ${clockTicksPerSecond})`
    : "/proc/<pid>/task/*/schedstat (ns, all threads)";

function processTree(rootPid: number): number[] {
  const pids = [rootPid];
  for (let i = 0; i < pids.length; i++) {
    for (const tid of listTasks(pids[i]!)) {
      const children = readText(`/proc/${pids[i]}/task/${tid}/children`);
      if (children === undefined) continue;
      for (const child of children.split(" ")) if (child !== "") pids.push(Number(child));
    }
  }
  return pids;
}

function readSchedNs(pid: number): number | undefined {
  let total = 0;
  for (const tid of listTasks(pid)) {
    const text = readText(`/proc/${pid}/task/${tid}/schedstat`);
    if (text === undefined) return undefined;
    total += Number(text.slice(0, text.indexOf(" ")));
  }
  return total;
}

function readStatTicks(pid: number): { user: number; sys: number } {
  const text = readText(`/proc/${pid}/stat`);
  if (text === undefined) return { user: 0, sys: 0 };
  // Fields after the ")" closing the command name: state is field 3, utime 14, stime 15.
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  return { user: Number(fields[11]), sys: Number(fields[12]) };
}

function listTasks(pid: number): string[] {
  try {
    return readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

function readClockTicks(): number {
  try {
    const ticks = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());
    return Number.isFinite(ticks) && ticks > 0 ? ticks : 100;
  } catch {
    return 100;
  }
}
