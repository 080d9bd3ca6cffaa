// @part unit
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IdTable } from '../../../pipeline/sources/id-table.ts';
import { imageIdFromUri } from '../../../pipeline/sources/ids.ts';

test('remembers every id across growth and returns the first ordinal of a repeat', () => {
  const t = new IdTable(4);
  const ids = Array.from({ length: 5000 }, (_, i) => imageIdFromUri(`/x/${i}.jpg`));
  ids.forEach((id, i) => assert.equal(t.addHex(id, i), undefined));
  assert.equal(t.size, 5000);
  for (const i of [0, 1, 2499, 4999]) assert.equal(t.addHex(ids[i]!, 9999), i);
  assert.equal(t.size, 5000, 'a repeat is not added');
});

test('ids equal in one 32-bit half only are different ids', () => {
  const t = new IdTable();
  assert.equal(t.addHex('00000000aaaaaaaa', 0), undefined);
  assert.equal(t.addHex('11111111aaaaaaaa', 1), undefined);
  assert.equal(t.addHex('00000000aaaaaaab', 2), undefined);
  assert.equal(t.addHex('11111111aaaaaaaa', 3), 1);
});

test('hex digits of either case and the extreme values read as the same 64-bit ids', () => {
  const t = new IdTable();
  assert.equal(t.addHex('abcdef0123456789', 0), undefined);
  assert.equal(t.addHex('ABCDEF0123456789', 1), 0);
  assert.equal(t.addHex('ffffffffffffffff', 2), undefined);
  assert.equal(t.addHex('0000000000000000', 3), undefined);
  assert.equal(t.addHex('FFFFFFFFFFFFFFFF', 4), 2);
  assert.equal(t.addHex('0000000000000000', 5), 3);
  assert.equal(t.size, 3);
});

test('touching the slots a batch will probe changes no answer, across growth and repeats', () => {
  const plain = new IdTable(4);
  const touched = new IdTable(4);
  const hi = new Uint32Array(600);
  const lo = new Uint32Array(600);
  for (let b = 0; b < 20; b++) {
    // ids that collide in their low bits, repeat within and across batches, and fill past each growth
    for (let k = 0; k < 600; k++) {
      const n = (b * 600 + k) % 7001;
      hi[k] = n;
      lo[k] = (n % 64) * 1024;
    }
    touched.touch(lo, 600);
    for (let k = 0; k < 600; k++)
      assert.equal(touched.add(hi[k]!, lo[k]!, b * 600 + k), plain.add(hi[k]!, lo[k]!, b * 600 + k));
  }
  assert.equal(touched.size, 7001);
});
