/**
 * The request's routing tags: `x-switchyard-tags` (comma-separated) and the body's
 * `metadata.tags`. Undefined when there are none, which is the common case and allocates
 * nothing.
 */
export function requestTags(
  header: string,
  body: Readonly<Record<string, unknown>>,
): string[] | undefined {
  let tags: string[] | undefined;
  if (header !== "") {
    for (const raw of header.split(",")) {
      const tag = raw.trim();
      if (tag === "") continue;
      tags ??= [];
      tags.push(tag);
    }
  }
  const metadata = body.metadata;
  if (typeof metadata === "object" && metadata !== null) {
    const list = (metadata as { tags?: unknown }).tags;
    if (Array.isArray(list)) {
      for (const tag of list) {
        if (typeof tag !== "string" || tag === "") continue;
        tags ??= [];
        tags.push(tag);
      }
    }
  }
  return tags;
}
