import type { Principal } from "../auth/principal.js";
import type { ControlPlane } from "../control-plane.js";
import { InvalidInputError } from "../services/errors.js";

/** What a REST handler gets for one request. */
export interface RouteContext {
  readonly cp: ControlPlane;
  readonly request: Request;
  readonly url: URL;
  /** `:name` segments of the route's path. */
  readonly params: Readonly<Record<string, string>>;
  /** The caller (401 if the key is missing or refused). */
  principal(): Promise<Principal>;
  /** The JSON body as an object (`{}` when empty; 400 when not JSON or not an object). */
  body(): Promise<Record<string, unknown>>;
}

export interface Route {
  readonly method: "GET" | "POST";
  /** Exact path; a segment written `:name` matches any one segment. */
  readonly path: string;
  /** Returns the JSON body of a 200 answer, or throws a ServiceError. */
  handle(ctx: RouteContext): Promise<unknown>;
}

/** A string field of the body or query, or a 400 naming it. */
export function requireString(value: unknown, param: string): string {
  if (typeof value === "string" && value.trim() !== "") return value.trim();
  throw new InvalidInputError(`${param} is required (a non-empty string).`, [
    { path: param, message: "required" },
  ]);
}

/** A list of non-empty strings, or a 400 naming it. */
export function requireStringList(value: unknown, param: string): string[] {
  if (
    Array.isArray(value) &&
    value.length > 0 &&
    value.every((v) => typeof v === "string" && v !== "")
  ) {
    return value as string[];
  }
  throw new InvalidInputError(`${param} is required (a non-empty list of strings).`, [
    { path: param, message: "required" },
  ]);
}

/** Every page of a cursor-paginated service list (management reads, bounded). */
export async function allPages<T>(
  fetchPage: (
    after: string | null,
  ) => Promise<{ nodes: T[]; hasNextPage: boolean; endCursor: string | null }>,
  limit = 10_000,
): Promise<T[]> {
  const out: T[] = [];
  let after: string | null = null;
  for (;;) {
    const page = await fetchPage(after);
    out.push(...page.nodes);
    if (!page.hasNextPage || page.endCursor === null || out.length >= limit) return out;
    after = page.endCursor;
  }
}
