import type { ChangeEvent } from "../../control-plane.js";
import { builder } from "../builder.js";

/** One committed change to the configuration. */
export const ConfigChangeRef = builder.objectRef<ChangeEvent>("ConfigChange").implement({
  description: "A committed change: the snapshot version it produced and what it was.",
  fields: (t) => ({
    version: t.exposeInt("version", { description: "The snapshot version after the change." }),
    change: t.exposeString("change", { description: "What changed, e.g. key.generate." }),
    at: t.expose("at", { type: "DateTime" }),
  }),
});
