import type {
  KeyEntry,
  OrganizationEntry,
  Snapshot,
  TeamEntry,
  UserEntry,
} from "../../schema/snapshot.js";
import type { Caller } from "../auth/authenticate.js";

/** The limit and budget fields keys, users, teams and the whole gateway share. */
export interface LimitFields {
  readonly rpmLimit?: number | undefined;
  readonly tpmLimit?: number | undefined;
  readonly maxParallelRequests?: number | undefined;
  readonly maxBudget?: number | undefined;
  readonly softBudget?: number | undefined;
  readonly budgetDuration?: string | undefined;
  readonly budgetResetAt?: number | undefined;
  readonly spend: number;
}

export type SubjectKind = "key" | "user" | "team" | "organization" | "global";

/** Something limits apply to: a key, its user, its team, or the whole gateway. */
export interface Subject {
  readonly kind: SubjectKind;
  readonly id: string;
  /** How errors name it: `key sk-...abcd`, `user alice`, `team t1`, `the gateway`. */
  readonly label: string;
  readonly limits: LimitFields;
}

const globalFields = new WeakMap<Snapshot["settings"], Subject | null>();

/** The gateway's own limits (`global_max_rpm`, `global_max_tpm`, `max_budget`), if any. */
export function globalSubject(settings: Snapshot["settings"]): Subject | undefined {
  let s = globalFields.get(settings);
  if (s === undefined) {
    const limits: LimitFields = {
      rpmLimit: settings.globalMaxRpm,
      tpmLimit: settings.globalMaxTpm,
      maxBudget: settings.globalMaxBudget,
      budgetDuration: settings.globalBudgetDuration,
      spend: 0,
    };
    s = hasLimits(limits) ? { kind: "global", id: "global", label: "the gateway", limits } : null;
    globalFields.set(settings, s);
  }
  return s ?? undefined;
}

const keySubjects = new WeakMap<KeyEntry, Subject>();
const userSubjects = new WeakMap<UserEntry, Subject>();
const teamSubjects = new WeakMap<TeamEntry, Subject>();
const organizationSubjects = new WeakMap<OrganizationEntry, Subject>();

/**
 * The subjects whose limits a caller's request counts against, most specific first. The
 * master key has none (it is not rate limited); open mode has only the gateway's.
 */
export function subjectsOf(caller: Caller, settings: Snapshot["settings"]): Subject[] {
  const out: Subject[] = [];
  if (caller.kind === "key") {
    out.push(cached(keySubjects, caller.key, "key", caller.key.id, `key ${caller.key.keyName}`));
    if (caller.user !== undefined) {
      const u = caller.user;
      out.push(cached(userSubjects, u, "user", u.userId, `user ${u.userId}`));
    }
    if (caller.team !== undefined) {
      const t = caller.team;
      out.push(cached(teamSubjects, t, "team", t.teamId, `team ${t.teamId}`));
    }
    const o = caller.organization;
    if (o !== undefined && o.maxBudget !== undefined) {
      out.push(
        cached(
          organizationSubjects,
          o,
          "organization",
          o.organizationId,
          `organization ${o.organizationId}`,
        ),
      );
    }
  }
  if (caller.kind !== "master") {
    const g = globalSubject(settings);
    if (g !== undefined) out.push(g);
  }
  return out;
}

function cached<E extends LimitFields & object>(
  map: WeakMap<E, Subject>,
  entry: E,
  kind: SubjectKind,
  id: string,
  label: string,
): Subject {
  let s = map.get(entry);
  if (s === undefined) {
    s = { kind, id, label, limits: entry };
    map.set(entry, s);
  }
  return s;
}

export function hasLimits(l: LimitFields): boolean {
  return (
    l.rpmLimit !== undefined ||
    l.tpmLimit !== undefined ||
    l.maxParallelRequests !== undefined ||
    l.maxBudget !== undefined ||
    l.softBudget !== undefined
  );
}
