import type { RouterSettings } from "../../../schema/snapshot.js";
import { costBased } from "./cost-based.js";
import { latencyBased } from "./latency-based.js";
import { leastBusy } from "./least-busy.js";
import { simpleShuffle } from "./simple-shuffle.js";
import type { Strategy } from "./strategy.js";
import { usageBased } from "./usage-based.js";

export type { Strategy } from "./strategy.js";

const latencyByBuffer = new Map<number, Strategy>();

/** The strategy `router_settings.routing_strategy` names. */
export function strategyFor(settings: RouterSettings): Strategy {
  switch (settings.strategy) {
    case "least-busy":
      return leastBusy;
    case "latency-based-routing": {
      let s = latencyByBuffer.get(settings.latencyBuffer);
      if (s === undefined) {
        s = latencyBased(settings.latencyBuffer);
        latencyByBuffer.set(settings.latencyBuffer, s);
      }
      return s;
    }
    case "usage-based-routing":
      return usageBased;
    case "cost-based-routing":
      return costBased;
    default:
      return simpleShuffle;
  }
}
