import type { HttpResponse } from "uWebSockets.js";

/**
 * Reads a request body of at most `limit` bytes as UTF-8 text. uWS hands each chunk as an
 * ArrayBuffer valid only during the callback: a one-chunk body is decoded in place; a
 * multi-chunk body is copied as it arrives.
 */
export function readBodyText(
  res: HttpResponse,
  limit: number,
  onBody: (text: string) => void,
  onTooLarge: () => void,
): void {
  let parts: Buffer[] | undefined;
  let size = 0;
  let refused = false;
  res.onData((chunk, isLast) => {
    if (refused) return;
    size += chunk.byteLength;
    if (size > limit) {
      refused = true;
      onTooLarge();
      return;
    }
    if (isLast) {
      if (parts === undefined) {
        onBody(Buffer.from(chunk).toString("utf8"));
      } else {
        parts.push(Buffer.from(new Uint8Array(chunk)));
        onBody(Buffer.concat(parts, size).toString("utf8"));
      }
      return;
    }
    parts ??= [];
    parts.push(Buffer.from(new Uint8Array(chunk)));
  });
}
