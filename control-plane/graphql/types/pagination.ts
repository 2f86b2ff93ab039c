import type { ObjectRef } from "@pothos/core";
import type { Page } from "../../services/pagination.js";
import { type BuilderTypes, builder } from "../builder.js";

interface PageInfo {
  hasNextPage: boolean;
  endCursor: string | null;
}

const PageInfoRef = builder.objectRef<PageInfo>("PageInfo").implement({
  description: "Pass `endCursor` as `after` to get the next page.",
  fields: (t) => ({
    hasNextPage: t.exposeBoolean("hasNextPage"),
    endCursor: t.exposeString("endCursor", { nullable: true }),
  }),
});

/** `<Name>Connection { nodes, pageInfo }` over a service `Page`. */
export function connection<T>(name: string, node: ObjectRef<BuilderTypes, T>) {
  return builder.objectRef<Page<T>>(`${name}Connection`).implement({
    fields: (t) => ({
      nodes: t.field({ type: [node], resolve: (page) => page.nodes }),
      pageInfo: t.field({ type: PageInfoRef, resolve: (page) => page }),
    }),
  });
}

/** The `first` and `after` arguments of every list query. */
export const pageArgs = builder.args((t) => ({
  first: t.int({ description: "Page size (default 50, at most 500)." }),
  after: t.string({ description: "The `endCursor` of the previous page." }),
}));
