import { pino } from "pino";
import { buildSnapshotFromConfig } from "../../../control-plane/snapshot/build-from-config.js";
import { Router } from "../../../data-plane/router/router.js";
import {
  IndexedSnapshot,
  resolveGroup,
  type ModelGroup,
} from "../../../data-plane/snapshot/indexed-snapshot.js";
import { ConfigSchema } from "../../../schema/config.js";
import { DEFAULT_ROUTER_SETTINGS, type RouterSettings } from "../../../schema/snapshot.js";

/** A snapshot from a config object (the config file's shape), as the data plane indexes it. */
export function snapshotOf(config: Record<string, unknown>): IndexedSnapshot {
  return new IndexedSnapshot(buildSnapshotFromConfig(ConfigSchema.parse(config)));
}

export function settingsOf(snapshot: IndexedSnapshot): RouterSettings {
  return snapshot.settings.router ?? DEFAULT_ROUTER_SETTINGS;
}

export function groupOf(snapshot: IndexedSnapshot, model: string): ModelGroup {
  const group = resolveGroup(snapshot, model);
  if (group === undefined) throw new Error(`no group for ${model}`);
  return group;
}

export function newRouter(random?: () => number): Router {
  return new Router(pino({ level: "silent" }), undefined, random);
}

/** A deterministic uniform [0, 1) generator (mulberry32), so distributions are reproducible. */
export function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `model_list` entries for the mock provider, named `name`, with extra litellm_params each. */
export function deployments(
  name: string,
  params: Record<string, unknown>[],
): Record<string, unknown>[] {
  return params.map((p, i) => ({
    model_name: name,
    litellm_params: { model: `mock/${name}-${i}`, ...p },
    model_info: { id: p.id ?? `${name}-${i}` },
  }));
}
