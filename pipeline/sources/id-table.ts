/**
 * The set of image ids a plan has seen, with the ordinal each was first planned at. An
 * open-addressing table over one typed array (a slot: the 64-bit id as two uint32 halves and a
 * uint32 ordinal, 12 bytes side by side so that a probe touches one cache line; at most half the
 * slots full) instead of a Map<string, number>: a V8 Map stops at 2^24 (~16.7M) entries, which one
 * collection can exceed, and at 1M ids the Map plus its strings cost ~150 MB of heap and noticeable
 * GC; this costs 24-48 MB at 1M and grows by doubling.
 */
export class IdTable {
  private slots: Uint32Array; // [hi, lo, ordinal + 1] per slot; ordinal 0 marks an empty slot
  private mask: number;
  size = 0;
  constructor(capacity = 1 << 16) {
    let n = 1 << 4;
    while (n < capacity * 2) n <<= 1;
    this.slots = new Uint32Array(3 * n);
    this.mask = n - 1;
  }

  /** Adds a 16-hex-digit id with its ordinal; returns the earlier ordinal if the id was there. */
  addHex(id: string, ordinal: number): number | undefined {
    return this.add(hexWord(id, 0), hexWord(id, 8), ordinal);
  }

  /** Adds an id given as its two 32-bit halves; returns the earlier ordinal if the id was there. */
  add(hi: number, lo: number, ordinal: number): number | undefined {
    const slots = this.slots;
    // The id is a slice of sha256, so its low bits are already uniformly spread: no rehash needed.
    let i = lo & this.mask;
    for (let s = 3 * i; slots[s + 2] !== 0; s = 3 * i) {
      if (slots[s] === hi && slots[s + 1] === lo) return slots[s + 2] - 1;
      i = (i + 1) & this.mask;
    }
    const s = 3 * i;
    slots[s] = hi;
    slots[s + 1] = lo;
    slots[s + 2] = ordinal + 1;
    if (++this.size * 2 > this.mask) this.grow();
    return undefined;
  }

  /**
   * Reads the slot each of the first `count` ids would probe first, and nothing else. At a million
   * ids the table is tens of MB, so an add's first probe is a cache (and TLB) miss; adds one after
   * another with a record built between them wait for their misses one at a time, while these reads
   * do not depend on each other and are in flight together. Calling it before a batch's adds, which
   * then find their slots in cache, changes no result.
   */
  touch(lo: Uint32Array, count: number): void {
    const slots = this.slots;
    const mask = this.mask;
    let sum = 0;
    for (let k = 0; k < count; k++) sum += slots[3 * (lo[k] & mask) + 2];
    this.touched = sum;
  }
  /** The sum of what `touch` last read: kept, so that the compiler cannot drop the reads as unused. */
  touched = 0;

  private grow(): void {
    const old = this.slots;
    const n = (this.mask + 1) * 2;
    const slots = new Uint32Array(3 * n);
    this.mask = n - 1;
    for (let j = 0; j < old.length; j += 3) {
      if (old[j + 2] === 0) continue;
      let i = old[j + 1] & this.mask;
      while (slots[3 * i + 2] !== 0) i = (i + 1) & this.mask;
      slots[3 * i] = old[j];
      slots[3 * i + 1] = old[j + 1];
      slots[3 * i + 2] = old[j + 2];
    }
    this.slots = slots;
  }
}

/** The 32-bit value of the 8 hex digits of `s` from `at` (read in place: no substrings, no parseInt). */
function hexWord(s: string, at: number): number {
  let v = 0;
  for (let i = at; i < at + 8; i++) {
    const c = s.charCodeAt(i);
    // '0'-'9' are 48-57; 'a'-'f' / 'A'-'F' are 97-102 / 65-70 (| 32 lower-cases them)
    v = (v << 4) | (c <= 57 ? c - 48 : (c | 32) - 87);
  }
  return v >>> 0;
}
