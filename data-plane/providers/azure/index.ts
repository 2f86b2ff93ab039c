import { openAIShapedProvider } from "../openai/index.js";
import type { Provider } from "../types.js";
import { azureTarget } from "./request.js";

/**
 * Azure OpenAI (`azure/<deployment>`). Its answers, streams, usage and errors are OpenAI's
 * (a content-filter refusal is a 400 with `code: "content_filter"`, passed through as is), so
 * only where calls go and how they authenticate is Azure's own.
 */
export const azureProvider: Provider = openAIShapedProvider((d) => azureTarget(d));
