import { Counter, Gauge, Registry } from "prom-client";
import { priceOf } from "../pricing/deployment-price.js";
import type { RouteContext } from "../routes/context.js";

/**
 * The node's Prometheus metrics. Everything is read when scraped (collect callbacks), so
 * the request path pays nothing for them.
 */
export function createMetrics(ctx: RouteContext): Registry {
  const registry = new Registry();
  new Gauge({
    name: "switchyard_deployment_unpriced",
    help: "1 for each deployment whose model has no known price (its calls cost 0)",
    labelNames: ["model", "model_id", "upstream_model"],
    registers: [registry],
    collect() {
      this.reset();
      for (const d of ctx.snapshot().deployments) {
        if (!priceOf(d).known)
          this.set(
            { model: d.modelName, model_id: d.id, upstream_model: `${d.provider}/${d.model}` },
            1,
          );
      }
    },
  });
  new Gauge({
    name: "switchyard_limits_mode",
    help: "How limits are enforced: 1 for the current mode (cluster, local-share, local)",
    labelNames: ["mode"],
    registers: [registry],
    collect() {
      this.reset();
      this.set({ mode: ctx.limitsStatus().mode }, 1);
    },
  });
  new Gauge({
    name: "switchyard_limits_nodes",
    help: "Live data-plane nodes sharing the limit counters",
    registers: [registry],
    collect() {
      this.set(ctx.limitsStatus().nodes);
    },
  });
  new Counter({
    name: "switchyard_limit_refusals_total",
    help: "Requests refused by a limit, by limit (rpm, tpm, parallel, budget) and subject kind",
    labelNames: ["limit", "subject"],
    registers: [registry],
    collect() {
      this.reset();
      for (const [id, n] of ctx.limits.refusals) {
        const [limit = "", subject = ""] = id.split(":");
        this.inc({ limit, subject }, n);
      }
    },
  });
  new Gauge({
    name: "switchyard_snapshot_version",
    help: "Version of the snapshot this node serves",
    registers: [registry],
    collect() {
      this.set(ctx.snapshot().version);
    },
  });
  return registry;
}
