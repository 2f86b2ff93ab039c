import type { Deployment } from "../../../schema/snapshot.js";

export const DEFAULT_GEMINI_BASE = "https://generativelanguage.googleapis.com";

export interface GeminiTarget {
  origin: string;
  /** `/v1beta`, or the version path the api_base carries. */
  basePath: string;
  /** `models/gemini-1.5-flash` (a `tunedModels/...` name is kept as is). */
  modelName: string;
  /** `modelName`, path-encoded. */
  modelPath: string;
  /** The key travels in `x-goog-api-key`, never in the URL, so no access log can hold it. */
  headers: Record<string, string>;
}

// Computed once per deployment object; a new snapshot brings new objects.
const targets = new WeakMap<Deployment, GeminiTarget>();

export function geminiTarget(d: Deployment): GeminiTarget {
  let t = targets.get(d);
  if (t === undefined) {
    const url = new URL(d.apiBase ?? DEFAULT_GEMINI_BASE);
    let basePath = url.pathname.replace(/\/+$/, "");
    // `api_base` may be the bare host (as Google documents it) or already end in a version.
    if (!/\/v1(alpha|beta)?$/.test(basePath)) basePath += "/v1beta";
    const headers: Record<string, string> = {
      "content-type": "application/json",
      ...d.extraHeaders,
    };
    if (d.apiKey !== undefined) headers["x-goog-api-key"] = d.apiKey;
    const modelName = d.model.includes("/") ? d.model : `models/${d.model}`;
    const modelPath = modelName.split("/").map(encodeURIComponent).join("/");
    t = { origin: url.origin, basePath, modelName, modelPath, headers };
    targets.set(d, t);
  }
  return t;
}

export type GeminiMethod = "generateContent" | "streamGenerateContent" | "batchEmbedContents";

export function methodPath(t: GeminiTarget, method: GeminiMethod): string {
  const path = `${t.basePath}/${t.modelPath}:${method}`;
  // Without alt=sse Google streams one JSON array; with it, one event per response.
  return method === "streamGenerateContent" ? `${path}?alt=sse` : path;
}
