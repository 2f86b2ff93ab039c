import type { Logger } from "pino";
import type { Deployment, RouterSettings } from "../../schema/snapshot.js";
import type { ModelGroup } from "../snapshot/indexed-snapshot.js";
import { Cooldowns, type CooldownSharing } from "./cooldowns.js";
import type { SharedCounters } from "../limits/shared-counters.js";
import { deploymentCounters } from "./deployment-limits.js";
import { DeploymentLoad } from "./deployment-load.js";
import type { PickScope } from "./eligibility.js";
import { type GroupRuntime, groupRuntime } from "./group-runtime.js";
import { strategyFor } from "./strategies/index.js";

/** Deployments tagged so serve requests whose tags no deployment carries. */
const DEFAULT_TAGS: readonly string[] = ["default"];

/**
 * A node's routing state: each deployment's load and cooldown, and the pick among a group's
 * deployments by the configured strategy, priority level by level (`order`).
 */
export class Router {
  private readonly loads = new Map<string, DeploymentLoad>();
  private readonly runtimes = new WeakMap<ModelGroup, GroupRuntime>();
  private readonly scope: PickScope = {
    now: 0,
    minute: 0,
    tags: undefined,
    exclude: undefined,
    random: Math.random,
    counters: undefined,
    awaitingSync: false,
  };
  readonly cooldowns: Cooldowns;

  constructor(
    logger: Logger,
    sharing?: CooldownSharing,
    random: () => number = Math.random,
    /** Counts deployment rpm/tpm/max_parallel_requests cluster-wide (else per node). */
    private readonly counters?: SharedCounters,
  ) {
    this.cooldowns = new Cooldowns((id) => this.loadOf(id), logger, sharing);
    this.scope.random = random;
    this.scope.counters = counters;
  }

  /** The last pick found no deployment only because this node must first sync its counters. */
  get awaitingSync(): boolean {
    return this.scope.awaitingSync;
  }

  /** Resolves after the next sync of the shared counters (at once when there are none). */
  nextSync(): Promise<void> {
    return this.counters?.nextSync() ?? Promise.resolve();
  }

  start(): Promise<void> {
    return this.cooldowns.start();
  }

  stop(): Promise<void> {
    return this.cooldowns.stop();
  }

  loadOf(id: string): DeploymentLoad {
    let load = this.loads.get(id);
    if (load === undefined) {
      load = new DeploymentLoad();
      this.loads.set(id, load);
    }
    return load;
  }

  runtime(group: ModelGroup): GroupRuntime {
    let runtime = this.runtimes.get(group);
    if (runtime === undefined) {
      runtime = groupRuntime(group, (id) => this.loadOf(id));
      const counters = this.counters;
      if (counters !== undefined && runtime.limited) {
        for (let i = 0; i < runtime.deployments.length; i++) {
          const d = runtime.deployments[i]!;
          const hasLimits =
            d.rpm !== undefined || d.tpm !== undefined || d.maxParallelRequests !== undefined;
          if (hasLimits) runtime.loads[i]!.shared ??= deploymentCounters(counters, d.id);
        }
      }
      this.runtimes.set(group, runtime);
    }
    return runtime;
  }

  /**
   * A deployment for the next attempt, counted against its rpm; undefined when none may take
   * it now (all cooling down, at their limits, already failed, or none with the tags).
   */
  pick(
    group: ModelGroup,
    settings: RouterSettings,
    tags: readonly string[] | undefined,
    exclude: readonly Deployment[] | undefined,
  ): Deployment | undefined {
    const g = this.runtime(group);
    const scope = this.scope;
    scope.now = Date.now();
    scope.minute = Math.floor(scope.now / 60_000);
    scope.exclude = exclude;
    scope.awaitingSync = false;
    scope.tags =
      settings.enableTagFiltering && tags !== undefined && tags.length > 0 ? tags : undefined;
    let i = this.pickByLevel(g, settings);
    if (i < 0 && scope.tags !== undefined) {
      scope.tags = DEFAULT_TAGS;
      i = this.pickByLevel(g, settings);
    }
    scope.exclude = undefined;
    if (i < 0) return undefined;
    const load = g.loads[i]!;
    load.roll(scope.minute);
    load.requests++;
    load.shared?.requests.add(1);
    return g.deployments[i];
  }

  /** Epoch ms when the first of the group's cooling deployments comes back (0: none cooling). */
  coolingUntil(group: ModelGroup, now: number): number {
    let soonest = 0;
    for (const load of this.runtime(group).loads) {
      if (load.coolUntil > now && (soonest === 0 || load.coolUntil < soonest))
        soonest = load.coolUntil;
    }
    return soonest;
  }

  /** Forgets deployments that left the snapshot. */
  retain(ids: ReadonlySet<string>): void {
    for (const id of this.loads.keys()) if (!ids.has(id)) this.loads.delete(id);
  }

  private pickByLevel(g: GroupRuntime, settings: RouterSettings): number {
    const strategy = strategyFor(settings);
    let from = 0;
    for (const to of g.group.levelEnds) {
      const i = strategy(g, from, to, this.scope);
      if (i >= 0) return i;
      from = to;
    }
    return -1;
  }
}
