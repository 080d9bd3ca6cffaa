import { createRequire } from 'node:module';
import { snappyCompress as jsSnappy } from 'hyparquet-writer/src/snappy.js';

/**
 * SNAPPY for shard pages (raw block format, as Parquet stores it). The `snappy` package's native
 * compressor (napi-rs) when its prebuilt binary loads, which costs a third of hyparquet-writer's
 * JavaScript one per page (docs/decisions.md, "Parquet shards"); hyparquet-writer's otherwise, so a
 * platform without a prebuilt binary still writes the same format. Either output is read back by
 * any Parquet reader (test/shards/snappy.test.ts reads both with hyparquet's decompressor).
 */

export type Compress = (input: Uint8Array) => Uint8Array;
export interface Snappy {
  compress: Compress;
  /** Which compressor this process uses. */
  impl: 'native' | 'js';
}

type NativeModule = { compressSync(input: Uint8Array): Uint8Array };

/** The native compressor from `load` (a module loader), or the JavaScript one when it does not load. */
export function pickSnappy(load: () => NativeModule): Snappy {
  try {
    const native = load();
    // a binary that loads but fails on first use counts as missing
    if (native.compressSync(new Uint8Array(1)).length === 0) throw new Error('empty output');
    return { compress: (input) => native.compressSync(input), impl: 'native' };
  } catch {
    return { compress: jsSnappy, impl: 'js' };
  }
}

const require = createRequire(import.meta.url);
export const snappy: Snappy = pickSnappy(() => require('snappy') as NativeModule);
