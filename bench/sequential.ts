// Concurrency 1: one kept-alive undici connection per target, one request at a time. A probe
// times one request; the loop repeats it for a while and keeps the samples.
import { Client } from "undici";
import type { Samples } from "./stats.js";

/** Times one request on `client`: ns, or undefined if it failed. */
export type Probe = (client: Client) => Promise<number | undefined>;

export class SequentialClient {
  private readonly client: Client;

  constructor(origin: string) {
    this.client = new Client(origin, { pipelining: 1, keepAliveTimeout: 60_000 });
  }

  /** Repeats `probe` for `seconds`; samples go to `into` (or nowhere, for a warm-up). */
  async run(probe: Probe, seconds: number, into?: Samples): Promise<void> {
    const end = performance.now() + seconds * 1e3;
    while (performance.now() < end) {
      const ns = await probe(this.client);
      if (into === undefined) continue;
      if (ns === undefined) into.errors++;
      else into.add(ns);
    }
  }

  close(): Promise<void> {
    return this.client.close();
  }
}
