// @prisma/adapter-better-sqlite3's types import `Options` from "better-sqlite3", which ships no
// types, and @types/better-sqlite3 is not a dependency. This is the part the adapter needs.
declare module "better-sqlite3" {
  export interface Options {
    readonly?: boolean;
    fileMustExist?: boolean;
    /** Milliseconds to wait on a locked database before SQLITE_BUSY. */
    timeout?: number;
    verbose?: (message?: unknown, ...additional: unknown[]) => void;
    nativeBinding?: string;
  }
}

// The part the spend ingester uses directly (control-plane/spend/sqlite-spend-store.ts).
declare module "better-sqlite3" {
  export interface RunResult {
    changes: number;
    lastInsertRowid: number | bigint;
  }
  export interface Statement {
    run(...params: unknown[]): RunResult;
    get(...params: unknown[]): unknown;
    all(...params: unknown[]): unknown[];
  }
  export interface Transaction<F extends (...args: never[]) => unknown> {
    (...args: Parameters<F>): ReturnType<F>;
    immediate(...args: Parameters<F>): ReturnType<F>;
  }
  export default class Database {
    constructor(path: string, options?: Options);
    prepare(sql: string): Statement;
    exec(sql: string): this;
    pragma(source: string): unknown;
    transaction<F extends (...args: never[]) => unknown>(fn: F): Transaction<F>;
    close(): this;
  }
}
