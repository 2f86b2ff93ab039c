import type { Logger } from "pino";

/**
 * Stops a running server cleanly on SIGINT/SIGTERM (finishing what is in flight), then
 * exits 0; a second signal exits at once.
 */
export function runUntilSignal(
  logger: Logger,
  stop: () => Promise<void>,
  inFlight?: () => number,
): void {
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) {
      logger.warn(`${signal} again: exiting now`);
      process.exit(1);
    }
    stopping = true;
    logger.info(
      inFlight === undefined ? {} : { inFlight: inFlight() },
      `${signal}: draining requests in flight`,
    );
    stop().then(
      () => {
        logger.info("stopped");
        process.exit(0);
      },
      (err: unknown) => {
        logger.error(err instanceof Error ? err.message : String(err));
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", () => shutdown("SIGINT"));
  process.on("SIGTERM", () => shutdown("SIGTERM"));
}
