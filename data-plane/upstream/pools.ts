import { Pool } from "undici";

const POOL_OPTIONS = {
  // Enough sockets for high concurrency; idle ones are kept alive for reuse.
  connections: 512,
  pipelining: 1,
  keepAliveTimeout: 30_000,
  keepAliveMaxTimeout: 600_000,
  connectTimeout: 10_000,
} as const;

/**
 * Kept-alive undici Pools, one per deployment and origin, created on first use. A
 * deployment never shares sockets with another, so one slow upstream cannot starve the
 * others' connections.
 */
export class UpstreamPools {
  private readonly pools = new Map<string, Pool>();

  get(deploymentId: string, origin: string): Pool {
    const key = `${deploymentId} ${origin}`;
    let pool = this.pools.get(key);
    if (pool === undefined) {
      pool = new Pool(origin, POOL_OPTIONS);
      this.pools.set(key, pool);
    }
    return pool;
  }

  /** Closes pools of deployments no longer present (after a snapshot swap). */
  async retain(deploymentIds: ReadonlySet<string>): Promise<void> {
    const closing: Promise<void>[] = [];
    for (const [key, pool] of this.pools) {
      if (!deploymentIds.has(key.slice(0, key.indexOf(" ")))) {
        this.pools.delete(key);
        closing.push(pool.close());
      }
    }
    await Promise.all(closing);
  }

  async stop(): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((p) => p.destroy()));
  }
}
