/**
 * Working arrays reused from one parse to the next. A typed array longer than a few elements lives
 * outside V8's heap, and allocating one costs far more than filling it; a text's parse needs several,
 * one per token each, so they are kept per purpose and grown when a longer text comes. A parse is
 * synchronous, so one set per process is enough; nothing returned to a caller is a scratch array
 * (`keptInt32` gives those).
 */
const int32 = new Map<string, Int32Array>();
const uint8 = new Map<string, Uint8Array>();

/** An Int32Array of at least `n` elements for `purpose`, its first `n` set to `fill`. */
export function scratchInt32(purpose: string, n: number, fill: number): Int32Array {
  let a = int32.get(purpose);
  if (!a || a.length < n) int32.set(purpose, (a = new Int32Array(Math.max(n, 2 * (a?.length ?? 32)))));
  a.fill(fill, 0, n);
  return a;
}

/** A Uint8Array of at least `n` elements for `purpose`, its first `n` zero. */
export function scratchUint8(purpose: string, n: number): Uint8Array {
  let a = uint8.get(purpose);
  if (!a || a.length < n) uint8.set(purpose, (a = new Uint8Array(Math.max(n, 2 * (a?.length ?? 32)))));
  a.fill(0, 0, n);
  return a;
}

/** Int32Arrays handed out (and kept by callers) as views of shared 64 KiB buffers. */
const SLAB_BYTES = 1 << 16;
let slab = new ArrayBuffer(SLAB_BYTES);
let slabUsed = 0;

/**
 * A new Int32Array of `n` elements filled with `fill`, for a caller to keep: a view of a shared buffer
 * when it fits (no allocation of its own), else an array of its own. A view keeps its whole buffer
 * alive, at most 64 KiB; nothing reads these arrays' `buffer`.
 */
export function keptInt32(n: number, fill: number): Int32Array {
  const bytes = n * 4;
  if (bytes > SLAB_BYTES / 8) return new Int32Array(n).fill(fill);
  if (slabUsed + bytes > SLAB_BYTES) {
    slab = new ArrayBuffer(SLAB_BYTES);
    slabUsed = 0;
  }
  const a = new Int32Array(slab, slabUsed, n).fill(fill);
  slabUsed += bytes;
  return a;
}
