/**
 * The set of image ids a plan has seen, with the ordinal each was first planned at. An
 * open-addressing table over typed arrays (64-bit id as two uint32 halves + a uint32 ordinal, 12
 * bytes a slot at most half full) instead of a Map<string, number>: a V8 Map stops at 2^24
 * (~16.7M) entries, which one collection can exceed, and at 1M ids the Map plus its strings cost
 * ~150 MB of heap and noticeable GC; this costs 24-48 MB at 1M and grows by doubling.
 */
export class IdTable {
  private hi: Uint32Array;
  private lo: Uint32Array;
  private ord: Uint32Array; // ordinal + 1; 0 marks an empty slot
  private mask: number;
  size = 0;
  constructor(capacity = 1 << 16) {
    let n = 1 << 4;
    while (n < capacity * 2) n <<= 1;
    this.hi = new Uint32Array(n);
    this.lo = new Uint32Array(n);
    this.ord = new Uint32Array(n);
    this.mask = n - 1;
  }

  /** Adds a 16-hex-digit id with its ordinal; returns the earlier ordinal if the id was there. */
  addHex(id: string, ordinal: number): number | undefined {
    const hi = Number.parseInt(id.slice(0, 8), 16) >>> 0;
    const lo = Number.parseInt(id.slice(8, 16), 16) >>> 0;
    // The id is a slice of sha256, so its low bits are already uniformly spread: no rehash needed.
    let i = lo & this.mask;
    while (this.ord[i] !== 0) {
      if (this.hi[i] === hi && this.lo[i] === lo) return this.ord[i]! - 1;
      i = (i + 1) & this.mask;
    }
    this.hi[i] = hi;
    this.lo[i] = lo;
    this.ord[i] = ordinal + 1;
    if (++this.size * 2 > this.mask) this.grow();
    return undefined;
  }

  private grow(): void {
    const { hi, lo, ord } = this;
    const n = (this.mask + 1) * 2;
    this.hi = new Uint32Array(n);
    this.lo = new Uint32Array(n);
    this.ord = new Uint32Array(n);
    this.mask = n - 1;
    for (let j = 0; j < ord.length; j++) {
      if (ord[j] === 0) continue;
      let i = lo[j]! & this.mask;
      while (this.ord[i] !== 0) i = (i + 1) & this.mask;
      this.hi[i] = hi[j]!;
      this.lo[i] = lo[j]!;
      this.ord[i] = ord[j]!;
    }
  }
}
