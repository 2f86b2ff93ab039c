import { type Logger, pino } from "pino";

const LEVELS: Record<string, string> = { warning: "warn" };

/** JSON logs on stdout. Never given prompts, responses or keys. */
export function createLogger(level = process.env.SWITCHYARD_LOG_LEVEL ?? "info"): Logger {
  return pino({ level: LEVELS[level] ?? level, base: { service: "switchyard" } });
}
