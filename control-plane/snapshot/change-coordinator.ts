import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import type { Logger } from "pino";

/** The latest snapshot version any control plane published, and when it was built. */
export interface PublishedVersion {
  version: number;
  builtAt: string;
}

/**
 * Lets several control planes share one version sequence: a change is built and published
 * by one control plane at a time, on top of the latest version any of them published.
 */
export interface ChangeCoordinator {
  /** Waits for the exclusive right to publish; resolves to the latest published version. */
  acquire(): Promise<PublishedVersion | undefined>;
  /** Records what was published (while holding the right) and gives the right up. */
  release(published: PublishedVersion | undefined): Promise<void>;
}

/** One control plane alone (embedded mode): nothing to coordinate. */
export const SOLO_COORDINATOR: ChangeCoordinator = {
  acquire: async () => undefined,
  release: async () => undefined,
};

const LOCK_TTL_MS = 15_000;
const RETRY_MS = 10;
/** Give up waiting for the lock (and go ahead alone) after this long: a change must not hang. */
const WAIT_MS = 20_000;

const RELEASE = `if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) else return 0 end`;

/**
 * The coordinator of distributed mode: a Redis lock (SET NX PX, released only by its
 * holder) and the latest published version in a Redis hash. With Redis unreachable a
 * control plane goes ahead alone (a change never hangs); nodes that then see two
 * versions refetch the whole snapshot, which converges once Redis is back.
 */
export class RedisChangeCoordinator implements ChangeCoordinator {
  private readonly redis: Redis;
  private readonly lockKey: string;
  private readonly latestKey: string;
  private token: string | undefined;

  constructor(
    url: string,
    keyPrefix: string,
    private readonly logger: Logger,
  ) {
    this.lockKey = `${keyPrefix}switchyard:snapshot:lock`;
    this.latestKey = `${keyPrefix}switchyard:snapshot:latest`;
    this.redis = new Redis(url, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: null,
      connectTimeout: 2_000,
      commandTimeout: 2_000,
      connectionName: "switchyard-snapshot-lock",
      retryStrategy: (attempt) => Math.min(50 * 2 ** Math.min(attempt, 6), 2_000),
    });
    this.redis.on("error", () => undefined);
  }

  async start(): Promise<void> {
    await this.redis.connect().catch(() => undefined);
  }

  async stop(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }

  async acquire(): Promise<PublishedVersion | undefined> {
    const token = randomBytes(12).toString("hex");
    const giveUpAt = Date.now() + WAIT_MS;
    try {
      for (;;) {
        const ok = await this.redis.set(this.lockKey, token, "PX", LOCK_TTL_MS, "NX");
        if (ok === "OK") break;
        if (Date.now() > giveUpAt) throw new Error("timed out waiting for the snapshot lock");
        await new Promise((r) => setTimeout(r, RETRY_MS));
      }
      this.token = token;
      const latest = await this.redis.hgetall(this.latestKey);
      const version = Number(latest.version);
      return Number.isFinite(version) && latest.builtAt !== undefined
        ? { version, builtAt: latest.builtAt }
        : undefined;
    } catch (err) {
      this.logger.warn(
        { err: err instanceof Error ? err.message : String(err) },
        "snapshot lock unavailable: publishing this change without coordinating with other control planes",
      );
      return undefined;
    }
  }

  async release(published: PublishedVersion | undefined): Promise<void> {
    const token = this.token;
    this.token = undefined;
    if (token === undefined) return;
    try {
      if (published !== undefined) {
        await this.redis.hset(this.latestKey, {
          version: String(published.version),
          builtAt: published.builtAt,
        });
      }
      await this.redis.eval(RELEASE, 1, this.lockKey, token);
    } catch (err) {
      // The lock expires on its own.
      this.logger.warn(
        { err: err instanceof Error ? err.message : String(err) },
        "could not release the snapshot lock",
      );
    }
  }
}
