/**
 * One request as a spend record, in LiteLLM's SpendLogs field names, as data-plane nodes
 * send it to the control plane (in-process queue or Redis Stream, as JSON: plain values
 * only) and the control plane writes it (a SpendLog row). Times are epoch ms.
 */
export interface SpendEvent {
  request_id: string;
  call_type: string;
  /** SHA-256 (hex) of the key, or "" (open mode). */
  api_key: string;
  /** The virtual key's id (totals are kept per id); absent for the master key. */
  key_id?: string;
  spend: number;
  prompt_tokens: number;
  completion_tokens: number;
  cached_tokens: number;
  startTime: number;
  endTime: number;
  completionStartTime?: number;
  model: string;
  model_group: string;
  model_id?: string;
  custom_llm_provider?: string;
  api_base?: string;
  /** The key's user. */
  user?: string;
  /** The `user` field of the request body (the caller's own end user). */
  end_user?: string;
  team_id?: string;
  organization_id?: string;
  request_tags: string[];
  cache_hit: boolean;
  status: "success" | "failure" | "aborted";
  metadata: Record<string, unknown>;
}

/** Where a node's batches of spend events go. Never throws; keeps a batch until delivered. */
export interface SpendSink {
  deliver(events: SpendEvent[]): void;
  /** Delivers what it still holds (bounded wait), then closes. */
  stop(): Promise<void>;
}
