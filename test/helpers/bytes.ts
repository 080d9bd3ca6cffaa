/**
 * Deterministic test bytes without holding them: `bytesStream(n, seed)` yields n pseudo-random
 * bytes (xorshift32) in 1 MiB chunks, the same for the same seed, and `sha256Of(stream)` hashes a
 * stream as it flows. Compare a big object by hash instead of keeping two copies in memory.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';

export function* byteChunks(total: number, seed = 1, chunk = 1 << 20): Generator<Buffer> {
  let x = seed >>> 0 || 1;
  for (let done = 0; done < total; done += chunk) {
    const n = Math.min(chunk, total - done);
    const words = new Uint32Array(Math.ceil(n / 4));
    for (let i = 0; i < words.length; i++) {
      x ^= x << 13;
      x >>>= 0;
      x ^= x >>> 17;
      x ^= x << 5;
      x >>>= 0;
      words[i] = x;
    }
    yield Buffer.from(words.buffer, 0, n);
  }
}

/** n deterministic bytes as a stream (optionally failing with `failAfter` bytes sent). */
export function bytesStream(total: number, seed = 1, opts: { chunk?: number; failAfter?: number } = {}): Readable {
  const { chunk = 1 << 20, failAfter } = opts;
  return Readable.from(
    (function* () {
      let sent = 0;
      for (const c of byteChunks(total, seed, chunk)) {
        if (failAfter !== undefined && sent + c.length > failAfter)
          throw new Error(`source failed on purpose after ${sent} bytes`);
        sent += c.length;
        yield c;
      }
    })(),
  );
}

export function bytes(total: number, seed = 1): Buffer {
  return Buffer.concat([...byteChunks(total, seed)]);
}

export function sha256(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}

export async function sha256Of(stream: AsyncIterable<Uint8Array | string>): Promise<{ hash: string; size: number }> {
  const h = createHash('sha256');
  let size = 0;
  for await (const c of stream) {
    h.update(c);
    size += typeof c === 'string' ? Buffer.byteLength(c) : c.length;
  }
  return { hash: h.digest('hex'), size };
}
