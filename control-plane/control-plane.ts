import type { Logger } from "pino";
import { openDatabase, type Database } from "../prisma/client.js";
import { applyMigrations } from "../prisma/migrate.js";
import type { Config } from "../schema/config.js";
import type { SnapshotDelta, SnapshotMessage } from "../schema/bus-messages.js";
import type { Snapshot } from "../schema/snapshot.js";
import { MASTER_PRINCIPAL, type Principal } from "./auth/principal.js";
import { resolvePrincipal } from "./auth/resolve-principal.js";
import { BudgetService } from "./services/budgets.js";
import { SpendService } from "./services/spend.js";
import { BudgetWindowRoller } from "./spend/budget-windows.js";
import { SpendIngest } from "./spend/spend-ingest.js";
import { SpendLiveFeed } from "./spend/live-feed.js";
import { SpendRetention } from "./spend/retention.js";
import { openSpendStore } from "./spend/spend-store.js";
import { TotalsFeedback } from "./spend/totals-feedback.js";
import type { ChangeRefs, ServiceContext } from "./services/context.js";
import { KeyService } from "./services/keys.js";
import { ModelService } from "./services/models.js";
import { OrganizationService } from "./services/organizations.js";
import { TeamService } from "./services/teams.js";
import { UserService } from "./services/users.js";
import type { NodeRegistry } from "./nodes/node-registry.js";
import { sha256Hex } from "./snapshot/build-from-config.js";
import { applyDeltaToSnapshot } from "./snapshot/apply-delta.js";
import { buildSnapshot } from "./snapshot/build-snapshot.js";
import {
  type ChangeCoordinator,
  type PublishedVersion,
  SOLO_COORDINATOR,
} from "./snapshot/change-coordinator.js";
import { refreshSnapshot } from "./snapshot/refresh-snapshot.js";

export interface ControlPlaneOptions {
  config: Config;
  databaseUrl: string;
  logger: Logger;
  /**
   * Receives every new snapshot, in version order, with what changed; awaited before the
   * change's API call answers (embedded: the data plane applies it; distributed: a delta is
   * published to the nodes).
   */
  onSnapshot(snapshot: Snapshot, change: string, delta: SnapshotDelta | undefined): unknown;
  /**
   * Several control planes (distributed mode): who may publish the next version. Absent:
   * this control plane is alone.
   */
  coordinator?: ChangeCoordinator;
  /** A snapshot taken over from another control plane (its delta, or a catch-up rebuild). */
  onPeerSnapshot?(snapshot: Snapshot): void;
}

/** A committed change, as admins see it stream by. */
export interface ChangeEvent {
  version: number;
  /** e.g. `key.generate`. */
  change: string;
  at: Date;
}

/** Who the config file's `user_config` is written as, in the audit log. */
const CONFIG_PRINCIPAL: Principal = { ...MASTER_PRINCIPAL, actor: "config" };

/**
 * The control plane: owns the database (migrated at start), the services every API calls,
 * and the snapshot. Every committed change rebuilds the snapshot and hands it on before
 * the mutation answers.
 */
export class ControlPlane {
  readonly keys: KeyService;
  readonly users: UserService;
  readonly teams: TeamService;
  readonly organizations: OrganizationService;
  readonly models: ModelService;
  readonly budgets: BudgetService;
  /** Spend logs, reports and totals (reads). */
  readonly spend: SpendService;
  /** Where spend batches are written, whichever queue they came from. */
  readonly spendIngest: SpendIngest;
  /** Each written request's cost and running totals, for subscriptions. */
  readonly spendFeed: SpendLiveFeed;
  private readonly totalsFeedback: TotalsFeedback;
  /** Deletes old spend log rows (`general_settings.spend_logs_retention`), when set. */
  readonly spendRetention: SpendRetention | undefined;
  /** Moves budgets with a `budget_duration` to their current window in the database. */
  readonly budgetWindows: BudgetWindowRoller;
  readonly masterKeyHash: string | undefined;
  /** Data-plane nodes heard from (distributed mode); set by whoever runs the bus. */
  nodes: NodeRegistry | undefined;
  /**
   * Versions start at the start time in seconds and count up by one per change, so a
   * restarted control plane usually continues above what nodes have seen; when it does
   * not (more than a change a second since its last start), nodes still notice, since a
   * version beat with another build time makes them refetch. Fits GraphQL's 32-bit Int.
   */
  private version = Math.floor(Date.now() / 1000);
  private current: Snapshot | undefined;
  private rebuilding: Promise<void> = Promise.resolve();
  private readonly changeListeners = new Set<(event: ChangeEvent) => void>();

