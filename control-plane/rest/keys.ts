import type { VirtualKey } from "../../generated/sqlite/client.js";
import { canManageKey, ensure } from "../auth/policy.js";
import type { Principal } from "../auth/principal.js";
import type { ControlPlane } from "../control-plane.js";
import { InvalidInputError, NotFoundError } from "../services/errors.js";
import type { GeneratedKey } from "../services/keys.js";
import {
  type Route,
  type RouteContext,
  allPages,
  requireString,
  requireStringList,
} from "./route.js";
import { serviceInput, toWire } from "./wire.js";

/**
 * LiteLLM's key management: /key/generate, /key/update, /key/delete, /key/regenerate,
 * /key/block, /key/unblock, /key/info. A key is named by its plaintext or its SHA-256
 * (`token`), as LiteLLM allows.
 */
export const keyRoutes: Route[] = [
  {
    method: "POST",
    path: "/key/generate",
    async handle(ctx) {
      const body = await ctx.body();
      refuseCustomKey(body, "key");
      const generated = await ctx.cp.keys.generate(await ctx.principal(), serviceInput(body));
      return generatedKeyJson(generated);
    },
  },
  {
    method: "POST",
    path: "/key/update",
    async handle(ctx) {
      const body = await ctx.body();
      const p = await ctx.principal();
      const given = requireString(body.key, "key");
      const key = await ctx.cp.keys.findByKeyOrHash(p, given);
      const updated = await ctx.cp.keys.update(p, key.id, serviceInput(body, ["key"]));
      return { key: given, ...keyJson(updated) };
    },
  },
  {
    method: "POST",
    path: "/key/delete",
    async handle(ctx) {
      const body = await ctx.body();
      const p = await ctx.principal();
      const named: [string, VirtualKey][] = [];
      if (body.keys !== undefined) {
        for (const k of requireStringList(body.keys, "keys"))
          named.push([k, await ctx.cp.keys.findByKeyOrHash(p, k)]);
      }
      if (body.key_aliases !== undefined) {
        for (const alias of requireStringList(body.key_aliases, "key_aliases")) {
          named.push([alias, await findByAlias(ctx.cp, p, alias)]);
        }
      }
      if (named.length === 0) {
        throw new InvalidInputError("Pass keys (plaintexts or hashes) or key_aliases to delete.", [
          { path: "keys", message: "required" },
        ]);
      }
      // All or nothing: every key is found and deletable before the first goes.
      for (const [, key] of named)
        ensure(canManageKey(p, key), `You may not delete key ${key.keyName}.`);
      const done = new Set<string>();
      for (const [, key] of named) {
        if (done.has(key.id)) continue;
        await ctx.cp.keys.delete(p, key.id);
        done.add(key.id);
      }
      return { deleted_keys: named.map(([given]) => given) };
    },
  },
  { method: "POST", path: "/key/regenerate", handle: (ctx) => regenerate(ctx, undefined) },
  {
    method: "POST",
    path: "/key/:key/regenerate",
    handle: (ctx) => regenerate(ctx, ctx.params.key),
  },
  { method: "POST", path: "/key/block", handle: (ctx) => setBlocked(ctx, true) },
  { method: "POST", path: "/key/unblock", handle: (ctx) => setBlocked(ctx, false) },
  {
    method: "GET",
    path: "/key/info",
    async handle(ctx) {
      const p = await ctx.principal();
      const given = ctx.url.searchParams.get("key");
      if (given !== null && given !== "") {
        const key = await ctx.cp.keys.findByKeyOrHash(p, given);
        return { key: given, info: keyInfoJson(key) };
      }
      // No ?key=: the key the caller presented.
      if (p.keyId === undefined) {
        throw new InvalidInputError("Pass ?key=<key or hash>: the master key has no key record.", [
          { path: "key", message: "required" },
        ]);
      }
      const key = await ctx.cp.keys.get(p, p.keyId);
      return { key: key.token, info: keyInfoJson(key) };
    },
  },
];

/** A key as LiteLLM shows it. `token` is the key's SHA-256, never the key itself. */
export function keyJson(key: VirtualKey): Record<string, unknown> {
  return toWire(key, ["previousToken", "previousTokenExpires"]);
}

/** /key/info's `info`: as LiteLLM, without the hash. */
function keyInfoJson(key: VirtualKey): Record<string, unknown> {
  const { token: _token, ...info } = keyJson(key);
  return info;
}

/** The one answer that carries a plaintext key: the key just created (shown once). */
export function generatedKeyJson({ key, record }: GeneratedKey): Record<string, unknown> {
  return { ...keyJson(record), key, token_id: record.token };
}

async function regenerate(ctx: RouteContext, fromPath: string | undefined): Promise<unknown> {
  const body = await ctx.body();
  refuseCustomKey(body, "new_key");
  const p = await ctx.principal();
  const key = await ctx.cp.keys.findByKeyOrHash(p, fromPath ?? requireString(body.key, "key"));
  // LiteLLM lets the same call change the key's settings.
  const changes = serviceInput(body, ["key", "grace_period", "new_master_key"]);
  if (Object.keys(changes).length > 0) await ctx.cp.keys.update(p, key.id, changes);
  const regenerated = await ctx.cp.keys.regenerate(p, key.id, { gracePeriod: body.grace_period });
  return generatedKeyJson(regenerated);
}

async function setBlocked(ctx: RouteContext, blocked: boolean): Promise<unknown> {
  const body = await ctx.body();
  const p = await ctx.principal();
  const key = await ctx.cp.keys.findByKeyOrHash(p, requireString(body.key, "key"));
  return keyJson(await ctx.cp.keys.setBlocked(p, key.id, blocked));
}

async function findByAlias(cp: ControlPlane, p: Principal, alias: string): Promise<VirtualKey> {
  const [key] = await allPages(
    (after) => cp.keys.list(p, { keyAlias: alias }, { first: 1, after }),
    1,
  );
  if (key === undefined) throw new NotFoundError(`Key with alias "${alias}" not found.`);
  return key;
}

/** Keys are always random here: a caller-chosen key value is refused, not silently replaced. */
function refuseCustomKey(body: Record<string, unknown>, field: string): void {
  if (body[field] !== undefined && body[field] !== null) {
    throw new InvalidInputError(
      `${field}: choosing the key value is not supported; omit it and a random key is made.`,
      [{ path: field, message: "not supported" }],
    );
  }
}
