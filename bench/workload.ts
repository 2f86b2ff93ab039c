// The one request every target is measured with, shared by the harness and its children.

export const MODEL_NAME = "bench-model";
export const MASTER_KEY = "sk-bench-master";
export const UPSTREAM_KEY = "sk-upstream-bench";
export const CHAT_PATH = "/v1/chat/completions";

const messages = [{ role: "user", content: "Say hello to the benchmark" }];

export const chatBody = JSON.stringify({ model: MODEL_NAME, messages });

export const streamBody = JSON.stringify({
  model: MODEL_NAME,
  messages,
  stream: true,
  stream_options: { include_usage: true },
});

export const requestHeaders: Record<string, string> = {
  "content-type": "application/json",
  authorization: `Bearer ${MASTER_KEY}`,
};

/** Children announce their port with this line on stdout, e.g. `LISTENING 41234`. */
export const READY_PREFIX = "LISTENING ";
