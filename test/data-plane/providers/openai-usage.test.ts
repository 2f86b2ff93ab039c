import { describe, expect, it } from "vitest";
import { usageFromBody } from "../../../data-plane/providers/openai/usage.js";

const usage = {
  prompt_tokens: 12,
  completion_tokens: 5,
  total_tokens: 17,
  prompt_tokens_details: { cached_tokens: 2 },
};

describe("usage read from a whole OpenAI response", () => {
  it("finds usage after choices, nested details included", () => {
    const body = Buffer.from(
      JSON.stringify({ id: "x", choices: [{ message: { content: "hi" } }], usage }),
    );
    expect(usageFromBody(body)).toEqual(usage);
  });

  it("is not fooled by a reply that talks about usage", () => {
    const content = 'the "usage": {"prompt_tokens": 999} field';
    const body = Buffer.from(JSON.stringify({ choices: [{ message: { content } }], usage }));
    expect(usageFromBody(body)).toEqual(usage);
    const usageFirst = Buffer.from(JSON.stringify({ usage, choices: [{ message: { content } }] }));
    expect(usageFromBody(usageFirst)).toEqual(usage);
  });

  it("handles pretty-printed bodies, null usage and none", () => {
    expect(usageFromBody(Buffer.from(JSON.stringify({ choices: [], usage }, null, 2)))).toEqual(
      usage,
    );
    expect(usageFromBody(Buffer.from('{"choices": [], "usage": null}'))).toBeUndefined();
    expect(usageFromBody(Buffer.from('{"choices": []}'))).toBeUndefined();
  });
});
