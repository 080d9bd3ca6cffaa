/**
 * Working arrays reused from one parse to the next. A typed array longer than a few elements lives
 * outside V8's heap, and allocating one costs far more than filling it; a text's parse needs several,
 * one per token each, so they are kept per purpose and grown when a longer text comes. A parse is
 * synchronous, so one per purpose per process is enough; nothing returned to a caller is a scratch array
 * (`keptInt32` gives those).
 */
/** One purpose's reusable Int32Array. */
export class Int32Scratch {
  private a = new Int32Array(64);
  /** At least `n` elements, the first `n` set to `fill`. */
  take(n: number, fill: number): Int32Array {
    if (this.a.length < n) this.a = new Int32Array(Math.max(n, 2 * this.a.length));
    const a = this.a;
    // a loop rather than fill(): the built-in's call costs more than filling the few elements of most texts
    if (n > 256) return a.fill(fill, 0, n);
    for (let k = 0; k < n; k++) a[k] = fill;
    return a;
  }
}

/** One purpose's reusable Uint8Array. */
export class Uint8Scratch {
  private a = new Uint8Array(64);
  /** At least `n` elements, the first `n` zero. */
  take(n: number): Uint8Array {
    if (this.a.length < n) this.a = new Uint8Array(Math.max(n, 2 * this.a.length));
    const a = this.a;
    if (n > 256) return a.fill(0, 0, n);
    for (let k = 0; k < n; k++) a[k] = 0;
    return a;
  }
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
