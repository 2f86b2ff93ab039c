import type { Deployment } from "../../generated/sqlite/client.js";
import { requireProxyAdmin } from "../auth/policy.js";
import type { Principal } from "../auth/principal.js";
import { readObject } from "../db.js";
import { audit } from "./audit.js";
import type { ServiceContext } from "./context.js";
import { InvalidInputError, NotFoundError } from "./errors.js";
import { ModelInput, parseInput } from "./inputs.js";
import { redactSecrets } from "./redact.js";

/** A deployment as the API shows it: upstream secrets masked. */
export interface PublicDeployment {
  id: string;
  modelName: string;
  litellmParams: Record<string, unknown>;
  modelInfo: Record<string, unknown>;
  createdAt: Date;
  updatedAt: Date;
  createdBy: string | null;
  updatedBy: string | null;
  /** `db` for API-managed deployments, `config` for the config file's. */
  source: "db" | "config";
}

export function publicDeployment(d: Deployment): PublicDeployment {
  return {
    id: d.id,
    modelName: d.modelName,
    litellmParams: redactSecrets(readObject(d.litellmParams)) as Record<string, unknown>,
    modelInfo: readObject(d.modelInfo),
    createdAt: d.createdAt,
    updatedAt: d.updatedAt,
    createdBy: d.createdBy,
    updatedBy: d.updatedBy,
    source: "db",
  };
}

export class ModelService {
  constructor(private readonly ctx: ServiceContext) {}

  async create(p: Principal, raw: unknown): Promise<Deployment> {
    requireProxyAdmin(p, "add models");
    const input = parseInput(ModelInput, raw);
    assertModelName(input.litellmParams.model);
    const created = await this.ctx.db.$transaction(async (tx) => {
      const d = await tx.deployment.create({
        data: {
          modelName: input.modelName,
          litellmParams: JSON.stringify(input.litellmParams),
          modelInfo: JSON.stringify(input.modelInfo ?? {}),
          createdBy: p.actor,
          updatedBy: p.actor,
        },
      });
      await audit(tx, p, "model.create", "model", d.id, null, {
        ...d,
        litellmParams: input.litellmParams,
      });
      return d;
    });
    await this.ctx.changed("model.create", { deployments: [created.id] });
    return created;
  }

  async update(p: Principal, id: string, raw: unknown): Promise<Deployment> {
    requireProxyAdmin(p, "change models");
    const input = parseInput(ModelInput.partial(), raw);
    const before = await this.find(id);
    // A secret left out (or sent back masked) keeps its stored value.
    const stored = readObject(before.litellmParams);
    const params =
      input.litellmParams === undefined ? undefined : keepSecrets(stored, input.litellmParams);
    if (params !== undefined) assertModelName(String(params.model));
    const after = await this.ctx.db.$transaction(async (tx) => {
      const d = await tx.deployment.update({
        where: { id },
        data: {
          ...(input.modelName ? { modelName: input.modelName } : {}),
          ...(params !== undefined ? { litellmParams: JSON.stringify(params) } : {}),
          ...(input.modelInfo !== undefined
            ? { modelInfo: JSON.stringify(input.modelInfo ?? {}) }
            : {}),
          updatedBy: p.actor,
        },
      });
      await audit(
        tx,
        p,
        "model.update",
        "model",
        id,
        { ...before, litellmParams: stored },
        { ...d, litellmParams: params ?? stored },
      );
      return d;
    });
    await this.ctx.changed("model.update", { deployments: [id] });
    return after;
  }

  async delete(p: Principal, id: string): Promise<Deployment> {
    requireProxyAdmin(p, "delete models");
    const before = await this.find(id);
    await this.ctx.db.$transaction(async (tx) => {
      await tx.deployment.delete({ where: { id } });
      await audit(
        tx,
        p,
        "model.delete",
        "model",
        id,
        { ...before, litellmParams: readObject(before.litellmParams) },
        null,
      );
    });
    await this.ctx.changed("model.delete", { deployments: [id] });
    return before;
  }

  /** Every authenticated caller may see which models exist (secrets masked), as in LiteLLM. */
  async list(): Promise<Deployment[]> {
    return this.ctx.db.deployment.findMany({ orderBy: [{ modelName: "asc" }, { id: "asc" }] });
  }

  private async find(id: string): Promise<Deployment> {
    const d = await this.ctx.db.deployment.findUnique({ where: { id } });
    if (d === null) throw new NotFoundError(`Model deployment ${id} not found.`);
    return d;
  }
}

function assertModelName(model: string): void {
  if (model.trim() === "") {
    throw new InvalidInputError("litellmParams.model is required", [
      { path: "litellmParams.model", message: "required" },
    ]);
  }
}

function keepSecrets(
  stored: Record<string, unknown>,
  next: Record<string, unknown>,
): Record<string, unknown> {
  const out = { ...next };
  for (const [k, v] of Object.entries(stored)) {
    const incoming = out[k];
    const masked =
      typeof incoming === "string" && (incoming.includes("...") || incoming === "****");
    if (k === "api_key" && (incoming === undefined || masked)) out[k] = v;
  }
  return out;
}
