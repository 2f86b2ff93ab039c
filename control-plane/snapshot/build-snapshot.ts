import type { Config } from "../../schema/config.js";
import { LitellmParamsSchema, ModelInfoSchema } from "../../schema/config.js";
import type { KeyEntry, Snapshot, TeamEntry, UserEntry } from "../../schema/snapshot.js";
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
  const [deployments, keys, users, teams] = await Promise.all([
    db.deployment.findMany({ orderBy: { id: "asc" } }),
    db.virtualKey.findMany(),
    db.user.findMany(),
    db.team.findMany(),
  ]);
  const timeout = defaultTimeoutSeconds(config);
  for (const d of deployments) {
    const params = LitellmParamsSchema.safeParse(JSON.parse(d.litellmParams));
    const info = ModelInfoSchema.safeParse(JSON.parse(d.modelInfo));
    // Rows are validated when written; one that no longer parses is left out, not fatal.
    if (!params.success) continue;
    base.deployments.push({
      ...toDeployment(
        {
          model_name: d.modelName,
          litellm_params: params.data,
          model_info: info.success ? info.data : {},
        },
        timeout,
      ),
      id: d.id,
    });
  }
  const keyEntries: KeyEntry[] = [];
  for (const k of keys) {
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
    keyEntries.push(entry);
    if (
      k.previousToken !== null &&
      k.previousTokenExpires !== null &&
      k.previousTokenExpires > now
    ) {
      const graceEnd = k.previousTokenExpires.getTime();
      keyEntries.push({
        ...entry,
        tokenHash: k.previousToken,
        expiresAt: entry.expiresAt === undefined ? graceEnd : Math.min(entry.expiresAt, graceEnd),
      });
    }
  }
  const userEntries: UserEntry[] = users.map((u) => ({
    userId: u.userId,
    role: u.userRole,
    models: readList(u.models),
    ...limits(u),
  }));
  const teamEntries: TeamEntry[] = teams.map((t) => ({
    teamId: t.teamId,
    models: readList(t.models),
    blocked: t.blocked,
    organizationId: t.organizationId ?? undefined,
    ...limits(t),
  }));
  return { ...base, keys: keyEntries, users: userEntries, teams: teamEntries };
}

interface LimitColumns {
  rpmLimit: number | null;
  tpmLimit: number | null;
  maxParallelRequests: number | null;
  maxBudget: number | null;
  budgetDuration: string | null;
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
    spend: row.spend,
  };
}
