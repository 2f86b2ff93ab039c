/** The channels Switchyard talks on. */
export interface BusChannels {
  /** Snapshot deltas and the latest version, from the control plane to every node. */
  readonly snapshot: string;
  /** Node heartbeats, from every node to the control plane. */
  readonly nodes: string;
  /** Deployment cooldowns, from the node that saw the failures to every other node. */
  readonly cooldowns: string;
  /** Written spend (each request's cost and running totals), between control planes. */
  readonly spendUpdates: string;
}

/**
 * Channel names, each behind `prefix` (empty in production; random per test file, so that
 * test files running in parallel on one Redis do not hear each other).
 */
export function busChannels(prefix = ""): BusChannels {
  return {
    snapshot: `${prefix}switchyard:snapshot`,
    nodes: `${prefix}switchyard:nodes`,
    cooldowns: `${prefix}switchyard:cooldowns`,
    spendUpdates: `${prefix}switchyard:spend-updates`,
  };
}

export const CHANNELS: BusChannels = busChannels();
