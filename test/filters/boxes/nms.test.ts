// @part integration
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nms, batchedNms, nmsFilter } from '../../../filters/boxes/nms.ts';
import { boxArrays } from '../../../filters/boxes/arrays.ts';

const PY = '/usr/bin/python3';
const script = fileURLToPath(new URL('./torchvision_nms.py', import.meta.url));
const probe = spawnSync(PY, ['-c', 'import torchvision'], { encoding: 'utf8' });
const noTorch =
  probe.status !== 0
    ? `SKIPPED: ${PY} cannot import torchvision (${(probe.stderr || String(probe.error)).trim().split('\n').pop()}); install python3-torchvision`
    : false;
if (noTorch) console.log(noTorch);

interface Case {
  boxes: number[];
  scores: number[];
  labels: number[];
  iou: number;
  keep: number[];
  keep_batched: number[];
}
interface Tie {
  boxes: number[];
  scores: number[];
  iou: number;
  torchvision_keep: number[];
}

interface NanCase {
  boxes: (number | null)[];
  scores: number[];
  iou: number;
  keep: number[];
}
interface Borderline {
  boxes: number[];
  scores: number[];
  iou: number;
  keep: number[];
  iou32: number;
  iou64: number;
}
type Loaded = {
  meta: Record<string, unknown>;
  cases: Case[];
  ties: Tie[];
  nan_cases: NanCase[];
  borderline: Borderline[];
};
let loaded: Loaded | null = null;
/** Runs the Python reference once per test file (about 10 s: torch import and 1,000 cases). */
function loadCases(): Loaded {
  if (loaded) return loaded;
  const dir = mkdtempSync(join(tmpdir(), 'fld-nms-'));
  try {
    const out = join(dir, 'cases.json');
    const r = spawnSync(PY, [script, 'cases', out, '--count', '1000'], { encoding: 'utf8' });
    assert.equal(r.status, 0, `torchvision_nms.py failed: ${r.stderr}`);
    loaded = JSON.parse(readFileSync(out, 'utf8'));
    return loaded!;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const arrays = (c: { boxes: number[]; scores: number[]; labels?: number[] }) => ({
  xyxy: Float32Array.from(c.boxes),
  scores: Float32Array.from(c.scores),
  labels: Int32Array.from(c.labels ?? c.scores.map(() => 0)),
});

test('NMS keeps exactly the indexes torchvision.ops.nms keeps on 1,000 random cases (and batched_nms per class)', {
  skip: noTorch,
}, () => {
  const { meta, cases } = loadCases();
  assert.equal(cases.length, 1000);
  let boxes = 0;
  let suppressed = 0;
  for (const [k, c] of cases.entries()) {
    assert.equal(new Set(c.scores).size, c.scores.length, `case ${k}: scores are not distinct`);
    const b = arrays(c);
    assert.deepEqual(
      Array.from(nms(b, c.iou)),
      c.keep,
      `case ${k} (n=${c.scores.length}, iou=${c.iou}): class-agnostic`,
    );
    assert.deepEqual(Array.from(batchedNms(b, c.iou)), c.keep_batched, `case ${k}: class-aware`);
    boxes += c.scores.length;
    suppressed += c.scores.length - c.keep.length;
  }
  console.log(
    `NMS equivalence: 1000 cases, ${boxes} boxes, ${suppressed} suppressed by torchvision ${meta.torchvision}; all kept sets equal`,
  );
  assert.ok(suppressed > boxes / 10, 'the cases exercise suppression');
});

test('ties in score: the lower index is visited first (documented rule)', () => {
  // two identical boxes, same score: index 0 is kept, 1 suppressed; reversed input order keeps index 0 again
  const same = boxArrays(
    [
      { box: [0, 0, 10, 10], score: 0.5 },
      { box: [0, 0, 10, 10], score: 0.5 },
    ],
    32,
  );
  assert.deepEqual(Array.from(nms(same, 0.5)), [0]);
  // a chain: 0 and 2 overlap 1 but not each other; all tied -> 0 kept, 1 suppressed by 0, 2 kept
  const chain = boxArrays(
    [
      { box: [0, 0, 10, 10], score: 0.9 },
      { box: [4, 0, 14, 10], score: 0.9 },
      { box: [8, 0, 18, 10], score: 0.9 },
    ],
    32,
  );
  assert.deepEqual(Array.from(nms(chain, 0.3)), [0, 2]);
  // the same boxes with index 1 first among equals: it suppresses both neighbours
  const chain2 = boxArrays(
    [
      { box: [4, 0, 14, 10], score: 0.9 },
      { box: [0, 0, 10, 10], score: 0.9 },
      { box: [8, 0, 18, 10], score: 0.9 },
    ],
    32,
  );
  assert.deepEqual(Array.from(nms(chain2, 0.3)), [0]);
  // kept indexes come out by decreasing score, ties by index
  const order = boxArrays(
    [
      { box: [0, 0, 1, 1], score: 0.2 },
      { box: [5, 5, 6, 6], score: 0.7 },
      { box: [9, 9, 10, 10], score: 0.2 },
      { box: [20, 20, 21, 21], score: 0.7 },
    ],
    32,
  );
  assert.deepEqual(Array.from(nms(order, 0.5)), [1, 3, 0, 2]);
});

/** The documented rule written plainly, apart from nms.ts: visit by (score desc, index asc), float32 IoU. */
function referenceNms(xyxy: Float32Array, scores: Float32Array, iou: number): number[] {
  const f = Math.fround;
  const order = Array.from(scores, (s, i) => [s, i] as const)
    .sort((a, z) => z[0] - a[0] || a[1] - z[1])
    .map(([, i]) => i);
  const box = (i: number) => Array.from(xyxy.subarray(4 * i, 4 * i + 4));
  const area = (b: number[]) => f(f(b[2] - b[0]) * f(b[3] - b[1]));
  const kept: number[] = [];
  for (const i of order) {
    const a = box(i);
    const hit = kept.some((j) => {
      const c = box(j);
      const w = Math.max(0, f(Math.min(a[2], c[2]) - Math.max(a[0], c[0])));
      const h = Math.max(0, f(Math.min(a[3], c[3]) - Math.max(a[1], c[1])));
      const inter = f(w * h);
      return f(inter / f(f(area(a) + area(c)) - inter)) > iou;
    });
    if (!hit) kept.push(i);
  }
  return kept;
}

test('ties: random tied cases follow the lower-index rule (torchvision agreement reported)', { skip: noTorch }, () => {
  const { ties } = loadCases();
  let agree = 0;
  let tiedPairs = 0;
  for (const [k, t] of ties.entries()) {
    const b = arrays(t);
    const ours = Array.from(nms(b, t.iou));
    // the rule, checked independently: a plain NMS that visits by (score desc, index asc)
    assert.deepEqual(ours, referenceNms(b.xyxy, b.scores, t.iou), `tie case ${k}: not the lower-index-first result`);
    tiedPairs += t.scores.length - new Set(t.scores).size;
    if (JSON.stringify(ours) === JSON.stringify(t.torchvision_keep)) agree++;
  }
  assert.ok(tiedPairs > ties.length, 'the cases have ties');
  console.log(
    `ties: ${agree}/${ties.length} tied cases also equal torchvision ${loaded!.meta.torchvision}'s result (informational)`,
  );
});

test('IoU equal to the threshold does not suppress; empty input; class-aware keeps overlapping boxes of other classes', () => {
  // IoU exactly 0.5: boxes [0,0,2,1] and [0,0,1,1]: inter 1, union 2
  const half = boxArrays(
    [
      { box: [0, 0, 2, 1], score: 0.9 },
      { box: [0, 0, 1, 1], score: 0.8 },
    ],
    32,
  );
  assert.deepEqual(Array.from(nms(half, 0.5)), [0, 1]);
  assert.deepEqual(Array.from(nms(half, 0.49)), [0]);
  assert.deepEqual(Array.from(nms(boxArrays([]), 0.5)), []);
  const two = boxArrays(
    [
      { box: [0, 0, 10, 10], score: 0.9, label: 1 },
      { box: [0, 0, 10, 10], score: 0.8, label: 2 },
    ],
    32,
  );
  assert.deepEqual(Array.from(batchedNms(two, 0.5)), [0, 1]);
  assert.deepEqual(Array.from(nms(two, 0.5)), [0]);
  const f = nmsFilter(two, 0.5, false);
  assert.deepEqual(f.stats, { filter: 'box_nms', total: 2, kept: 1, dropped: { nms: 1 }, changed: {} });
});

test('boxes with NaN coordinates: same kept set as torchvision (std::max / std::min semantics)', {
  skip: noTorch,
}, () => {
  const { nan_cases } = loadCases();
  assert.equal(nan_cases.length, 20);
  for (const [k, c] of nan_cases.entries()) {
    const b = {
      xyxy: Float32Array.from(c.boxes.map((v) => (v === null ? NaN : v))),
      scores: Float32Array.from(c.scores),
    };
    assert.deepEqual(Array.from(nms(b, c.iou)), c.keep, `NaN case ${k}`);
  }
});

test("borderline thresholds between the float32 and float64 IoU: float32 arithmetic gives torchvision's answer", {
  skip: noTorch,
}, () => {
  const { borderline } = loadCases();
  assert.ok(borderline.length >= 50, `${borderline.length} borderline cases`);
  let wouldDiffer = 0;
  for (const [k, c] of borderline.entries()) {
    assert.deepEqual(
      Array.from(nms(arrays(c), c.iou)),
      c.keep,
      `borderline case ${k}: iou32 ${c.iou32} iou64 ${c.iou64} threshold ${c.iou}`,
    );
    // what double arithmetic would decide: the other answer, by construction
    if (c.iou64 > c.iou !== c.iou32 > c.iou) wouldDiffer++;
  }
  console.log(
    `borderline: ${borderline.length} cases where float64 IoU would decide otherwise (${wouldDiffer}); all equal torchvision`,
  );
  assert.equal(wouldDiffer, borderline.length);
});

test('random boxes with ties, nested sizes, empty, inverted, infinite and NaN coordinates: the same keeps as the plain rule', () => {
  let seed = 99;
  const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296;
  let suppressedTotal = 0;
  for (let k = 0; k < 400; k++) {
    const n = 1 + Math.floor(rnd() * 300);
    const xyxy = new Float32Array(n * 4),
      scores = new Float32Array(n),
      labels = new Int32Array(n);
    // clustered boxes of very different sizes (some span the whole image), few distinct scores
    const width = rnd() < 0.1 ? 1e6 : 1000;
    for (let i = 0; i < n; i++) {
      const cx = rnd() < 0.7 ? Math.floor(rnd() * 6) * (width / 6) + rnd() * 20 : rnd() * width;
      const cy = rnd() * width * 0.8;
      const s = rnd() < 0.1 ? rnd() * width : Math.exp(rnd() * 4 + 1);
      const h = s * (0.5 + rnd());
      xyxy.set([cx - s / 2, cy - h / 2, cx + s / 2, cy + h / 2], i * 4);
      const odd = rnd();
      if (odd < 0.03)
        xyxy[i * 4 + 2] = xyxy[i * 4]; // empty
      else if (odd < 0.06)
        xyxy.set([xyxy[i * 4 + 2], xyxy[i * 4 + 3], xyxy[i * 4], xyxy[i * 4 + 1]], i * 4); // inverted
      else if (odd < 0.08 && k % 5 === 0) xyxy[i * 4 + Math.floor(rnd() * 4)] = rnd() < 0.5 ? NaN : -Infinity;
      else if (odd < 0.12 && i > 0) xyxy.copyWithin(i * 4, (i - 1) * 4, i * 4); // a duplicate of the previous box
      scores[i] = Math.floor(rnd() * 5) / 4;
      labels[i] = Math.floor(rnd() * 3);
    }
    const iou = [0, 0.3, 0.5, 0.7, 1, -0.1, rnd()][k % 7];
    const expected = referenceNms(xyxy, scores, iou);
    assert.deepEqual(Array.from(nms({ xyxy, scores }, iou)), expected, `case ${k} (n=${n}, iou=${iou})`);
    suppressedTotal += n - expected.length;
    // class-aware: the plain rule per label, the union by (score desc, index asc)
    const perLabel: number[] = [];
    for (let l = 0; l < 3; l++) {
      const idx = Array.from(labels.keys()).filter((i) => labels[i] === l);
      const sub = new Float32Array(idx.length * 4);
      idx.forEach((i, j) => sub.set(xyxy.subarray(i * 4, i * 4 + 4), j * 4));
      for (const j of referenceNms(
        sub,
        Float32Array.from(idx, (i) => scores[i]),
        iou,
      ))
        perLabel.push(idx[j]);
    }
    perLabel.sort((a, z) => scores[z] - scores[a] || a - z);
    assert.deepEqual(Array.from(batchedNms({ xyxy, scores, labels }, iou)), perLabel, `case ${k}: class-aware`);
  }
  assert.ok(suppressedTotal > 1000, `the cases exercise suppression (${suppressedTotal})`);
});
