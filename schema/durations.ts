/**
 * Budget windows as LiteLLM users write them: `30s`, `30m`, `24h`, `30d`, `1mo`.
 * Months are calendar months (the reset lands on the same day of a later month).
 */
const PATTERN = /^(\d+)\s*(s|m|h|d|mo)$/;

export function isDuration(text: string): boolean {
  return PATTERN.test(text.trim());
}

/** The moment a window of `duration` that starts at `from` ends. */
export function addDuration(from: Date, duration: string): Date {
  const match = PATTERN.exec(duration.trim());
  if (match === null)
    throw new Error(`invalid duration "${duration}" (use e.g. 30s, 30m, 24h, 30d, 1mo)`);
  const n = Number(match[1]);
  const unit = match[2];
  if (unit === "mo") {
    const d = new Date(from);
    d.setUTCMonth(d.getUTCMonth() + n);
    return d;
  }
  const seconds = unit === "s" ? 1 : unit === "m" ? 60 : unit === "h" ? 3600 : 86_400;
  return new Date(from.getTime() + n * seconds * 1000);
}
