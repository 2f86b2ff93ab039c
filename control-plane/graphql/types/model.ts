import type { PublicDeployment } from "../../services/models.js";
import { builder } from "../builder.js";

/** A model deployment, as `publicDeployment` shows it: upstream secrets masked. */
export const ModelRef = builder.objectRef<PublicDeployment>("Model").implement({
  fields: (t) => ({
    id: t.exposeID("id"),
    modelName: t.exposeString("modelName", { description: "The name clients ask for." }),
    litellmParams: t.field({
      type: "JSON",
      description: "LiteLLM's litellm_params; api_key and other secrets masked (`sk-...abcd`).",
      resolve: (d) => d.litellmParams,
    }),
    modelInfo: t.field({ type: "JSON", resolve: (d) => d.modelInfo }),
    source: t.exposeString("source", { description: "`db` (API-managed) or `config`." }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    createdBy: t.exposeString("createdBy", { nullable: true }),
    updatedAt: t.expose("updatedAt", { type: "DateTime" }),
    updatedBy: t.exposeString("updatedBy", { nullable: true }),
  }),
});
