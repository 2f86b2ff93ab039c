import type {
  Deployment as DeploymentRow,
  Organization,
  Team,
  User,
  VirtualKey,
} from "../../generated/sqlite/client.js";
import type { Config } from "../../schema/config.js";
import { LitellmParamsSchema, ModelInfoSchema } from "../../schema/config.js";
import type {
  Deployment,
  KeyEntry,
  OrganizationEntry,
  Snapshot,
  TeamEntry,
  UserEntry,
} from "../../schema/snapshot.js";
import { type Db, readList } from "../db.js";
import {
  buildSnapshotFromConfig,
  defaultTimeoutSeconds,
  toDeployment,
} from "./build-from-config.js";

/**
 * The whole snapshot: the config file's deployments and settings, plus the database's
 * deployments, keys (by hash, a regenerated key's old hash while its grace lasts), users
 * and teams.
 */
export async function buildSnapshot(
  db: Db,
  config: Config,
  version: number,
  now = new Date(),
): Promise<Snapshot> {
  const base = buildSnapshotFromConfig(config, version);
  const [deployments, keys, users, teams, organizations] = await Promise.all([
    db.deployment.findMany({ orderBy: { id: "asc" } }),
    db.virtualKey.findMany(),
    db.user.findMany(),
    db.team.findMany(),
    db.organization.findMany(),
  ]);
  const timeout = defaultTimeoutSeconds(config);
  for (const d of deployments) {
    const entry = deploymentEntry(d, timeout, config.litellm_settings?.drop_params);
    if (entry !== undefined) base.deployments.push(entry);
  }
  return {
    ...base,
    keys: keys.flatMap((k) => keyEntries(k, now)),
    users: users.map(userEntry),
    teams: teams.map(teamEntry),
    organizations: organizations.map(organizationEntry),
  };
}

export function organizationEntry(o: Organization): OrganizationEntry {
  return {
    organizationId: o.organizationId,
    models: readList(o.models),
    maxBudget: o.maxBudget ?? undefined,
    budgetDuration: o.budgetDuration ?? undefined,
    budgetResetAt: o.budgetResetAt?.getTime(),
    spend: o.spend,
  };
}

/** A DB deployment row as the data plane sees it; a row that no longer parses is left out. */
export function deploymentEntry(
  d: DeploymentRow,
  timeoutSeconds: number,
  dropParamsDefault?: boolean,
): Deployment | undefined {
  const params = LitellmParamsSchema.safeParse(JSON.parse(d.litellmParams));
  const info = ModelInfoSchema.safeParse(JSON.parse(d.modelInfo));
  if (!params.success) return undefined;
  const entry = {
    model_name: d.modelName,
    litellm_params: params.data,
    model_info: info.success ? info.data : {},
  };
  return { ...toDeployment(entry, timeoutSeconds, dropParamsDefault), id: d.id };
}

/** A key's entries: its hash, and a regenerated key's old hash while its grace lasts. */
export function keyEntries(k: VirtualKey, now: Date): KeyEntry[] {
  const entry: KeyEntry = {
    tokenHash: k.token,
    id: k.id,
    keyName: k.keyName,
    keyAlias: k.keyAlias ?? undefined,
    models: readList(k.models),
    blocked: k.blocked,
    expiresAt: k.expires?.getTime(),
    userId: k.userId ?? undefined,
    teamId: k.teamId ?? undefined,
    ...limits(k),
    softBudget: k.softBudget ?? undefined,
  };
  if (
    k.previousToken === null ||
    k.previousTokenExpires === null ||
    k.previousTokenExpires <= now
  ) {
    return [entry];
  }
  const graceEnd = k.previousTokenExpires.getTime();
  return [
    entry,
    {
      ...entry,
      tokenHash: k.previousToken,
      expiresAt: entry.expiresAt === undefined ? graceEnd : Math.min(entry.expiresAt, graceEnd),
    },
  ];
}

export function userEntry(u: User): UserEntry {
  return { userId: u.userId, role: u.userRole, models: readList(u.models), ...limits(u) };
}

export function teamEntry(t: Team): TeamEntry {
  return {
    teamId: t.teamId,
    models: readList(t.models),
    blocked: t.blocked,
    organizationId: t.organizationId ?? undefined,
    ...limits(t),
  };
}

interface LimitColumns {
  rpmLimit: number | null;
  tpmLimit: number | null;
  maxParallelRequests: number | null;
  maxBudget: number | null;
  budgetDuration: string | null;
  budgetResetAt: Date | null;
  spend: number;
}

/** The limit and budget columns keys, users and teams share, as snapshot fields. */
function limits(row: LimitColumns) {
  return {
    rpmLimit: row.rpmLimit ?? undefined,
    tpmLimit: row.tpmLimit ?? undefined,
    maxParallelRequests: row.maxParallelRequests ?? undefined,
    maxBudget: row.maxBudget ?? undefined,
    budgetDuration: row.budgetDuration ?? undefined,
    budgetResetAt: row.budgetResetAt?.getTime(),
    spend: row.spend,
  };
}
