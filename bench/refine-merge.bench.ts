/**
 * Refinement merge benchmark: what combining with round R-1 costs per image. The anchor is the
 * same merge and filters on the new predictions alone (a round-0-like merge); each policy set adds
 * round R-1's rows (12 object boxes, 3 OCR regions, 2 texts, 4 groundings an image, the new round
 * about as many, half of the boxes overlapping) and combines them first. CPU time of this process
 * (the machine is shared). `npm run bench -- refine-merge` (FLD_BENCH_QUICK=1 for a short run).
 */
import { filterConfig } from '../filters/filter-config.ts';
import {
  mergeImage,
  type MergeInput,
  type RawGrounding,
  type RawRegion,
  type RawText,
} from '../filters/merge/merge.ts';
import { combineWithPrevious, type PreviousRows } from '../filters/merge/refine-policy.ts';
import { RefinePolicy } from '../schemas/refine-config.ts';
import type { RegionTextRecord, TextPhraseRegionRecord, TextRecord } from '../schemas/records.ts';

const QUICK = process.env.FLD_BENCH_QUICK === '1';
const N = QUICK ? 100 : 1000;
let seed = 2026;
const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296;
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
const CATS = ['circle', 'square', 'triangle', 'star', 'heart', 'cross'];
const COLOURS = ['red', 'green', 'blue', 'yellow', 'purple', 'orange'];
const box = (): [number, number, number, number] => {
  const x = rnd() * 200,
    y = rnd() * 200,
    w = 20 + rnd() * 50,
    h = 20 + rnd() * 50;
  return [x, y, Math.min(256, x + w), Math.min(256, y + h)];
};
const jitter = (b: readonly number[]): [number, number, number, number] => [
  b[0] + rnd() * 4 - 2,
  b[1] + rnd() * 4 - 2,
  b[2] + rnd() * 4 - 2,
  b[3] + rnd() * 4 - 2,
];
const caption = () =>
  `A ${pick(COLOURS)} ${pick(CATS)} next to a ${pick(COLOURS)} ${pick(CATS)} and a ${pick(COLOURS)} ${pick(CATS)}.`;

interface Case {
  image: MergeInput['image'];
  fresh: { texts: RawText[]; regions: RawRegion[]; groundings: RawGrounding[] };
  prev: PreviousRows;
}

function makeCase(i: number): Case {
  const id = `img${i}`;
  const image: MergeInput['image'] = {
    image_id: id,
    width: 256,
    height: 256,
    alt_text: null,
    existing_texts: [],
    existing_boxes: [],
  };
  const prevBoxes = Array.from({ length: 12 }, () => ({ box: box(), cat: pick(CATS) }));
  const region = (
    b: [number, number, number, number],
    phrase: string,
    kind: 'object' | 'text',
    k: number,
  ): RegionTextRecord => ({
    image_id: id,
    round: 0,
    region_id: `${id}:r:${k}`,
    kind,
    box: b,
    quad: kind === 'text' ? [b[0], b[1], b[2], b[1], b[2], b[3], b[0], b[3]] : null,
    phrase,
    brief: null,
    noun_chunks: [],
    source: kind === 'text' ? 'ocr@1' : 'detector@1',
    score: 0.5 + rnd() / 2,
    sources: [kind === 'text' ? 'ocr@1' : 'detector@1'],
  });
  const prevTexts: TextRecord[] = [caption(), caption()].map(
    (t, k) =>
      ({
        image_id: id,
        round: 0,
        text_id: `${id}:t:${k}`,
        granularity: 'brief',
        text: t,
        source: 'captioner@1',
        score: 0.8,
        sources: ['captioner@1'],
        objects: 3,
        attributes: 3,
        actions: 0,
        proper_nouns: 0,
        object_complexity: 2,
        action_complexity: 1,
      }) as TextRecord,
  );
  const prevGroundings: TextPhraseRegionRecord[] = prevTexts.flatMap((t) =>
    [0, 1].map((k) => {
      const words = t.text.split(' ');
      const phrase = `${words[1]} ${words[2].replace('.', '')}`;
      const start = t.text.indexOf(phrase);
      return {
        image_id: id,
        round: 0,
        text_id: t.text_id,
        granularity: 'brief',
        phrase,
        span: [start, start + phrase.length],
        boxes: [prevBoxes[k].box],
        source: 'ground@1',
        score: 0.7,
        sources: ['ground@1'],
      } as TextPhraseRegionRecord;
    }),
  );
  const prev: PreviousRows = {
    text: prevTexts,
    region_text: [
      ...prevBoxes.map((b, k) => region(b.box, b.cat, 'object', k)),
      ...[0, 1, 2].map((k) => region(box(), 'SALE', 'text', 100 + k)),
    ],
    text_phrase_region: prevGroundings,
  };
  const fresh = {
    texts: [caption(), prevTexts[0].text].map((text) => ({
      source: 'model@1',
      granularity: 'brief' as const,
      text,
      score: 0.7,
    })),
    regions: [
      ...prevBoxes
        .slice(0, 6)
        .map((b) => ({ source: 'model@1', kind: 'object' as const, box: jitter(b.box), phrase: b.cat, score: 0.6 })),
      ...Array.from({ length: 6 }, () => ({
        source: 'model@1',
        kind: 'object' as const,
        box: box(),
        phrase: pick(CATS),
        score: 0.6,
      })),
      ...prev.region_text
        .filter((r) => r.kind === 'text')
        .map((r) => ({
          source: 'model@1',
          kind: 'text' as const,
          box: jitter(r.box),
          quad: r.quad,
          phrase: 'SALE',
          score: 0.9,
        })),
    ],
    groundings: prevGroundings.slice(0, 2).map((g) => ({
      source: 'model@1',
      text: prevTexts[0].text,
      granularity: 'brief' as const,
      phrase: g.phrase,
      span: g.span,
      boxes: g.boxes.map(jitter),
      score: 0.8,
    })),
  };
  return { image, fresh, prev };
}

