/** Cursor pagination over rows ordered by a unique string id. */
export interface Page<T> {
  nodes: T[];
  hasNextPage: boolean;
  /** Pass as `after` to get the next page. */
  endCursor: string | null;
}

export interface PageRequest {
  first?: number | null;
  after?: string | null;
}

const DEFAULT_PAGE = 50;
const MAX_PAGE = 500;

/** Prisma `findMany` arguments for a page of rows ordered by `idField`. */
export function pageArgs<F extends string>(page: PageRequest, idField: F) {
  const first = Math.min(Math.max(page.first ?? DEFAULT_PAGE, 1), MAX_PAGE);
  return {
    first,
    // One extra row tells whether another page follows.
    take: first + 1,
    orderBy: { [idField]: "asc" } as Record<F, "asc">,
    ...(page.after ? { cursor: { [idField]: page.after } as Record<F, string>, skip: 1 } : {}),
  };
}

export function toPage<T>(rows: T[], first: number, id: (row: T) => string): Page<T> {
  const hasNextPage = rows.length > first;
  const nodes = hasNextPage ? rows.slice(0, first) : rows;
  const last = nodes.at(-1);
  return { nodes, hasNextPage, endCursor: last === undefined ? null : id(last) };
}
