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
