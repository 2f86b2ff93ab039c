import { PackedEntries } from "./packed-entries.js";

/** Marks an id a delta removed from the packed entries. */
const REMOVED = Symbol("removed");

/**
 * The entries of one snapshot list by id, read like a Map. Behind it, optionally, a packed
 * list from a whole snapshot (see packed-entries.ts); in front, a Map holding the entries
 * decoded so far and every change a delta made since (a removal as a tombstone), so that a
 * delta still costs time in proportion to its own size.
 */
export class EntryIndex<T> implements ReadonlyMap<string, T> {
  private base: PackedEntries<T> | undefined;
  private readonly live = new Map<string, T | typeof REMOVED>();
  private count = 0;

  constructor(entries?: Iterable<readonly [string, T]>) {
    if (entries !== undefined) for (const [id, entry] of entries) this.set(id, entry);
  }

  /** Serves a whole list packed by a worker; only into an empty index. */
  adopt(packed: ArrayBuffer): void {
    if (this.base !== undefined || this.count !== 0)
      throw new Error("packed entries go into an empty index");
    this.base = new PackedEntries<T>(packed);
    this.count = this.base.size;
  }

  get size(): number {
    return this.count;
  }

  get(id: string): T | undefined {
    const known = this.live.get(id);
    if (known !== undefined) return known === REMOVED ? undefined : known;
    const n = this.base?.find(id) ?? -1;
    if (n < 0) return undefined;
    // Decoded once; the hot path reads the same object from then on.
    const entry = this.base!.entry(n);
    this.live.set(id, entry);
    return entry;
  }

  has(id: string): boolean {
    const known = this.live.get(id);
    if (known !== undefined) return known !== REMOVED;
    return (this.base?.find(id) ?? -1) >= 0;
  }

  set(id: string, entry: T): this {
    if (!this.has(id)) this.count++;
    this.live.set(id, entry);
    return this;
  }

  delete(id: string): boolean {
    if (!this.has(id)) return false;
    if ((this.base?.find(id) ?? -1) >= 0) this.live.set(id, REMOVED);
    else this.live.delete(id);
    this.count--;
    return true;
  }

  /** Every entry (decoding the packed ones not read yet): for tests and tools, not requests. */
  *entries(): MapIterator<[string, T]> {
    const base = this.base;
    if (base !== undefined) {
      for (let n = 0; n < base.size; n++) {
        const id = base.idAt(n);
        const entry = this.get(id);
        if (entry !== undefined) yield [id, entry];
      }
    }
    for (const [id, entry] of this.live) {
      if (entry === REMOVED || (base !== undefined && base.find(id) >= 0)) continue;
      yield [id, entry];
    }
  }

  *keys(): MapIterator<string> {
    for (const [id] of this.entries()) yield id;
  }

  *values(): MapIterator<T> {
    for (const [, entry] of this.entries()) yield entry;
  }

  [Symbol.iterator](): MapIterator<[string, T]> {
    return this.entries();
  }

  forEach(callback: (value: T, key: string, map: ReadonlyMap<string, T>) => void): void {
    for (const [id, entry] of this.entries()) callback(entry, id, this);
  }
}