const cases = Array.from({ length: N }, (_, i) => makeCase(i));
const config = filterConfig({});
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
function run(policy: RefinePolicy | null): number {
  const t0 = cpuMs();
  let rows = 0;
  for (const c of cases) {
    let input = c.fresh;
    let cfg = config;
    if (policy) {
      const r = combineWithPrevious(c.image, 'brief', c.fresh, c.prev, {
        policy,
        agreeIou: 0.5,
        nmsIou: config.boxes.nmsIou,
      });
      input = r;
      if (r.boxes) cfg = { ...config, merge: { ...config.merge, boxes: r.boxes } };
    }
    const m = mergeImage({ image: c.image, round: 1, ...input }, cfg);
    rows += m.text.length + m.region_text.length + m.text_phrase_region.length;
  }
  if (rows === 0) throw new Error('no rows: the bench inputs are broken');
  return cpuMs() - t0;
}

run(null); // warm-up (wink-nlp model load, JIT)
for (const p of [RefinePolicy.parse({})]) run(p);
/** Best of 3, anchor and policy interleaved, so neither gains from running later (JIT, caches). */
function pair(p: RefinePolicy): [number, number] {
  let a = Infinity,
    b = Infinity;
  for (let k = 0; k < 3; k++) {
    a = Math.min(a, run(null));
    b = Math.min(b, run(p));
  }
  return [a, b];
}
const sets: [string, RefinePolicy][] = [
  ['defaults (replace / keep-if-agree / union)', RefinePolicy.parse({})],
  [
    'all replace',
    RefinePolicy.parse({
      text: 'replace',
      region_text: 'replace',
      ocr_region: 'replace',
      text_phrase_region: 'replace',
    }),
  ],
  [
    'union + union-nms',
    RefinePolicy.parse({
      text: 'union',
      region_text: 'union-nms',
      ocr_region: 'union-nms',
      text_phrase_region: 'union',
    }),
  ],
  [
    'union + union-fusion',
    RefinePolicy.parse({
      text: 'union',
      region_text: 'union-fusion',
      ocr_region: 'union-fusion',
      text_phrase_region: 'union',
    }),
  ],
  [
    'keep-if-agree everywhere',
    RefinePolicy.parse({
      text: 'union',
      region_text: 'keep-if-agree',
      ocr_region: 'keep-if-agree',
      text_phrase_region: 'keep-if-agree',
    }),
  ],
];
const rate = (ms: number) => ((N / ms) * 1000).toFixed(0);
console.log(`${N} images, CPU time of this process`);
console.log(`${'policy'.padEnd(44)} | images/s | anchor (merge of new rows alone) images/s | ratio`);
for (const [name, p] of sets) {
  const [anchor, ms] = pair(p);
  console.log(
    `${name.padEnd(44)} | ${rate(ms).padStart(8)} | ${rate(anchor).padStart(41)} | ${(anchor / ms).toFixed(2)}x`,
  );
}
