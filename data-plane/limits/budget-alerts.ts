import type { Logger } from "pino";
import type { Subject } from "./subjects.js";

/** What is POSTed to `general_settings.alerting_webhook_url` (and handed to listeners). */
export interface SoftBudgetAlert {
  type: "soft_budget_crossed";
  subject: { kind: string; id: string; name: string };
  spend: number;
  soft_budget: number;
  max_budget: number | null;
  /** The end of the budget window (ISO), null for a budget that never resets. */
  window_end: string | null;
  node: string;
  at: string;
}

/** Claims an alert cluster-wide: true for exactly one node per alert id. */
export type ClaimOnce = (id: string, expireAt: number) => Promise<boolean>;

/**
 * Soft-budget alerts: once per subject and budget window, across the cluster (the first
 * node to claim it in Redis sends it), POSTed as JSON to the webhook. Never on the request
 * path: claiming and sending run in the background, and a failing webhook is only logged.
 */
export class BudgetAlerts {
  private readonly sent = new Set<string>();
  private readonly listeners = new Set<(alert: SoftBudgetAlert) => void>();

  constructor(
    private readonly options: {
      webhookUrl: () => string | undefined;
      claimOnce: ClaimOnce;
      nodeId: string;
      logger: Logger;
    },
  ) {}

  onAlert(listener: (alert: SoftBudgetAlert) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  softBudgetCrossed(s: Subject, spend: number, windowEnd: number): void {
    const id = `${s.kind}:${s.id}:${windowEnd}`;
    if (this.sent.has(id)) return;
    this.sent.add(id);
    if (this.sent.size > 10_000) this.sent.clear();
    const forever = windowEnd >= 8e15;
    const alert: SoftBudgetAlert = {
      type: "soft_budget_crossed",
      subject: { kind: s.kind, id: s.id, name: s.label },
      spend,
      soft_budget: s.limits.softBudget ?? 0,
      max_budget: s.limits.maxBudget ?? null,
      window_end: forever ? null : new Date(windowEnd).toISOString(),
      node: this.options.nodeId,
      at: new Date().toISOString(),
    };
    const expireAt = forever ? Date.now() + 366 * 86_400_000 : windowEnd + 60_000;
    this.options
      .claimOnce(`alert:${id}`, expireAt)
      .then((mine) => (mine ? this.deliver(alert) : undefined))
      .catch((err: unknown) =>
        this.options.logger.warn({ err: String(err) }, "soft budget alert not sent"),
      );
  }

  private async deliver(alert: SoftBudgetAlert): Promise<void> {
    this.options.logger.warn(
      { subject: alert.subject, spend: alert.spend, soft_budget: alert.soft_budget },
      `soft budget crossed by ${alert.subject.name}`,
    );
    for (const l of this.listeners) l(alert);
    const url = this.options.webhookUrl();
    if (url === undefined) return;
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(alert),
      signal: AbortSignal.timeout(10_000),
    });
    await res.body?.cancel();
    if (!res.ok) throw new Error(`webhook answered HTTP ${res.status}`);
  }
}
