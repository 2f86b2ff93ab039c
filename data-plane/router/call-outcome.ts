import type { Deployment } from "../../schema/snapshot.js";
import type { Usage } from "../providers/types.js";

/**
 * What the hot path learns of one request's upstream work, filled in as it happens: limits
 * settle from it, the spend record is built from it, the answer's headers quote it.
 */
export interface CallOutcome {
  /** The deployment that answered, or the last one tried. */
  deployment: Deployment | undefined;
  /** The provider's usage report (absent: an error, or a stream cut before its last chunk). */
  usage: Usage | undefined;
  /** Chunks streamed to the client. */
  chunks: number;
  /** Attempts after the first on the same group (retries) and on other groups (fallbacks). */
  retries: number;
  fallbacks: number;
  /** The gateway's error code when the request failed (OpenAI `error.code`). */
  errorCode: string | undefined;
}

export function newOutcome(): CallOutcome {
  return {
    deployment: undefined,
    usage: undefined,
    chunks: 0,
    retries: 0,
    fallbacks: 0,
    errorCode: undefined,
  };
}
