/**
 * SNAPPY for shard pages: the compressor the shards use (pipeline/shards/snappy.ts: the `snappy`
 * package's native one where its binary loads) beside hyparquet-writer's JavaScript one, on the same
 * pages: 1000-row PLAIN pages of alt-texts as an image shard holds them, and of longer captions.
 * CPU microseconds per page, best of interleaved rounds; compressed sizes beside them. Printed, not
 * judged: the choice is recorded in docs/decisions.md ("Parquet shards").
 *   npm run bench -- snappy            (FLD_BENCH_SNAPPY_PAGES, default 2000 per round)
 */
import { snappyCompress as jsSnappy } from 'hyparquet-writer/src/snappy.js';
import { snappy } from '../pipeline/shards/snappy.ts';
import { rng } from '../test/helpers/rng.ts';

const PAGES = Number(process.env.FLD_BENCH_SNAPPY_PAGES ?? 2000);
const ROUNDS = 3;
const WORDS = ['a', 'photo', 'of', 'red', 'car', 'parked', 'next', 'to', 'the', 'old', 'brick', 'house', 'with', 'two'];

/** A PLAIN BYTE_ARRAY page of `n` values: each one's length (4 bytes LE), then its bytes. */
function page(values: string[]): Uint8Array {
  const parts: Buffer[] = [];
  for (const v of values) {
    const b = Buffer.from(v, 'utf8');
    const len = Buffer.alloc(4);
    len.writeUInt32LE(b.length);
    parts.push(len, b);
  }
  return new Uint8Array(Buffer.concat(parts));
}

const r = rng(1);
const caption = () =>
  Array.from({ length: 8 + Math.floor(r() * 30) }, () => WORDS[Math.floor(r() * WORDS.length)]).join(' ');
const pages: [string, Uint8Array][] = [
  [
    'alt-texts as the plan bench writes them',
    page(Array.from({ length: 1000 }, (_, i) => `a photo of thing number ${i} on a table`)),
  ],
  ['seeded captions of 8-37 words', page(Array.from({ length: 1000 }, caption))],
];

const cpuUs = (f: () => void): number => {
  const a = process.cpuUsage();
  f();
  const b = process.cpuUsage(a);
  return b.user + b.system;
};

console.log(`shards compress with: ${snappy.impl}`);
console.log('figure | anchor | ratio');
for (const [what, p] of pages) {
  let used = Number.POSITIVE_INFINITY;
  let js = Number.POSITIVE_INFINITY;
  for (let round = 0; round < ROUNDS; round++) {
    used = Math.min(
      used,
      cpuUs(() => {
        for (let i = 0; i < PAGES; i++) snappy.compress(p);
      }) / PAGES,
    );
    js = Math.min(
      js,
      cpuUs(() => {
        for (let i = 0; i < PAGES; i++) jsSnappy(p);
      }) / PAGES,
    );
  }
  const kb = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
  console.log(
    [
      `${what} (${kb(p.length)} page), ${snappy.impl}: ${used.toFixed(1)} us CPU/page -> ${kb(snappy.compress(p).length)}`,
      `hyparquet-writer's JS: ${js.toFixed(1)} us CPU/page -> ${kb(jsSnappy(p).length)}`,
      (used / js).toFixed(2),
    ].join(' | '),
  );
}
