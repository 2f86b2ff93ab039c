import type { Dispatcher } from "undici";
import type { ApiError } from "../../schema/errors.js";
import type { Deployment } from "../../schema/snapshot.js";

/** More than any provider's error JSON; a larger body (an HTML page, say) is cut here. */
const MAX_ERROR_BODY = 64 * 1024;

/** How a provider turns an upstream error answer into the client's error. */
export type HttpErrorMapper = (
  status: number,
  bodyText: string,
  retryAfter: string | undefined,
  deployment: Deployment,
) => ApiError;

/**
 * Reads an upstream's error answer (bounded, the rest drained so the socket can be reused)
 * and maps it with the provider's own mapper.
 */
export async function upstreamError(
  res: Dispatcher.ResponseData,
  deployment: Deployment,
  map: HttpErrorMapper,
): Promise<ApiError> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body as AsyncIterable<Buffer>) {
    if (size < MAX_ERROR_BODY) parts.push(chunk);
    size += chunk.length;
  }
  const text = Buffer.concat(parts).subarray(0, MAX_ERROR_BODY).toString("utf8");
  const retryAfter = res.headers["retry-after"];
  return map(
    res.statusCode,
    text,
    typeof retryAfter === "string" ? retryAfter : undefined,
    deployment,
  );
}
