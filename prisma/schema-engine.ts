/**
 * Prisma's schema engine (migrations, diffs) as WebAssembly, driven through the same driver
 * adapters the app uses. This replaces the native `schema-engine` binary the Prisma CLI would
 * download, so migrations work air-gapped. See ../../shared/PRISMA-OFFLINE.md for the why of
 * each workaround below.
 */
import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { PrismaBetterSqlite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaPg } from "@prisma/adapter-pg";
import {
  bindMigrationAwareSqlAdapterFactory,
  type SqlDriverAdapter,
  type SqlMigrationAwareDriverAdapterFactory,
  type SqlQuery,
} from "@prisma/driver-adapter-utils";
import type { SchemaEngine } from "@prisma/schema-engine-wasm";
import pg from "pg";
import type { DatabaseTarget } from "./database-url.js";

export type { SchemaEngine } from "@prisma/schema-engine-wasm";

export interface EngineOptions {
  /** Schema file path (used in engine messages) and its text. */
  schema: { path: string; text: string };
  /** Postgres only: where to create (and drop) shadow databases; defaults to the target. */
  shadowDatabaseUrl?: string;
}

/**
 * Runs `fn` with a schema engine connected to `target`, then frees the engine and closes every
 * connection it opened. Calls are serialized: one engine at a time per process.
 */
export function withSchemaEngine<T>(
  target: DatabaseTarget,
  options: EngineOptions,
  fn: (engine: SchemaEngine) => Promise<T>,
): Promise<T> {
  const run = queue.then(async () => {
    const { SchemaEngine } = await loadWasm();
    const factory = new TrackingFactory(target, options.shadowDatabaseUrl);
    let engine: SchemaEngine | undefined;
    try {
      engine = await SchemaEngine.new(
        { datamodels: [[options.schema.path, options.schema.text]] },
        () => {},
        bindMigrationAwareSqlAdapterFactory(factory),
      );
      return await fn(engine);
    } finally {
      engine?.free();
      await factory.disposeAll();
    }
  });
  queue = run.then(
    () => undefined,
    () => undefined,
  );
  return run;
}

let queue: Promise<void> = Promise.resolve();

type WasmGlue = typeof import("@prisma/schema-engine-wasm/schema_engine_bg");
let wasmGlue: Promise<WasmGlue> | undefined;

/** Instantiates the Wasm module once per process (a second instance corrupts the first). */
function loadWasm(): Promise<WasmGlue> {
  wasmGlue ??= (async () => {
    const glueUrl = import.meta.resolve("@prisma/schema-engine-wasm/schema_engine_bg");
    const glue: WasmGlue = await import(glueUrl);
    const bytes = await readFile(new URL(glueUrl.replace(/\.js$/, ".wasm")));
    const imports: Record<string, unknown> = { ...glue };
    // The engine arms a 10 s timer it never clears; unref it so processes exit promptly.
    for (const name of Object.keys(imports)) {
      if (name.startsWith("__wbg_setTimeout_")) {
        imports[name] = (fn: () => void, ms: number) => setTimeout(fn, ms >>> 0).unref();
      }
    }
    const { instance } = await wasmRuntime().instantiate(bytes, {
      "./schema_engine_bg.js": imports,
    });
    glue.__wbg_set_wasm(instance.exports);
    (instance.exports.__wbindgen_start as () => void)();
    return glue;
  })();
  return wasmGlue;
}

/** The global WebAssembly object, typed here: our lib (ES2023, no DOM) does not declare it. */
function wasmRuntime(): {
  instantiate(
    bytes: Uint8Array,
    imports: Record<string, Record<string, unknown>>,
  ): Promise<{ instance: { exports: Record<string, unknown> } }>;
} {
  return (globalThis as unknown as { WebAssembly: ReturnType<typeof wasmRuntime> }).WebAssembly;
}

/** Opens the engine's connections (main and shadow) and remembers them to close them all. */
class TrackingFactory implements SqlMigrationAwareDriverAdapterFactory {
  readonly provider: "sqlite" | "postgres";
  readonly adapterName = "switchyard-schema-engine";
  readonly #open = new Set<SqlDriverAdapter>();
  readonly #target: DatabaseTarget;
  readonly #shadowUrl: string | undefined;

  constructor(target: DatabaseTarget, shadowDatabaseUrl?: string) {
    this.#target = target;
    this.#shadowUrl = shadowDatabaseUrl;
    this.provider = target.provider === "sqlite" ? "sqlite" : "postgres";
  }

