import { randomBytes } from "node:crypto";
import type { HttpRequest } from "uWebSockets.js";
import { presentedKey } from "../auth/authenticate.js";

/** The headers a route needs, read synchronously (uWS's `req` dies at the first await). */
export interface RequestHeaders {
  key: string | undefined;
  requestId: string;
  contentLength: number | undefined;
  /** `x-switchyard-tags`, comma-separated, as sent (empty: none). Tag routing and spend read it. */
  tags: string;
}

const MAX_REQUEST_ID = 200;

// Unique across nodes and restarts without a random draw per request: a random per-process
// prefix and a counter.
const ID_PREFIX = `req_${randomBytes(6).toString("hex")}`;
let idCounter = 0;
/** Whether `id` was made here (unique) rather than sent by the client (which may repeat it). */
export function isGeneratedRequestId(id: string): boolean {
  return id.startsWith(ID_PREFIX);
}

function nextRequestId(): string {
  return `${ID_PREFIX}${(idCounter++).toString(36).padStart(6, "0")}`;
}

export function readRequestHeaders(req: HttpRequest): RequestHeaders {
  const sent = req.getHeader("x-request-id");
  const length = req.getHeader("content-length");
  const authorization = req.getHeader("authorization");
  return {
    key:
      (authorization !== "" ? presentedKey(authorization, "", "") : undefined) ??
      presentedKey("", req.getHeader("x-api-key"), req.getHeader("api-key")),
    // Echo the client's id so its logs and ours line up; make one otherwise.
    requestId:
      sent !== "" && sent.length <= MAX_REQUEST_ID && isPrintable(sent) ? sent : nextRequestId(),
    contentLength: length === "" ? undefined : Number(length),
    tags: req.getHeader("x-switchyard-tags"),
  };
}

function isPrintable(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}
