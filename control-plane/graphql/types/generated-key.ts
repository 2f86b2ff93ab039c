import type { GeneratedKey } from "../../services/keys.js";
import { builder } from "../builder.js";
import { VirtualKeyRef } from "./virtual-key.js";

/** The answer to generateKey / regenerateKey: the only time the plaintext is shown. */
export const GeneratedKeyRef = builder.objectRef<GeneratedKey>("GeneratedKey").implement({
  fields: (t) => ({
    key: t.exposeString("key", { description: "The plaintext key. Shown once; store it now." }),
    virtualKey: t.field({ type: VirtualKeyRef, resolve: (g) => g.record }),
  }),
});
