import type { Usage } from "./types.js";

const OPEN_CHOICE_END = ',"logprobs":null,"finish_reason":null}]}';

/**
 * OpenAI `chat.completion.chunk` JSON texts for one stream. The parts that are the same in
 * every chunk (id, object, created, model) are serialised once; each chunk serialises only
 * its delta. The text is what `JSON.stringify({id, object, created, model, choices: [{index,
 * delta, logprobs: null, finish_reason}]})` gives, key for key.
 */
export class ChunkWriter {
  private readonly head: string;
  private readonly choice0: string;

  constructor(id: string, created: number, model: string) {
    this.head = `{"id":${JSON.stringify(id)},"object":"chat.completion.chunk","created":${created},"model":${JSON.stringify(model)},`;
    this.choice0 = `${this.head}"choices":[{"index":0,"delta":`;
  }

  delta(delta: Readonly<Record<string, unknown>>, finish: string | null = null, index = 0): string {
    const open = index === 0 ? this.choice0 : `${this.head}"choices":[{"index":${index},"delta":`;
    const end =
      finish === null
        ? OPEN_CHOICE_END
        : `,"logprobs":null,"finish_reason":${JSON.stringify(finish)}}]}`;
    return open + JSON.stringify(delta) + end;
  }

  /**
   * A content delta of choice 0 from text that is already the inside of a JSON string
   * (escapes kept, as JsonCursor.string returns it): nothing to parse or escape again.
   */
  rawText(escaped: string): string {
    return `${this.choice0}{"content":"${escaped}"}${OPEN_CHOICE_END}`;
  }

  /** The usage-only chunk (empty `choices`) that ends a stream whose client asked for it. */
  usage(usage: Usage): string {
    return `${this.head}"choices":[],"usage":${JSON.stringify(usage)}}`;
  }
}
