import { openAIShapedProvider } from "../openai/index.js";
import type { Provider } from "../types.js";
import { FAMILIES, type FamilyId } from "./families.js";
import { compatibleTarget } from "./request.js";

/** One provider per row of FAMILIES (Groq, Mistral, vLLM, Ollama, ...): OpenAI's code, their data. */
export const COMPATIBLE_PROVIDERS = Object.fromEntries(
  Object.entries(FAMILIES).map(([id, family]) => [
    id,
    openAIShapedProvider((d) => compatibleTarget(family, d)),
  ]),
) as Record<FamilyId, Provider>;
