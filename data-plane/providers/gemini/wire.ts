// The parts of the Gemini API (Google AI Studio, generativelanguage.googleapis.com v1beta)
// wire format this adapter reads and writes (https://ai.google.dev/api/generate-content).
// Google adds fields and enum values over time, so readers ignore what they do not know.

export interface GeminiFunctionCall {
  name: string;
  args?: Record<string, unknown>;
  id?: string;
}

export interface GeminiPart {
  text?: string;
  /** Set on a text part that is a thought summary, not answer text. */
  thought?: boolean;
  inlineData?: { mimeType: string; data: string };
  functionCall?: GeminiFunctionCall;
  /** Opaque; Gemini 3 needs it back on the functionCall part of the next turn. */
  thoughtSignature?: string;
  functionResponse?: { name: string; response: Record<string, unknown> };
}

export interface GeminiContent {
  role?: "user" | "model";
  parts: GeminiPart[];
}

export interface GeminiFunctionDeclaration {
  name: string;
  description?: string;
  parameters?: Record<string, unknown>;
}

export interface GeminiRequest {
  contents: GeminiContent[];
  systemInstruction?: GeminiContent;
  tools?: { functionDeclarations: GeminiFunctionDeclaration[] }[];
  toolConfig?: {
    functionCallingConfig: { mode: "AUTO" | "ANY" | "NONE"; allowedFunctionNames?: string[] };
  };
  generationConfig?: Record<string, unknown>;
}

export interface GeminiUsageMetadata {
  promptTokenCount?: number;
  cachedContentTokenCount?: number;
  candidatesTokenCount?: number;
  toolUsePromptTokenCount?: number;
  thoughtsTokenCount?: number;
  totalTokenCount?: number;
}

export interface GeminiCandidate {
  index?: number;
  content?: { role?: string; parts?: GeminiPart[] };
  /** STOP, MAX_TOKENS, SAFETY, RECITATION, BLOCKLIST, PROHIBITED_CONTENT, SPII, ... */
  finishReason?: string;
  finishMessage?: string;
}

/** One whole answer, and also one server-sent event of a stream (`alt=sse`). */
export interface GeminiResponse {
  candidates?: GeminiCandidate[];
  promptFeedback?: { blockReason?: string; blockReasonMessage?: string };
  usageMetadata?: GeminiUsageMetadata;
  modelVersion?: string;
  responseId?: string;
  /** Only in a stream that fails after its headers went out. */
  error?: GeminiErrorDetail;
}

export interface GeminiErrorDetail {
  code?: number;
  message?: string;
  /** google.rpc.Code name: INVALID_ARGUMENT, RESOURCE_EXHAUSTED, ... */
  status?: string;
  details?: { "@type"?: string; retryDelay?: string; reason?: string }[];
}

export interface GeminiBatchEmbedRequest {
  requests: {
    model: string;
    content: { parts: { text: string }[] };
    outputDimensionality?: number;
    taskType?: string;
  }[];
}

export interface GeminiBatchEmbedResponse {
  embeddings?: { values?: number[] }[];
}
