/**
 * A gateway fault for the log: its type and where it was thrown, never its message (which
 * may quote request or response content) nor a whole stack trace.
 */
export function describeFault(err: unknown): string {
  if (!(err instanceof Error)) return typeof err;
  const frame = err.stack?.split("\n")[1]?.trim() ?? "";
  return `${err.name} ${frame}`;
}
