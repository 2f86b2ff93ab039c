// Streamed time to first token: from sending a streamed chat request until the first body
// chunk carrying `data:` arrives. The rest of the stream is read before the next request.
import type { Client } from "undici";
import type { Probe } from "./sequential.js";
import { nowNs } from "./stats.js";
import { CHAT_PATH, requestHeaders, streamBody } from "./workload.js";

export const timeToFirstToken: Probe = async (client: Client) => {
  const start = nowNs();
  const { statusCode, body } = await client.request({
    path: CHAT_PATH,
    method: "POST",
    headers: requestHeaders,
    body: streamBody,
  });
  let firstToken = 0n;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    if (firstToken === 0n && chunk.includes("data:")) firstToken = nowNs();
  }
  return statusCode === 200 && firstToken !== 0n ? Number(firstToken - start) : undefined;
};
