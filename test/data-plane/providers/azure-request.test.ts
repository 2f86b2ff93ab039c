import { describe, expect, it } from "vitest";
import { toDeployment } from "../../../control-plane/snapshot/build-from-config.js";
import { azureTarget } from "../../../data-plane/providers/azure/request.js";
import { ApiError } from "../../../schema/errors.js";

function azure(params: Record<string, unknown>) {
  return toDeployment(
    { model_name: "gpt-4o", litellm_params: { model: "azure/my-gpt4o", ...params } },
    600,
  );
}

const BASE = { api_base: "https://acme.openai.azure.com", api_version: "2024-10-21" };

describe("the Azure OpenAI request target", () => {
  it("puts the deployment and api-version in the path and the key in the api-key header", () => {
    const t = azureTarget(azure({ ...BASE, api_key: "0123abcd" }), {});
    expect(t.origin).toBe("https://acme.openai.azure.com");
    expect(t.paths).toEqual({
      chat: "/openai/deployments/my-gpt4o/chat/completions?api-version=2024-10-21",
      completion: "/openai/deployments/my-gpt4o/completions?api-version=2024-10-21",
      embedding: "/openai/deployments/my-gpt4o/embeddings?api-version=2024-10-21",
    });
    expect(t.healthPath).toBe("/openai/models?api-version=2024-10-21");
    expect(t.headers).toEqual({ "content-type": "application/json", "api-key": "0123abcd" });
  });

  it("sends an Entra ID token (a JWT) as a bearer token instead", () => {
    const token = "eyJ0eXAiOiJKV1QifQ.eyJhdWQiOiJjb2duaXRpdmUifQ.c2lnbmF0dXJl";
    const t = azureTarget(azure({ ...BASE, api_key: token }), {});
    expect(t.headers.authorization).toBe(`Bearer ${token}`);
    expect(t.headers["api-key"]).toBeUndefined();
  });

  it("refuses a deployment without api_version, naming what to set", () => {
    const call = () => azureTarget(azure({ api_base: BASE.api_base, api_key: "k" }), {});
    expect(call).toThrow(ApiError);
    expect(call).toThrow(/needs api_version \(e\.g\. 2024-10-21\) or AZURE_API_VERSION/);
    try {
      call();
    } catch (err) {
      expect((err as ApiError).status).toBe(500);
      expect((err as ApiError).code).toBe("deployment_misconfigured");
    }
  });

  it("refuses a deployment without api_base", () => {
    expect(() => azureTarget(azure({ api_version: "2024-10-21" }), {})).toThrow(
      /needs api_base .*AZURE_API_BASE/,
    );
  });

  it("falls back to LiteLLM's AZURE_API_BASE, AZURE_API_KEY and AZURE_API_VERSION", () => {
    const t = azureTarget(azure({}), {
      AZURE_API_BASE: "https://env.openai.azure.com/",
      AZURE_API_KEY: "env-key",
      AZURE_API_VERSION: "2024-06-01",
    });
    expect(t.origin).toBe("https://env.openai.azure.com");
    expect(t.paths.chat).toBe(
      "/openai/deployments/my-gpt4o/chat/completions?api-version=2024-06-01",
    );
    expect(t.headers["api-key"]).toBe("env-key");
  });

  it("accepts an api_base that already ends in /openai, and keeps extra_headers", () => {
    const t = azureTarget(
      azure({
        ...BASE,
        api_base: "https://acme.openai.azure.com/openai/",
        extra_headers: { "x-a": "1" },
      }),
      {},
    );
    expect(t.paths.embedding).toBe(
      "/openai/deployments/my-gpt4o/embeddings?api-version=2024-10-21",
    );
    expect(t.headers["x-a"]).toBe("1");
  });

  it.each([
    ["2024-06-01", false],
    ["2024-05-01-preview", false],
    ["2024-08-01-preview", true],
    ["2024-10-21", true],
    ["preview", true],
  ])("asks for stream usage with stream_options only where api-version %s takes it", (v, takes) => {
    expect(azureTarget(azure({ ...BASE, api_version: v }), {}).streamOptions).toBe(takes);
  });
});
