import type { ApiError } from "../../schema/errors.js";
import type { NativeRequest } from "../providers/native.js";
import type { Usage } from "../providers/types.js";
import type { AnthropicStreamEvent } from "../providers/anthropic/wire.js";
import type { StreamFormat } from "../routes/proxy-format.js";
import { anthropicErrorBody } from "./errors.js";
import { anthropicUsage, stopReason } from "./response.js";

interface ChunkToolCall {
  index?: number;
  id?: string;
  function?: { name?: string; arguments?: string };
}

interface Chunk {
  id?: string;
  model?: string;
  choices?: {
    delta?: { content?: string | null; refusal?: string | null; tool_calls?: ChunkToolCall[] };
    finish_reason?: string | null;
  }[];
  usage?: Usage | null;
}

/**
 * OpenAI `chat.completion.chunk`s → Anthropic's event stream for one answer. OpenAI sends
 * usage only in its last chunk, so `message_start` reports 0 input tokens and
 * `message_delta` (sent at the end, after that chunk) the real counts. Text and each tool
 * call become consecutive content blocks; a block closes when the next one opens.
 */
export class MessagesStream implements StreamFormat {
  private started = false;
  private id = "";
  private model = "";
  /** Index of the open content block, and the OpenAI tool-call index it holds (-1: text). */
  private open: { index: number; tool: number } | undefined;
  private blocks = 0;
  private readonly toolBlocks = new Map<number, number>();
  private stop: string | null = null;
  private usage: Usage | undefined;

  constructor(
    private readonly requestedModel: string,
    /** Set when an Anthropic deployment may answer with its own events (native.ts). */
    private readonly native?: NativeRequest,
  ) {}

  frame(text: string): string {
    // Whole Anthropic events from an Anthropic deployment: nothing to translate.
    if (this.native?.nativeStream === true) return text;
    const chunk = JSON.parse(text) as Chunk;
    let out = "";
    if (!this.started) out += this.start(chunk);
    if (chunk.usage) this.usage = chunk.usage;
    const choice = chunk.choices?.[0];
    if (choice === undefined) return out;
    const delta = choice.delta;
    const said = delta?.content || delta?.refusal;
    if (said) {
      if (this.open?.tool !== -1) out += this.openBlock(-1, { type: "text", text: "" });
      out += event({
        type: "content_block_delta",
        index: this.open?.index ?? 0,
        delta: { type: "text_delta", text: said },
      });
    }
    for (const call of delta?.tool_calls ?? []) out += this.toolDelta(call);
    if (choice.finish_reason) {
      this.stop = stopReason(choice.finish_reason);
      out += this.closeBlock();
    }
    return out;
  }

  end(): string {
    // The upstream's own message_stop has gone out already.
    if (this.native?.nativeStream === true) return "";
    let out = this.started ? "" : this.start({});
    out += this.closeBlock();
    const usage = anthropicUsage(this.usage);
    out += event({
      type: "message_delta",
      delta: { stop_reason: this.stop ?? "end_turn", stop_sequence: null },
      usage,
    });
    return out + event({ type: "message_stop" });
  }

  error(err: ApiError): string {
    const body = anthropicErrorBody(err);
    return event({ type: "error", error: body.error });
  }

  private start(chunk: Chunk): string {
    this.started = true;
    this.id = chunk.id ?? "";
    this.model = chunk.model || this.requestedModel;
    return event({
      type: "message_start",
      message: {
        id: this.id,
        type: "message",
        role: "assistant",
        model: this.model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: 0, output_tokens: 0 },
      },
    });
  }

  private toolDelta(call: ChunkToolCall): string {
    const tool = call.index ?? 0;
    let out = "";
    if (!this.toolBlocks.has(tool)) {
      out += this.openBlock(tool, {
        type: "tool_use",
        id: call.id ?? "",
        name: call.function?.name ?? "",
        input: {},
      });
      this.toolBlocks.set(tool, this.open?.index ?? 0);
    }
    const args = call.function?.arguments;
    if (args) {
      out += event({
        type: "content_block_delta",
        index: this.toolBlocks.get(tool) ?? 0,
        delta: { type: "input_json_delta", partial_json: args },
      });
    }
    return out;
  }

  private openBlock(
    tool: number,
    block: Extract<AnthropicStreamEvent, { type: "content_block_start" }>["content_block"],
  ): string {
    const out = this.closeBlock();
    const index = this.blocks++;
    this.open = { index, tool };
    return out + event({ type: "content_block_start", index, content_block: block });
  }

  private closeBlock(): string {
    if (this.open === undefined) return "";
    const index = this.open.index;
    this.open = undefined;
    return event({ type: "content_block_stop", index });
  }
}

function event(e: AnthropicStreamEvent): string {
  return `event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`;
}
