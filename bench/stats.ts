// Latency samples in nanoseconds and their percentiles.

export class Samples {
  private values: number[] = [];
  errors = 0;

  add(ns: number): void {
    this.values.push(ns);
  }

  get count(): number {
    return this.values.length;
  }

  summary(): LatencySummary {
    const sorted = Float64Array.from(this.values).sort();
    return {
      count: sorted.length,
      errors: this.errors,
      p50Us: percentile(sorted, 0.5) / 1e3,
      p99Us: percentile(sorted, 0.99) / 1e3,
    };
  }
}

export interface LatencySummary {
  count: number;
  errors: number;
  p50Us: number;
  p99Us: number;
}

/** Nearest-rank percentile of an ascending array; NaN when empty. */
function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank]!;
}

export function nowNs(): bigint {
  return process.hrtime.bigint();
}
