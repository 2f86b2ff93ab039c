import { ConfigError, formatProblems } from "../../control-plane/config/load-config.js";

/** One clear line (or a config's list of problems) on stderr, and exit code 1. No stack. */
export function commandFailed(command: string, err: unknown): void {
  process.stderr.write(`switchyard ${command}: ${describeError(err)}\n`);
  process.exitCode = 1;
}

export function describeError(err: unknown): string {
  if (err instanceof ConfigError) {
    return `config refused: ${err.file}: ${err.problems.length} error(s):\n${formatProblems(err.problems)}`;
  }
  if (err instanceof Error) return err.message;
  return String(err);
}
