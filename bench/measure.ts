// Runs every measurement against every target. Each phase is split into rounds and the
// targets take turns within a round (in rotating order), so that a noisy stretch on the shared
// machine lands on all targets alike instead of on whichever one happened to be running.
import { completionLatency } from "./latency.js";
import { combineRounds, type ThroughputResult, throughputRound, warmUp } from "./load.js";
import { type Probe, SequentialClient } from "./sequential.js";
import { type LatencySummary, Samples } from "./stats.js";
import type { Target, TargetName } from "./targets.js";
import { timeToFirstToken } from "./ttft.js";

export interface Plan {
  /** Measured seconds per target and phase, split over `rounds`. */
  seconds: number;
  rounds: number;
  connections: number;
  throughputWarmupSeconds: number;
  latencyWarmupSeconds: number;
}

export interface TargetResult {
  name: TargetName;
  throughput: ThroughputResult;
  sequential: LatencySummary;
  ttft: LatencySummary;
}

export async function measureAll(
  targets: Target[],
  mock: Target,
  plan: Plan,
  log: (message: string) => void,
): Promise<TargetResult[]> {
  const roundSeconds = plan.seconds / plan.rounds;
  const names = targets.map((t) => t.name).join(", ");

  log(
    `throughput: ${plan.connections} connections, ${plan.rounds} × ${roundSeconds} s each (${names})…`,
  );
  const throughputRounds = targets.map((): ThroughputResult[] => []);
  const loadTargets = targets.map((t) => ({ origin: t.origin, pid: t.pid, mockPid: mock.pid }));
  for (const target of loadTargets) {
    await warmUp(target, plan.connections, plan.throughputWarmupSeconds);
  }
  for (let round = 0; round < plan.rounds; round++) {
    for (const i of rotation(targets.length, round)) {
      throughputRounds[i]!.push(
        await throughputRound(loadTargets[i]!, plan.connections, roundSeconds),
      );
    }
  }

  const clients = targets.map((t) => new SequentialClient(t.origin));
  try {
    log(`latency at concurrency 1: ${plan.rounds} × ${roundSeconds} s each…`);
    const sequential = await sequentialPhase(clients, completionLatency, plan);
    log(`streamed time to first token: ${plan.rounds} × ${roundSeconds} s each…`);
    const ttft = await sequentialPhase(clients, timeToFirstToken, plan);
    return targets.map((t, i) => ({
      name: t.name,
      throughput: combineRounds(throughputRounds[i]!),
      sequential: sequential[i]!,
      ttft: ttft[i]!,
    }));
  } finally {
    await Promise.all(clients.map((c) => c.close()));
  }
}

async function sequentialPhase(
  clients: SequentialClient[],
  probe: Probe,
  plan: Plan,
): Promise<LatencySummary[]> {
  const samples = clients.map(() => new Samples());
  for (const client of clients) await client.run(probe, plan.latencyWarmupSeconds);
  for (let round = 0; round < plan.rounds; round++) {
    for (const i of rotation(clients.length, round)) {
      await clients[i]!.run(probe, plan.seconds / plan.rounds, samples[i]);
    }
  }
  return samples.map((s) => s.summary());
}

/** 0..n-1 starting at `round`, so that no target always follows the same one. */
function rotation(n: number, round: number): number[] {
  return Array.from({ length: n }, (_, i) => (i + round) % n);
}
