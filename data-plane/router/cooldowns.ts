import type { Logger } from "pino";
import type { Bus } from "../../bus/bus.js";
import type { ApiError } from "../../schema/errors.js";
import type { RouterSettings } from "../../schema/snapshot.js";
import type { DeploymentLoad } from "./deployment-load.js";

/** Where cooldowns are shared with the other data-plane nodes. */
export interface CooldownSharing {
  bus: Bus;
  /** Default `switchyard:cooldowns` (see busChannels). */
  channel: string;
  nodeId: string;
}

interface CooldownMessage {
  id: string;
  /** Epoch ms. */
  until: number;
  node: string;
}

/**
 * Takes failing deployments out of rotation: at once on a 429 or 401 (for the upstream's
 * Retry-After when longer than `cooldown_time`), or after more than `allowed_fails` failures
 * within a minute. A group's only deployment never cools down (there would be nothing left
 * to send to; LiteLLM does the same). Each cooldown is published to the other nodes, which
 * apply it as their own (clocks are assumed roughly in sync: the end is an epoch time).
 */
export class Cooldowns {
  private unsubscribe: (() => Promise<void>) | undefined;

  constructor(
    private readonly loadOf: (id: string) => DeploymentLoad,
    private readonly logger: Logger,
    private readonly sharing: CooldownSharing | undefined,
  ) {}

  async start(): Promise<void> {
    const sharing = this.sharing;
    if (sharing === undefined) return;
    this.unsubscribe = await sharing.bus.subscribe(sharing.channel, (text) => this.receive(text));
  }

  async stop(): Promise<void> {
    await this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  /** Counts a failed attempt at deployment `id`; cools it down when due. */
  recordFailure(
    id: string,
    error: ApiError,
    settings: RouterSettings,
    groupSize: number,
    now: number,
  ): void {
    if (settings.disableCooldowns || groupSize <= 1) return;
    const load = this.loadOf(id);
    const minute = Math.floor(now / 60_000);
    if (load.failMinute !== minute) {
      load.failMinute = minute;
      load.fails = 0;
    }
    load.fails++;
    const immediate = error.status === 429 || error.status === 401;
    if (!immediate && load.fails <= settings.allowedFails) return;
    const retryAfterMs = (error.retryAfter ?? 0) * 1000;
    this.coolDown(id, now + Math.max(settings.cooldownMs, retryAfterMs));
  }

  /** Cools `id` down until `until` (epoch ms) here and on every node. */
  coolDown(id: string, until: number): void {
    const load = this.loadOf(id);
    if (until <= load.coolUntil) return;
    load.coolUntil = until;
    load.fails = 0;
    const sharing = this.sharing;
    if (sharing === undefined) return;
    const message: CooldownMessage = { id, until, node: sharing.nodeId };
    // Fire and forget: a node that misses it finds out from its own failures.
    sharing.bus.publish(sharing.channel, JSON.stringify(message)).catch((err: unknown) => {
      this.logger.warn(
        { deploymentId: id, reason: err instanceof Error ? err.message : String(err) },
        "could not share a deployment cooldown with the other nodes",
      );
    });
  }

  private receive(text: string): void {
    let message: Partial<CooldownMessage>;
    try {
      message = JSON.parse(text) as Partial<CooldownMessage>;
    } catch {
      return;
    }
    if (
      typeof message.id !== "string" ||
      typeof message.until !== "number" ||
      message.node === this.sharing?.nodeId
    ) {
      return;
    }
    const load = this.loadOf(message.id);
    if (message.until > load.coolUntil) load.coolUntil = message.until;
  }
}
