import type { DeploymentCounters } from "./deployment-limits.js";

/** Recent latencies kept per deployment (LiteLLM keeps 10 too). */
export const LATENCY_SAMPLES = 10;

/**
 * What this node knows of one deployment right now: requests in flight, this minute's
 * requests and tokens (against its rpm/tpm), recent latencies, failures and cooldown.
 * One object per deployment id, kept across snapshot swaps.
 */
export class DeploymentLoad {
  inFlight = 0;
  /** The minute (epoch ms / 60000) `requests` and `tokens` count. */
  minute = 0;
  requests = 0;
  tokens = 0;
  /** Epoch ms until which the deployment is not picked. */
  coolUntil = 0;
  failMinute = 0;
  fails = 0;
  /** Ring of the last latencies (ms; time to first token for streams). */
  readonly latencies = new Float64Array(LATENCY_SAMPLES);
  samples = 0;
  latencySum = 0;
  /** Mean of the recent latencies; 0 before the first sample. */
  latency = 0;
  /**
   * The deployment's rpm/tpm/max_parallel_requests counters shared with the other nodes
   * (set when it has such limits); the fields above stay this node's own view for the
   * strategies.
   */
  shared: DeploymentCounters | undefined;

  /** Starts a new minute's counts when the minute changed. */
  roll(minute: number): void {
    if (this.minute !== minute) {
      this.minute = minute;
      this.requests = 0;
      this.tokens = 0;
    }
  }

  recordLatency(ms: number): void {
    const slot = this.samples % LATENCY_SAMPLES;
    if (this.samples >= LATENCY_SAMPLES) this.latencySum -= this.latencies[slot]!;
    this.latencies[slot] = ms;
    this.latencySum += ms;
    this.samples++;
    this.latency = this.latencySum / Math.min(this.samples, LATENCY_SAMPLES);
  }
}
