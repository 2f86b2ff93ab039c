import { createParser } from "eventsource-parser";

/** The `data` field of each server-sent event in a byte stream, in order. */
export async function* sseData(body: AsyncIterable<Uint8Array>): AsyncGenerator<string> {
  const pending: string[] = [];
  const parser = createParser({
    onEvent: (event) => {
      pending.push(event.data);
    },
  });
  const decoder = new TextDecoder();
  for await (const chunk of body) {
    parser.feed(decoder.decode(chunk, { stream: true }));
    for (let i = 0; i < pending.length; i++) yield pending[i]!;
    pending.length = 0;
  }
  parser.feed(`${decoder.decode()}\n\n`);
  for (const data of pending) yield data;
}
