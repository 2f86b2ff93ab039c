import type { Snapshot } from "../../schema/snapshot.js";
import type { SpendUpdate } from "./live-feed.js";

export interface BudgetCrossing {
  level: "soft" | "hard";
  subject: "key" | "user" | "team";
  id: string;
  /** The total right after the request that crossed. */
  spend: number;
  budget: number;
  requestId: string;
  at: Date;
}

/**
 * The soft and hard budget lines a request's spend crossed (total before < line ≤ total
 * after), for the key, user and team, with budgets as the snapshot has them.
 */
export function crossingsOf(update: SpendUpdate, budgets: BudgetIndex): BudgetCrossing[] {
  const out: BudgetCrossing[] = [];
  const check = (
    subject: BudgetCrossing["subject"],
    id: string | null,
    total: number | null,
    lines: { soft?: number; hard?: number } | undefined,
  ) => {
    if (id === null || total === null || lines === undefined) return;
    const before = total - update.spend;
    for (const level of ["soft", "hard"] as const) {
      const line = lines[level];
      if (line !== undefined && before < line && total >= line) {
        out.push({
          level,
          subject,
          id,
          spend: total,
          budget: line,
          requestId: update.requestId,
          at: new Date(update.endTime),
        });
      }
    }
  };
  check("key", update.keyId, update.keyTotal, budgets.keys().get(update.keyId ?? ""));
  check("user", update.userId, update.userTotal, budgets.users().get(update.userId ?? ""));
  check("team", update.teamId, update.teamTotal, budgets.teams().get(update.teamId ?? ""));
  return out;
}

type Lines = Map<string, { soft?: number; hard?: number }>;

/** Budget lines by id, indexed once per snapshot version. */
export class BudgetIndex {
  private version = -1;
  private byKey: Lines = new Map();
  private byUser: Lines = new Map();
  private byTeam: Lines = new Map();

  constructor(private readonly snapshot: () => Snapshot) {}

  keys(): Lines {
    this.refresh();
    return this.byKey;
  }

  users(): Lines {
    this.refresh();
    return this.byUser;
  }

  teams(): Lines {
    this.refresh();
    return this.byTeam;
  }

  private refresh(): void {
    const s = this.snapshot();
    if (s.version === this.version) return;
    this.version = s.version;
    const lines = (e: { softBudget?: number; maxBudget?: number }) => ({
      soft: e.softBudget,
      hard: e.maxBudget,
    });
    this.byKey = new Map(s.keys.map((k) => [k.id, lines(k)]));
    this.byUser = new Map(s.users.map((u) => [u.userId, lines(u)]));
    this.byTeam = new Map(s.teams.map((t) => [t.teamId, lines(t)]));
  }
}
