import type { Logger } from "pino";
import type { Caller } from "../auth/authenticate.js";
import type { Limits } from "../limits/limits.js";
import type { SpendRecorder } from "../spend/finished-call.js";
import type { LimitsMode } from "../limits/shared-counters.js";
import type { SyncStatus } from "../sync/sync-status.js";
import type { DeploymentHealth } from "../health/deployment-health.js";
import type { Router } from "../router/router.js";
import type { IndexedSnapshot } from "../snapshot/indexed-snapshot.js";
import type { UpstreamPools } from "../upstream/pools.js";

/** What every route reads: the current snapshot and the node's long-lived parts. */
export interface RouteContext {
  snapshot(): IndexedSnapshot;
  /** Who presented `key`, against the current snapshot; throws a 401 ApiError. */
  authenticate(key: string | undefined): Caller;
  readonly pools: UpstreamPools;
  readonly health: DeploymentHealth;
  /** Deployment loads and cooldowns, and the pick (router/). */
  readonly router: Router;
  readonly logger: Logger;
  readonly startedAt: number;
  /** True once shutdown began: readiness says so, so load balancers stop sending. */
  draining(): boolean;
  syncStatus(): SyncStatus;
  /** Rate limits and budgets (admit before the call, settle after). */
  readonly limits: Limits;
  /** How limits are enforced right now (cluster-wide, alone, or by share while Redis is down). */
  limitsStatus(): { mode: LimitsMode; nodes: number };
  /** Where each finished request goes to become a spend record (never blocks). */
  readonly spend: SpendRecorder;
  /** Counts a request in flight until `done` is called (graceful shutdown waits on it). */
  track(): () => void;
}
