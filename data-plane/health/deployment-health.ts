/** What this node has seen of each deployment's recent calls (passive health). */
export interface DeploymentStats {
  successes: number;
  failures: number;
  consecutiveFailures: number;
  lastSuccessAt: number | undefined;
  lastFailureAt: number | undefined;
  lastError: string | undefined;
  lastLatencyMs: number | undefined;
}

export class DeploymentHealth {
  private readonly stats = new Map<string, DeploymentStats>();

  recordSuccess(deploymentId: string, latencyMs: number): void {
    const s = this.get(deploymentId);
    s.successes++;
    s.consecutiveFailures = 0;
    s.lastSuccessAt = Date.now();
    s.lastLatencyMs = latencyMs;
  }

  recordFailure(deploymentId: string, error: string): void {
    const s = this.get(deploymentId);
    s.failures++;
    s.consecutiveFailures++;
    s.lastFailureAt = Date.now();
    s.lastError = error;
  }

  snapshotOf(deploymentId: string): Readonly<DeploymentStats> | undefined {
    return this.stats.get(deploymentId);
  }

  /** Forgets deployments that left the snapshot, so the map cannot grow without bound. */
  retain(ids: ReadonlySet<string>): void {
    for (const id of this.stats.keys()) if (!ids.has(id)) this.stats.delete(id);
  }

  private get(id: string): DeploymentStats {
    let s = this.stats.get(id);
    if (s === undefined) {
      s = {
        successes: 0,
        failures: 0,
        consecutiveFailures: 0,
        lastSuccessAt: undefined,
        lastFailureAt: undefined,
        lastError: undefined,
        lastLatencyMs: undefined,
      };
      this.stats.set(id, s);
    }
    return s;
  }
}
