import type { Logger } from "pino";
import { windowAfter } from "../../schema/budget-windows.js";
import type { Db } from "../db.js";
import type { ChangeRefs } from "../services/context.js";
import type { BudgetRoll, BudgetTable, SpendStore } from "./spend-store.js";

export interface BudgetWindowOptions {
  db: Db;
  store: SpendStore;
  /** Brings the rolled rows to the snapshot (and so to every node). */
  publish(refs: ChangeRefs): Promise<void>;
  logger: Logger;
  /** How often rows past their window are looked for (ms). */
  intervalMs?: number;
  /** Rows looked at per table and run, so that a run stays short. */
  batchSize?: number;
}

/** A budget row as read to be rolled. */
interface DueRow {
  id: string;
  budgetDuration: string | null;
  budgetResetAt: Date | null;
}

const TABLES: readonly BudgetTable[] = ["keys", "users", "teams", "organizations"];

/**
 * Moves budgets with a `budget_duration` to the window they are in, in the database:
 * `spend` becomes the current window's (summed from the spend logs) and `budget_reset_at`
 * its end, as LiteLLM resets spend each window. Nodes count the window themselves; the
 * roll changes nothing for them, since the row then ends the window where they already
 * had it end. Several control planes may run this at once: each row rolls once.
 */
export class BudgetWindowRoller {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;
  private stopped = false;

  constructor(private readonly options: BudgetWindowOptions) {}

  /**
   * Rolls what ended while no control plane ran, before the first snapshot is built, so
   * that nodes start from the rolled rows (nothing is published: that snapshot reads them).
   * A failure does not stop the start; the periodic runs roll the rows later.
   */
  async catchUp(now = new Date()): Promise<number> {
    try {
      return await this.roll(now, false);
    } catch (err) {
      this.warn(err);
      return 0;
    }
  }

  start(): void {
    this.schedule(this.options.intervalMs ?? 5_000);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
  }

  /** Rolls the rows whose window ended by `now` (up to a batch per table); returns how many. */
  async runOnce(now = new Date()): Promise<number> {
    return this.roll(now, true);
  }

  private async roll(now: Date, publish: boolean): Promise<number> {
    const refs: Required<Pick<ChangeRefs, "keys" | "users" | "teams" | "organizations">> = {
      keys: [],
      users: [],
      teams: [],
      organizations: [],
    };
    let rolled = 0;
    let failed = 0;
    for (const table of TABLES) {
      // No stop check in here: a run is bounded by the batch size, and tests run it stopped.
      for (const row of await this.due(table, now)) {
        const roll = rollOf(table, row, now.getTime());
        if (roll === undefined) continue;
        try {
          if (!(await this.options.store.rollBudgetWindow(roll))) continue;
        } catch (err) {
          // A busy database or a bad row: the next run tries again.
          failed++;
          this.options.logger.debug(
            { table, reason: err instanceof Error ? err.message : String(err) },
            "spend: could not roll a budget window",
          );
          continue;
        }
        refs[table].push(row.id);
        rolled++;
      }
    }
    if (failed > 0) {
      this.options.logger.warn({ failed }, "spend: some budget windows did not roll; will retry");
    }
    if (rolled > 0) {
      this.options.logger.info(
        {
          rolled,
          keys: refs.keys.length,
          users: refs.users.length,
          teams: refs.teams.length,
          organizations: refs.organizations.length,
        },
        "spend: budget windows rolled",
      );
      if (publish) await this.options.publish(refs);
    }
    return rolled;
  }

  /** Rows whose window has ended, and rows that never had one (oldest first). */
  private async due(table: BudgetTable, now: Date): Promise<DueRow[]> {
    const take = this.options.batchSize ?? 500;
    const ended = { budgetDuration: { not: null }, budgetResetAt: { lte: now } };
    const unset = { budgetDuration: { not: null }, budgetResetAt: null };
    const order = { budgetResetAt: "asc" } as const;
    const db = this.options.db;
    switch (table) {
      case "keys": {
        const select = { id: true, budgetDuration: true, budgetResetAt: true };
        return [
          ...(await db.virtualKey.findMany({ where: ended, select, orderBy: order, take })),
          ...(await db.virtualKey.findMany({ where: unset, select, take })),
        ];
      }
      case "users": {
        const select = { userId: true, budgetDuration: true, budgetResetAt: true };
        const rows = [
          ...(await db.user.findMany({ where: ended, select, orderBy: order, take })),
          ...(await db.user.findMany({ where: unset, select, take })),
        ];
        return rows.map((r) => ({ ...r, id: r.userId }));
      }
      case "teams": {
        const select = { teamId: true, budgetDuration: true, budgetResetAt: true };
        const rows = [
          ...(await db.team.findMany({ where: ended, select, orderBy: order, take })),
          ...(await db.team.findMany({ where: unset, select, take })),
        ];
        return rows.map((r) => ({ ...r, id: r.teamId }));
      }
      case "organizations": {
        const select = { organizationId: true, budgetDuration: true, budgetResetAt: true };
        const rows = [
          ...(await db.organization.findMany({ where: ended, select, orderBy: order, take })),
          ...(await db.organization.findMany({ where: unset, select, take })),
        ];
        return rows.map((r) => ({ ...r, id: r.organizationId }));
      }
    }
  }

  private warn(err: unknown): void {
    this.options.logger.warn(
      { reason: err instanceof Error ? err.message : String(err) },
      "spend: could not roll budget windows; will retry",
    );
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.runOnce();
      this.running
        .catch((err: unknown) => this.warn(err))
        .finally(() => this.schedule(this.options.intervalMs ?? 5_000));
    }, delayMs);
    this.timer.unref();
  }
}

/**
 * The window `now` is in, stepped from the row's last window end as nodes step it; a row
 * that never had one gets the window counted from the epoch (as nodes count it), its spend
 * left as is. Undefined: nothing to roll (a duration that never ends, or one not understood).
 */
function rollOf(table: BudgetTable, row: DueRow, now: number): BudgetRoll | undefined {
  const duration = row.budgetDuration;
  if (duration === null) return undefined;
  const from = row.budgetResetAt;
  let bounds: ReturnType<typeof windowAfter>;
  try {
    bounds = windowAfter(now, duration, from?.getTime() ?? 0);
  } catch {
    return undefined;
  }
  if (bounds === undefined) return undefined;
  return {
    table,
    id: row.id,
    duration,
    from,
    start: new Date(bounds.start),
    end: new Date(bounds.end),
  };
}
