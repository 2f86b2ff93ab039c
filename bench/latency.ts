// Latency at concurrency 1: from sending a plain chat request until its whole body is read.
import type { Client } from "undici";
import type { Probe } from "./sequential.js";
import { nowNs } from "./stats.js";
import { CHAT_PATH, chatBody, requestHeaders } from "./workload.js";

export const completionLatency: Probe = async (client: Client) => {
  const start = nowNs();
  const { statusCode, body } = await client.request({
    path: CHAT_PATH,
    method: "POST",
    headers: requestHeaders,
    body: chatBody,
  });
  await body.arrayBuffer();
  return statusCode === 200 ? Number(nowNs() - start) : undefined;
};
