/**
 * A list of snapshot entries packed into one ArrayBuffer: an open-addressing hash table from
 * each entry's id to its JSON. A worker thread builds it and transfers it to the main thread
 * whole (no copy, no deserialisation); the main thread decodes an entry only when a request
 * first asks for it. At 100k keys this is what keeps a whole-snapshot apply from pausing
 * requests: the main thread no longer allocates ~100k long-lived objects at once, which the
 * young-generation collector would copy and promote in pauses of 10–100 ms.
 *
 * Layout (byte offsets; every section aligned for its view):
 *   header   Int32 × 4      size (distinct ids), capacity (power of 2), id units, value bytes
 *   slots    Int32 × capacity          entry number + 1; 0 = empty
 *   entries  Int32 × 4 × size          id start, id length (UTF-16 units), value start, length
 *   ids      Uint16 × id units         every id, as UTF-16 code units (compared without decoding)
 *   values   Uint8 × value bytes       every entry as UTF-8 JSON
 */

const HEADER_INTS = 4;

/** Packs `entries` by `idOf`; a later entry with the same id replaces an earlier one (as Map.set). */
export function packEntries<T>(entries: readonly T[], idOf: (entry: T) => string): ArrayBuffer {
  const last = new Map<string, T>();
  for (const e of entries) last.set(idOf(e), e);
  const ids: string[] = [];
  const json: string[] = [];
  let idUnits = 0;
  let valueBytes = 0;
  for (const [id, entry] of last) {
    const text = JSON.stringify(entry);
    ids.push(id);
    json.push(text);
    idUnits += id.length;
    valueBytes += Buffer.byteLength(text, "utf8");
  }
  const size = ids.length;
  const capacity = capacityFor(size);
  const layout = layoutOf(size, capacity, idUnits);
  const buffer = new ArrayBuffer(layout.values + valueBytes);
  new Int32Array(buffer, 0, HEADER_INTS).set([size, capacity, idUnits, valueBytes]);
  const slots = new Int32Array(buffer, layout.slots, capacity);
  const meta = new Int32Array(buffer, layout.entries, size * 4);
  const idView = new Uint16Array(buffer, layout.ids, idUnits);
  const values = Buffer.from(buffer, layout.values, valueBytes);
  const mask = capacity - 1;
  let idAt = 0;
  let valueAt = 0;
  for (let n = 0; n < size; n++) {
    const id = ids[n]!;
    for (let c = 0; c < id.length; c++) idView[idAt + c] = id.charCodeAt(c);
    const written = values.write(json[n]!, valueAt, "utf8");
    meta.set([idAt, id.length, valueAt, written], n * 4);
    idAt += id.length;
    valueAt += written;
    let slot = hashOf(id) & mask;
    while (slots[slot] !== 0) slot = (slot + 1) & mask;
    slots[slot] = n + 1;
  }
  return buffer;
}

/** Reads a packed list: find an id, decode its entry. Never modifies the buffer. */
export class PackedEntries<T> {
  /** Distinct ids. */
  readonly size: number;
  private readonly mask: number;
  private readonly slots: Int32Array;
  private readonly meta: Int32Array;
  private readonly ids: Uint16Array;
  private readonly values: Buffer;

  constructor(readonly buffer: ArrayBuffer) {
    const [size, capacity, idUnits, valueBytes] = new Int32Array(buffer, 0, HEADER_INTS);
    const layout = layoutOf(size!, capacity!, idUnits!);
    this.size = size!;
    this.mask = capacity! - 1;
    this.slots = new Int32Array(buffer, layout.slots, capacity);
    this.meta = new Int32Array(buffer, layout.entries, size! * 4);
    this.ids = new Uint16Array(buffer, layout.ids, idUnits);
    this.values = Buffer.from(buffer, layout.values, valueBytes);
  }

  /** The entry number of `id`, or -1. Allocates nothing. */
  find(id: string): number {
    const { slots, meta, ids, mask } = this;
    let slot = hashOf(id) & mask;
    for (let n = slots[slot]!; n !== 0; n = slots[slot]!) {
      const at = (n - 1) * 4;
      if (meta[at + 1] === id.length) {
        const start = meta[at]!;
        let c = 0;
        while (c < id.length && ids[start + c] === id.charCodeAt(c)) c++;
        if (c === id.length) return n - 1;
      }
      slot = (slot + 1) & mask;
    }
    return -1;
  }

  /** Entry number `n` decoded (a new object each call; callers keep it). */
  entry(n: number): T {
    const at = n * 4;
    const start = this.meta[at + 2]!;
    return JSON.parse(this.values.toString("utf8", start, start + this.meta[at + 3]!)) as T;
  }

  idAt(n: number): string {
    const start = this.meta[n * 4]!;
    return String.fromCharCode(...this.ids.subarray(start, start + this.meta[n * 4 + 1]!));
  }
}

/** FNV-1a over UTF-16 code units, so that ids need no encoding to be looked up. */
function hashOf(id: string): number {
  let h = 0x811c9dc5;
  for (let c = 0; c < id.length; c++) {
    h ^= id.charCodeAt(c);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** At most half full, so that a probe ends after a slot or two. */
function capacityFor(size: number): number {
  let capacity = 2;
  while (capacity < size * 2) capacity *= 2;
  return capacity;
}

function layoutOf(size: number, capacity: number, idUnits: number) {
  const slots = HEADER_INTS * 4;
  const entries = slots + capacity * 4;
  const ids = entries + size * 16;
  const values = ids + idUnits * 2;
  return { slots, entries, ids, values };
}
