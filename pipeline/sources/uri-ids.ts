import { WASM_BASE64 } from './sha256-lanes-wasm.ts';

/**
 * Image ids of many URIs in one call: the same 16 hex digits as ids.ts `imageIdFromNormalUri` (the
 * first 64 bits of SHA-256 of the URI's UTF-8), computed four URIs at a time in WebAssembly SIMD
 * (sha256-lanes.wat). `crypto.hash` pays a fixed cost per call (the digest's setup in OpenSSL and
 * the call into it) that is most of its time for a URI of one or two blocks; the shard planner hashes
 * every listed URI, so it takes them a batch at a time through here
 * (docs/decisions.md, "Sources and shard planning"; held equal to `crypto.hash` in
 * test/pipeline/sources/uri-ids.test.ts). `create` gives null where the engine cannot compile
 * WebAssembly SIMD; the planner then hashes with `crypto.hash`.
 */

interface Exports {
  memory: WebAssembly.Memory;
  hash(count: number): void;
}

// the module's memory layout (sha256-lanes.wat)
const DESC = 1280;
const HEX = 9472;
const RAW = 25856;
const MESSAGES = 65536;
/** Messages per `hash` call (the descriptor and output areas hold this many). */
const BATCH = 1024;
const PAGE = 65536;
let compiled: WebAssembly.Module | null | undefined;

const K = [
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
  0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
  0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
  0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
  0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
  0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
  0xc67178f2,
];

export class UriIdHasher {
  /** The ids of the last `hash` call, in the order of its URIs. */
  readonly ids: string[] = [];
  /** Their first and second 32-bit words (the ids' first and last 8 hex digits as numbers). */
  hi = new Uint32Array(0);
  lo = new Uint32Array(0);
  readonly #x: Exports;
  #mem!: Buffer;
  #desc!: Int32Array;
  #raw!: Uint32Array;

  private constructor(x: Exports) {
    this.#x = x;
    this.#views();
    new Uint32Array(x.memory.buffer, 0, 64).set(K);
  }

  /** A hasher of its own (each holds the ids of its last call): null where WebAssembly SIMD does not compile. */
  static create(): UriIdHasher | null {
    if (compiled === undefined) {
      try {
        compiled = new WebAssembly.Module(Buffer.from(WASM_BASE64, 'base64'));
      } catch {
        compiled = null;
      }
    }
    return compiled && new UriIdHasher(new WebAssembly.Instance(compiled).exports as unknown as Exports);
  }

  #views(): void {
    const buf = this.#x.memory.buffer;
    this.#mem = Buffer.from(buf);
    this.#desc = new Int32Array(buf, DESC, 2 * BATCH);
    this.#raw = new Uint32Array(buf, RAW, 2 * BATCH);
  }

  /** Room for `bytes` more from `at` (growing the memory moves its buffer: the views are made again). */
  #room(at: number, bytes: number): void {
    const need = at + bytes;
    if (need <= this.#mem.length) return;
    this.#x.memory.grow(Math.ceil((need - this.#mem.length) / PAGE));
    this.#views();
  }

  /** Hashes every URI of `uris`; `ids`, `hi` and `lo` then hold one entry per URI, in order. */
  hash(uris: readonly string[]): void {
    const ids = this.ids;
    ids.length = 0;
    if (this.hi.length < uris.length) {
      this.hi = new Uint32Array(uris.length);
      this.lo = new Uint32Array(uris.length);
    }
    for (let from = 0; from < uris.length; from += BATCH) this.#batch(uris, from, Math.min(uris.length, from + BATCH));
  }

  #batch(uris: readonly string[], from: number, to: number): void {
    const count = to - from;
    let chars = 0;
    let longest = 0;
    for (let i = from; i < to; i++) {
      const n = uris[i].length;
      chars += n;
      if (n > longest) longest = n;
    }
    // UTF-8 takes at most 3 bytes per UTF-16 unit. The bytes go in past the blocks they will take
    // (each at most its bytes + 72), and past what a lane may read beyond the last of them.
    const stage = MESSAGES + 3 * chars + 72 * count + 64 * (((3 * longest + 8) >>> 6) + 1);
    this.#room(stage, 3 * chars);
    const mem = this.#mem;
    const desc = this.#desc;
    // one write of the whole batch; when it is all ASCII each URI's bytes are its characters, else
    // each URI is written again on its own to learn its byte length
    const joined = count === 1 ? uris[from] : uris.slice(from, to).join('');
    const ascii = mem.write(joined, stage, 'utf8') === joined.length;
    for (let i = from, at = stage, k = 0; i < to; i++, k++) {
      const n = ascii ? uris[i].length : mem.write(uris[i], at, 'utf8');
      desc[2 * k] = at;
      desc[2 * k + 1] = n;
      at += n;
    }
    this.#x.hash(count);
    const raw = this.#raw;
    const ids = this.ids;
    const base = ids.length;
    // one string for the batch, each id a slice of it: one call into the buffer instead of one per id
    const hex = mem.toString('latin1', HEX, HEX + 16 * count);
    for (let k = 0; k < count; k++) {
      ids.push(hex.slice(16 * k, 16 * k + 16));
      this.hi[base + k] = raw[2 * k];
      this.lo[base + k] = raw[2 * k + 1];
    }
  }
}