  private constructor(
    private readonly database: Database,
    private readonly options: ControlPlaneOptions,
    spendIngest: SpendIngest,
  ) {
    const masterKey = options.config.general_settings?.master_key;
    this.masterKeyHash = masterKey === undefined ? undefined : sha256Hex(masterKey);
    const ctx: ServiceContext = {
      db: database.prisma,
      changed: (what, refs) => this.changed(what, refs),
      now: () => new Date(),
    };
    this.keys = new KeyService(ctx);
    this.users = new UserService(ctx);
    this.teams = new TeamService(ctx);
    this.organizations = new OrganizationService(ctx);
    this.models = new ModelService(ctx);
    this.budgets = new BudgetService(ctx);
    this.spend = new SpendService(ctx, options.config);
    this.spendIngest = spendIngest;
    this.spendFeed = new SpendLiveFeed(spendIngest);
    const retention = options.config.general_settings?.spend_logs_retention;
    this.spendRetention =
      retention === undefined
        ? undefined
        : new SpendRetention({ retention, store: spendIngest.store, logger: options.logger });
    this.budgetWindows = new BudgetWindowRoller({
      db: database.prisma,
      store: spendIngest.store,
      publish: (refs) => this.changed("budget.window", refs),
      logger: options.logger,
    });
    this.totalsFeedback = new TotalsFeedback(spendIngest, (refs) => this.changed("spend", refs));
  }

  static async start(options: ControlPlaneOptions): Promise<ControlPlane> {
    await applyMigrations(options.databaseUrl);
    const database = await openDatabase(options.databaseUrl);
    let store: Awaited<ReturnType<typeof openSpendStore>> | undefined;
    try {
      store = await openSpendStore(options.databaseUrl);
      const cp = new ControlPlane(database, options, new SpendIngest(store));
      await cp.seedFromConfig();
      await cp.budgetWindows.catchUp();
      await cp.changed("start");
      cp.totalsFeedback.start();
      cp.spendFeed.start();
      cp.spendRetention?.start();
      cp.budgetWindows.start();
      return cp;
    } catch (err) {
      await store?.close();
      await database.close();
      throw err;
    }
  }

  get db() {
    return this.database.prisma;
  }

  get provider() {
    return this.database.provider;
  }

  /** The latest snapshot (built at start, rebuilt after every change). */
  snapshot(): Snapshot {
    if (this.current === undefined) throw new Error("control plane not started");
    return this.current;
  }

