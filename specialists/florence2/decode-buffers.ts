/**
 * Float buffers a decode keeps between images: the beams' copies of the encoder KV, states and mask,
 * the moved decoder KV and the step's token embeddings. Allocating them per image (zero-filled, up
 * to a few MB for a real model) cost more CPU than copying into them, and their garbage added to
 * the collector's passes that onnxruntime-node's fresh output buffers already start. A generate call
 * takes a set from the pool and gives it back when done, so calls that overlap on one thread (the
 * worker serves requests as they come) never share one. A key always holds one float type.
 */
import { allocFloat, type FloatData, type FloatType } from './tensors.ts';

export class DecodeBuffers {
  readonly #float = new Map<string, FloatData>();
  readonly #int64 = new Map<string, BigInt64Array>();

  /** The buffer kept under `key`, at least `n` long (its first n values are what it held; grown buffers start at 0). */
  float(key: string, type: FloatType, n: number): FloatData {
    let b = this.#float.get(key);
    if (!b || b.length < n) {
      b = allocFloat(type, Math.max(n, 2 * (b?.length ?? 0)));
      this.#float.set(key, b);
    }
    return b;
  }

  int64(key: string, n: number): BigInt64Array {
    let b = this.#int64.get(key);
    if (!b || b.length < n) {
      b = new BigInt64Array(Math.max(n, 2 * (b?.length ?? 0)));
      this.#int64.set(key, b);
    }
    return b;
  }
}

/** Sets of buffers for one runner's decodes: `take` one per decode, `give` it back after. */
export class DecodeBufferPool {
  readonly #free: DecodeBuffers[] = [];

  take(): DecodeBuffers {
    return this.#free.pop() ?? new DecodeBuffers();
  }

  give(b: DecodeBuffers): void {
    this.#free.push(b);
  }
}
