import { Redis } from "ioredis";

/** Why Redis at `url` cannot be used by a test (undefined = it can). */
export async function redisUnavailable(url: string): Promise<string | undefined> {
  const probe = new Redis(url, {
    lazyConnect: true,
    retryStrategy: () => null,
    enableOfflineQueue: false,
    connectTimeout: 2_000,
  });
  // connect() rejects with a bare "Connection is closed."; the cause comes as an event.
  let cause: Error | undefined;
  probe.on("error", (err: Error) => {
    cause ??= err;
  });
  try {
    await probe.connect();
    await probe.ping();
    await probe.quit();
    return undefined;
  } catch (err) {
    const reason = cause ?? err;
    const host = new URL(url).host;
    return `Redis unreachable at ${host}: ${reason instanceof Error ? reason.message : String(reason)}`;
  }
}