  /** Calls `listener` after every committed change (for the `configChanged` subscription). */
  onChange(listener: (event: ChangeEvent) => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  /** The caller of an API request, from the key it presented. */
  principal(key: string | undefined): Promise<Principal> {
    return resolvePrincipal(this.database.prisma, key, this.masterKeyHash);
  }

  async stop(): Promise<void> {
    this.spendFeed.stop();
    await this.spendRetention?.stop();
    await this.budgetWindows.stop();
    await this.totalsFeedback.stop();
    await this.rebuilding.catch(() => undefined);
    await this.spendIngest.store.close();
    await this.database.close();
  }

  /**
   * A snapshot message another control plane published (distributed mode with several
   * control planes): its delta is applied when it follows ours; when we are further behind,
   * we rebuild from the database (which has every committed change) at its version.
   */
  receivePeer(message: SnapshotMessage): void {
    const next = this.rebuilding.then(async () => {
      const current = this.current;
      if (current === undefined) return;
      if (message.type === "version") {
        if (message.version > current.version) await this.catchUp(message);
        return;
      }
      const delta = message.delta;
      // Ours coming back, or older than what we have.
      if (delta.version <= current.version) return;
      if (delta.baseVersion !== current.version) {
        await this.catchUp({ version: delta.version, builtAt: delta.builtAt });
        return;
      }
      const snapshot = applyDeltaToSnapshot(current, delta);
      this.adopt(snapshot);
      this.emitChange(snapshot, delta.change);
    });
    this.rebuilding = next.catch((err: unknown) =>
      this.options.logger.warn(
        { err: err instanceof Error ? err.message : String(err) },
        "could not take over another control plane's snapshot",
      ),
    );
  }

  /** Our snapshot rebuilt from the database, as the version another control plane published. */
  private async catchUp(latest: PublishedVersion): Promise<void> {
    const snapshot = await buildSnapshot(this.database.prisma, this.options.config, latest.version);
    // The same version and build time as the peer's, so nodes see one snapshot, not two.
    snapshot.builtAt = latest.builtAt;
    this.adopt(snapshot);
    this.options.logger.info({ version: latest.version }, "caught up with another control plane");
  }

  private adopt(snapshot: Snapshot): void {
    this.current = snapshot;
    this.version = snapshot.version;
    this.options.onPeerSnapshot?.(snapshot);
  }

  private emitChange(snapshot: Snapshot, change: string): void {
    const event: ChangeEvent = {
      version: snapshot.version,
      change,
      at: new Date(snapshot.builtAt),
    };
    for (const listener of this.changeListeners) listener(event);
  }

  /**
   * Rebuilds are serialised so that snapshots are handed on in version order; with other
   * control planes, each is built on the latest version any of them published, under a
   * lock they share.
   */
  private changed(what: string, refs?: ChangeRefs): Promise<void> {
    const next = this.rebuilding.then(async () => {
      const coordinator = this.options.coordinator ?? SOLO_COORDINATOR;
      const latest = await coordinator.acquire();
      let published: PublishedVersion | undefined;
      try {
        if (
          latest !== undefined &&
          this.current !== undefined &&
          latest.version > this.current.version
        )
          await this.catchUp(latest);
        const version = Math.max(this.version, latest?.version ?? 0) + 1;
        // After start, only what the change touched is reread; the delta comes with it.
        const { snapshot, delta } =
          refs !== undefined && this.current !== undefined
            ? await refreshSnapshot(
                this.database.prisma,
                this.options.config,
                this.current,
                refs,
                what,
              )
            : {
                snapshot: await buildSnapshot(this.database.prisma, this.options.config, version),
                delta: undefined,
              };
        snapshot.version = version;
        if (delta !== undefined) delta.version = version;
        this.version = version;
        this.current = snapshot;
        await this.options.onSnapshot(snapshot, what, delta);
        published = { version, builtAt: snapshot.builtAt };
        this.emitChange(snapshot, what);
        this.options.logger.debug({ version, change: what }, "snapshot rebuilt");
      } finally {
        await coordinator.release(published);
      }
    });
    this.rebuilding = next.catch(() => undefined);
    return next;
  }

  /** The config file's `user_config` users, created or brought up to date at every start. */
  private async seedFromConfig(): Promise<void> {
    for (const u of this.options.config.user_config ?? []) {
      await this.users.upsert(CONFIG_PRINCIPAL, {
        userId: u.user_id,
        userEmail: u.user_email ?? undefined,
        userRole: configRole(u.user_role),
        models: u.models,
        maxBudget: u.max_budget,
        budgetDuration: u.budget_duration,
        rpmLimit: u.rpm_limit,
        tpmLimit: u.tpm_limit,
        maxParallelRequests: u.max_parallel_requests,
      });
    }
  }
}

/** The tutorial's `app_user` (and other LiteLLM spellings) are internal users. */
function configRole(role: string | undefined): string | undefined {
  if (role === undefined) return undefined;
  return ["proxy_admin", "proxy_admin_viewer", "internal_user", "internal_user_viewer"].includes(
    role,
  )
    ? role
    : "internal_user";
}