  async connect(): Promise<SqlDriverAdapter> {
    const t = this.#target;
    const adapter =
      t.provider === "sqlite"
        ? await sqliteAdapter(t.path)
        : await postgresAdapter(t.url, t.schema);
    return this.#track(adapter);
  }

  async connectToShadowDb(): Promise<SqlDriverAdapter> {
    const t = this.#target;
    if (t.provider === "sqlite") return this.#track(await sqliteAdapter(":memory:"));
    return this.#track(await postgresShadowAdapter(this.#shadowUrl ?? t.url));
  }

  async disposeAll(): Promise<void> {
    const open = [...this.#open];
    this.#open.clear();
    await Promise.allSettled(open.map((a) => a.dispose()));
  }

  #track(adapter: SqlDriverAdapter): SqlDriverAdapter {
    const dispose = adapter.dispose.bind(adapter);
    let disposing: Promise<void> | undefined;
    // The engine may dispose a connection itself; make the second call a no-op.
    adapter.dispose = () => {
      this.#open.delete(adapter);
      disposing ??= dispose();
      return disposing;
    };
    this.#open.add(adapter);
    return adapter;
  }
}

async function sqliteAdapter(path: string): Promise<SqlDriverAdapter> {
  const adapter = await new PrismaBetterSqlite3({ url: path, timeout: 5_000 }).connect();
  // The engine runs whole migration scripts through an arg-less executeRaw, but
  // better-sqlite3 prepares one statement at a time: send those to executeScript.
  const executeRaw = adapter.executeRaw.bind(adapter);
  adapter.executeRaw = async (query: SqlQuery) => {
    if (query.args.length > 0) return executeRaw(query);
    await adapter.executeScript(query.sql);
    return 0;
  };
  return adapter;
}

async function postgresAdapter(url: string, schema?: string): Promise<SqlDriverAdapter> {
  // One connection: the engine's advisory lock is held per session.
  const pool = new pg.Pool({ connectionString: url, max: 1, Client: CharAsTextClient });
  const options = schema ? { schema, disposeExternalPool: true } : { disposeExternalPool: true };
  return new PrismaPg(pool, options).connect();
}

/**
 * adapter-pg's own shadow database ignores the name when given a connection string and drops
 * it before closing its pool; so: create it here, connect with one connection, and drop it
 * (WITH FORCE) after the adapter is disposed.
 */
async function postgresShadowAdapter(url: string): Promise<SqlDriverAdapter> {
  const name = `switchyard_shadow_${randomUUID().replaceAll("-", "")}`;
  await adminQuery(url, `CREATE DATABASE "${name}"`);
  const shadowUrl = new URL(url);
  shadowUrl.pathname = `/${name}`;
  let adapter: SqlDriverAdapter;
  try {
    adapter = await postgresAdapter(shadowUrl.toString());
  } catch (err) {
    await adminQuery(url, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    throw err;
  }
  const dispose = adapter.dispose.bind(adapter);
  adapter.dispose = async () => {
    try {
      await dispose();
    } finally {
      await adminQuery(url, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    }
  };
  return adapter;
}

async function adminQuery(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

const PG_CHAR_OID = 18;
const PG_TEXT_OID = 25;

/**
 * adapter-pg cannot decode Postgres' internal `"char"` type, which the engine reads from the
 * catalogs (e.g. `pg_constraint.contype`). Its text form is the character, so call it text.
 */
class CharAsTextClient extends pg.Client {
  // biome-ignore lint/suspicious/noExplicitAny: pg.Client.query has many overloads; this wraps all of them.
  override query(...args: any[]): any {
    const last = args.at(-1);
    if (typeof last === "function") {
      // Callback form, as pg.Pool calls it.
      args[args.length - 1] = (err: Error | null, res: pg.QueryResult) => {
        if (res) charAsText(res);
        last(err, res);
      };
    }
    // biome-ignore lint/suspicious/noExplicitAny: see above.
    const result = (super.query as (...a: any[]) => any)(...args);
    if (result && typeof result.then === "function") {
      return result.then((res: pg.QueryResult) => charAsText(res));
    }
    return result;
  }
}

function charAsText(res: pg.QueryResult): pg.QueryResult {
  for (const field of res.fields ?? []) {
    if (field.dataTypeID === PG_CHAR_OID) field.dataTypeID = PG_TEXT_OID;
  }
  return res;
}
