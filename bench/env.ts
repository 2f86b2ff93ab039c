// Bench knobs read from the environment (BENCH_SECONDS, BENCH_CONNECTIONS, ...).

/** `name` as a positive number, `fallback` when unset; throws on anything else. */
export function positiveNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`);
  return value;
}
