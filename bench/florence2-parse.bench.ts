/**
 * Throughput of our Florence-2 output parsers against transformers.js 4.3.1's
 * Florence2Processor.post_process_generation on the same builder strings (the anchor, same run).
 * `FLD_BENCH_N` sets the number of strings per type (default 20000).
 */
import { parseGeneration } from '../schemas/florence2-parse.ts';
import { groundingExample, ocrWithRegionExample, odExample } from '../schemas/florence2-targets.ts';
import type { ImageSize } from '../schemas/loc-codec.ts';
import { tjsFlorence2Processor } from '../test/schemas/tjs-florence2.ts';
import {
  OCR_TEXTS,
  WORDS,
  int,
  pick,
  randomBox,
  randomQuad,
  randomSize,
  rng,
} from '../test/schemas/florence2-fixtures.ts';

const N = Number(process.env.FLD_BENCH_N ?? 20000);
const tjs = tjsFlorence2Processor();

const r = rng(1);
type Row = { text: string; size: ImageSize };
const make = (f: (size: ImageSize) => string): Row[] =>
  Array.from({ length: N }, () => {
    const size = randomSize(r);
    return { text: `</s><s>${f(size)}</s>`, size };
  });
const sets: [string, 'description_with_bboxes' | 'phrase_grounding' | 'ocr', string, Row[]][] = [
  [
    'OD, 1-12 boxes',
    'description_with_bboxes',
    '<OD>',
    make(
      (s) =>
        odExample(
          Array.from({ length: int(r, 1, 12) }, () => ({ label: pick(r, WORDS), box: randomBox(r, s) })),
          s,
        ).suffix,
    ),
  ],
  [
    'grounding, 1-5 phrases',
    'phrase_grounding',
    '<CAPTION_TO_PHRASE_GROUNDING>',
    make(
      (s) =>
        groundingExample(
          'c',
          Array.from({ length: int(r, 1, 5) }, () => ({ phrase: pick(r, WORDS), boxes: [randomBox(r, s)] })),
          s,
        ).suffix,
    ),
  ],
  [
    'OCR, 1-8 lines',
    'ocr',
    '<OCR_WITH_REGION>',
    make(
      (s) =>
        ocrWithRegionExample(
          Array.from({ length: int(r, 1, 8) }, () => ({ text: pick(r, OCR_TEXTS), quad: randomQuad(r, s) })),
          s,
        ).suffix,
    ),
  ],
];

/** Strings per second of each, rounds interleaved so that load from other processes hits both alike; best round. */
function rates(ours: () => void, anchor: () => void): [number, number] {
  ours();
  anchor(); // warm-up
  const best = [0, 0];
  for (let k = 0; k < 5; k++) {
    [ours, anchor].forEach((f, j) => {
      const t0 = process.hrtime.bigint();
      f();
      best[j] = Math.max(best[j], N / (Number(process.hrtime.bigint() - t0) / 1e9));
    });
  }
  return [best[0], best[1]];
}

console.log(`strings per type: ${N}; best of 5 interleaved rounds; strings/s`);
console.log('figure | anchor | ratio');
for (const [name, type, task, rows] of sets) {
  const [ours, anchor] = rates(
    () => {
      for (const x of rows) parseGeneration(x.text, type, x.size);
    },
    () => {
      for (const x of rows) tjs.post_process_generation(x.text, task, [x.size.width, x.size.height]);
    },
  );
  console.log(
    `${name}: ours ${Math.round(ours)}/s | transformers.js ${Math.round(anchor)}/s | ${(ours / anchor).toFixed(2)}`,
  );
}
