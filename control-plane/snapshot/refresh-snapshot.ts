import type { SnapshotDelta } from "../../schema/bus-messages.js";
import type { Config } from "../../schema/config.js";
import type { Snapshot } from "../../schema/snapshot.js";
import type { Db } from "../db.js";
import type { ChangeRefs } from "../services/context.js";
import { defaultTimeoutSeconds } from "./build-from-config.js";
import {
  deploymentEntry,
  keyEntries,
  organizationEntry,
  teamEntry,
  userEntry,
} from "./build-snapshot.js";

/**
 * The next snapshot after a change, rereading only the rows the change touched (and the
 * keys of a touched user or team), and the delta to it. Work is proportional to the
 * change, not to the number of keys, so a mutation stays fast at 100k keys.
 */
export async function refreshSnapshot(
  db: Db,
  config: Config,
  prev: Snapshot,
  refs: ChangeRefs,
  change: string,
  now = new Date(),
): Promise<{ snapshot: Snapshot; delta: SnapshotDelta }> {
  const deploymentIds = new Set(refs.deployments ?? []);
  const keyIds = new Set(refs.keys ?? []);
  const userIds = new Set(refs.users ?? []);
  const teamIds = new Set(refs.teams ?? []);
  const organizationIds = new Set(refs.organizations ?? []);
  const keyOwners = userIds.size + teamIds.size > 0;

  const [deploymentRows, keyRows, userRows, teamRows, organizationRows] = await Promise.all([
    deploymentIds.size === 0
      ? []
      : db.deployment.findMany({ where: { id: { in: [...deploymentIds] } } }),
    keyIds.size === 0 && !keyOwners
      ? []
      : db.virtualKey.findMany({
          // Only non-empty branches: an `IN ()` branch can make the database scan every key.
          where: {
            OR: [
              ...(keyIds.size > 0 ? [{ id: { in: [...keyIds] } }] : []),
              ...(userIds.size > 0 ? [{ userId: { in: [...userIds] } }] : []),
              ...(teamIds.size > 0 ? [{ teamId: { in: [...teamIds] } }] : []),
            ],
          },
        }),
    userIds.size === 0 ? [] : db.user.findMany({ where: { userId: { in: [...userIds] } } }),
    teamIds.size === 0 ? [] : db.team.findMany({ where: { teamId: { in: [...teamIds] } } }),
    organizationIds.size === 0
      ? []
      : db.organization.findMany({ where: { organizationId: { in: [...organizationIds] } } }),
  ]);

  const timeout = defaultTimeoutSeconds(config);
  const deployments = replace(
    prev.deployments,
    (d) => deploymentIds.has(d.id),
    deploymentRows.flatMap(
      (row) => deploymentEntry(row, timeout, config.litellm_settings?.drop_params) ?? [],
    ),
    (d) => d.id,
  );
  const keys = replace(
    prev.keys,
    (k) =>
      keyIds.has(k.id) ||
      (k.userId !== undefined && userIds.has(k.userId)) ||
      (k.teamId !== undefined && teamIds.has(k.teamId)),
    keyRows.flatMap((row) => keyEntries(row, now)),
    (k) => k.tokenHash,
  );
  const users = replace(
    prev.users,
    (u) => userIds.has(u.userId),
    userRows.map(userEntry),
    (u) => u.userId,
  );
  const teams = replace(
    prev.teams,
    (t) => teamIds.has(t.teamId),
    teamRows.map(teamEntry),
    (t) => t.teamId,
  );

  const organizations = replace(
    prev.organizations ?? [],
    (o) => organizationIds.has(o.organizationId),
    organizationRows.map(organizationEntry),
    (o) => o.organizationId,
  );

  const snapshot: Snapshot = {
    ...prev,
    version: prev.version + 1,
    builtAt: now.toISOString(),
    deployments: deployments.all,
    keys: keys.all,
    users: users.all,
    teams: teams.all,
    organizations: organizations.all,
  };
  const delta: SnapshotDelta = {
    version: snapshot.version,
    baseVersion: prev.version,
    builtAt: snapshot.builtAt,
    change,
    upsert: {
      deployments: deployments.fresh,
      keys: keys.fresh,
      users: users.fresh,
      teams: teams.fresh,
      organizations: organizations.fresh,
    },
    remove: {
      deployments: deployments.gone,
      keys: keys.gone,
      users: users.gone,
      teams: teams.gone,
      organizations: organizations.gone,
    },
  };
  return { snapshot, delta };
}

/**
 * `list` with the entries `touched` selects replaced by `fresh`; `gone` are the ids of
 * touched entries that have no fresh successor.
 */
function replace<T>(
  list: readonly T[],
  touched: (x: T) => boolean,
  fresh: T[],
  id: (x: T) => string,
) {
  const freshIds = new Set(fresh.map(id));
  const all: T[] = [];
  const gone: string[] = [];
  for (const x of list) {
    if (!touched(x) && !freshIds.has(id(x))) all.push(x);
    else if (touched(x) && !freshIds.has(id(x))) gone.push(id(x));
  }
  all.push(...fresh);
  return { all, fresh, gone };
}
