// @part unit
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { snappyUncompress } from 'hyparquet';
import { pickSnappy, snappy, type Snappy } from '../../pipeline/shards/snappy.ts';
import { rng } from '../helpers/rng.ts';

const require = createRequire(import.meta.url);
const native = pickSnappy(() => require('snappy'));
const missing = pickSnappy(() => {
  throw new Error("Cannot find module '@napi-rs/snappy-linux-x64-gnu'");
});
const broken = pickSnappy(() => ({
  compressSync: () => {
    throw new Error('illegal instruction');
  },
}));

/** Inputs a page can be: empty, one byte, incompressible, long runs, text that repeats at a distance, views. */
function inputs(): [string, Uint8Array][] {
  const r = rng(7);
  const random = Uint8Array.from({ length: 100_000 }, () => Math.floor(r() * 256));
  const text = new TextEncoder().encode(
    Array.from({ length: 20_000 }, (_, i) => `a photo of thing number ${i} on a table`).join(''),
  );
  const padded = new Uint8Array(70_000);
  padded.set(text.subarray(0, 60_000), 5_000);
  return [
    ['empty', new Uint8Array(0)],
    ['one byte', Uint8Array.of(42)],
    ['random bytes', random],
    ['one byte repeated 1 MB', new Uint8Array(1 << 20).fill(7)],
    ['alt-texts, 800 KB', text],
    ['a view into a larger buffer', padded.subarray(4_000, 66_000)],
  ];
}

function roundTrip(s: Snappy): void {
  for (const [name, input] of inputs()) {
    const packed = s.compress(input);
    const back = new Uint8Array(input.length);
    snappyUncompress(packed, back);
    assert.deepEqual(back, input, `${s.impl}: ${name} read back by hyparquet`);
    if (input.length > 1000 && name !== 'random bytes')
      assert.ok(packed.length < input.length / 2, `${s.impl}: ${name} compressed (${packed.length} bytes)`);
  }
}

test('snappy: the native compressor when it loads, and hyparquet reads what it writes', () => {
  assert.equal(native.impl, 'native');
  assert.equal(snappy.impl, 'native', 'the shards use the native compressor on this machine');
  roundTrip(native);
});

test('snappy: a binary that does not load or fails on first use leaves the JavaScript one, same format', () => {
  assert.equal(missing.impl, 'js');
  assert.equal(broken.impl, 'js');
  roundTrip(missing);
});
