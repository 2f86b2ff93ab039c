import { Redis } from "ioredis";

/**
 * A Redis connection for background work that must never hang on Redis (limit counters,
 * the spend stream): commands while disconnected fail at once, a command cut by a lost
 * connection fails rather than being resent later, none waits longer than
 * `commandTimeoutMs`, and it reconnects with backoff (at most every 2 s). Callers learn of
 * an outage from failed commands; the 'error' events are swallowed.
 */
export function failFastRedis(
  url: string,
  connectionName: string,
  commandTimeoutMs: number,
): Redis {
  const redis = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: false,
    maxRetriesPerRequest: null,
    connectTimeout: 2_000,
    commandTimeout: commandTimeoutMs,
    connectionName,
    retryStrategy: (attempt) => Math.min(50 * 2 ** Math.min(attempt, 6), 2_000),
  });
  redis.on("error", () => undefined);
  return redis;
}
