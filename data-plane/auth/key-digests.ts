import { hash } from "node:crypto";
import { LRUCache } from "lru-cache";

/**
 * SHA-256 digests (hex) of the keys clients present. Hashing costs several microseconds a
 * request (a native hash context each time), so digests of keys that turned out valid are
 * kept in a bounded LRU; unknown keys are never cached, so random keys cannot fill it.
 */
export class KeyDigests {
  private readonly known = new LRUCache<string, string>({ max: 10_000 });

  digest(key: string): string {
    return this.known.get(key) ?? hash("sha256", key, "hex");
  }

  /** Remember a key that authenticated, so its next request skips the hash. */
  remember(key: string, digest: string): void {
    this.known.set(key, digest);
  }
}
