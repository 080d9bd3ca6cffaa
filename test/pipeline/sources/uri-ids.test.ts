// @part unit
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hash } from 'node:crypto';
import { UriIdHasher } from '../../../pipeline/sources/uri-ids.ts';
import { rng } from '../../helpers/rng.ts';

/** What every image id is (ids.ts): the first 16 hex digits of SHA-256 of the URI's UTF-8, by node:crypto. */
const want = (s: string) => hash('sha256', s, 'hex').slice(0, 16);

function check(h: UriIdHasher, uris: string[]): void {
  h.hash(uris);
  assert.equal(h.ids.length, uris.length);
  for (let i = 0; i < uris.length; i++) {
    const w = want(uris[i]);
    if (h.ids[i] !== w)
      assert.fail(`uri #${i} (${uris[i].length} chars ${JSON.stringify(uris[i].slice(0, 40))}): ${h.ids[i]} != ${w}`);
    assert.equal(h.hi[i], Number.parseInt(w.slice(0, 8), 16), `uri #${i}: first word`);
    assert.equal(h.lo[i], Number.parseInt(w.slice(8), 16), `uri #${i}: second word`);
  }
}

const hasher = (): UriIdHasher => {
  const h = UriIdHasher.create();
  assert.ok(h, 'WebAssembly SIMD compiles on this Node');
  return h;
};

test('every length across the block edges, one batch and one URI per call: the same ids as node:crypto', () => {
  const h = hasher();
  const all = Array.from({ length: 300 }, (_, n) => '/p/'.repeat(n).slice(0, n));
  check(h, all);
  // the lanes of a group with different block counts: a short message beside long ones and back
  for (const n of [0, 1, 55, 56, 63, 64, 119, 120, 183, 184]) check(h, [all[n]]);
  check(h, [all[5], all[190], all[56], all[0], all[120]]);
});

test('ASCII paths and URLs, non-ASCII, lone surrogates, a very long URI, batches past the module batch of 1024', () => {
  const h = hasher();
  const r = rng(42);
  const pick = (s: string) => s[Math.floor(r() * s.length)];
  const ascii = ' !"#%&()*+,-./0123456789:;=?@ABCXYZ[]_abcxyz~';
  const uris: string[] = [];
  for (let i = 0; i < 2500; i++) {
    const n = Math.floor(r() * 160);
    let s = i % 3 === 0 ? 's3://bucket/' : i % 3 === 1 ? '/data/images/' : 'https://example.com/a?b=';
    for (let j = 0; j < n; j++) s += pick(ascii);
    uris.push(s);
  }
  check(h, uris);
  // one non-ASCII URI in a batch of ASCII ones, then all kinds: 2-, 3- and 4-byte UTF-8, lone surrogates
  const mixed = uris.slice(0, 700);
  mixed[350] = '/data/caf\u00e9/\u65e5\u672c/\u{1f600}.jpg';
  check(h, mixed);
  check(h, ['\ud800', 'a\udfffb', '\u{10ffff}'.repeat(20), '\u00ff'.repeat(30), '\u0800'.repeat(19)]);
  // a URI far past the module's first memory, then short ones again where it was laid out
  check(h, ['x'.repeat(300_000), 'short']);
  check(h, ['a', 'b', 'c']);
  check(h, []);
});
