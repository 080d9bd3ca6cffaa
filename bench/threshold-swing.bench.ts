/**
 * What the calibrated thresholds' swing costs (docs/experiments/2026-12-06-threshold-swing.md): one
 * class of one source, simulated; its threshold chosen on a verified sample of 40 images by the
 * engine's own rule (`calibrateBoxes`: best F1, ties to the lower threshold), and by the median of
 * that rule over bootstrap draws of the sample ("bagging"); each scored on 20,000 other images of the
 * same setting. Figure: the rule's mean regret in F1 points; anchor: the best threshold on those
 * 20,000 images (regret 0); beside it the bagged rule and a fixed 0.5. Studied, not judged: no floor.
 *   npm run bench -- threshold-swing      (FLD_BENCH_SWING_TRIALS, default 200 samples per setting)
 */
import { calibrateBoxes } from '../filters/acceptance/calibrate.ts';
import type { ScoredBox, VerifiedImage } from '../filters/acceptance/verified-score.ts';

const TRIALS = Number(process.env.FLD_BENCH_SWING_TRIALS ?? 200);
const VERIFIED = 40;
const POPULATION = 20_000;
const DRAWS = 100;
const FIXED = 0.5;

// seeded uniform doubles (mulberry32), so every run prints the same figures
let state = 5;
function rnd(): number {
  state = (state + 0x6d2b79f5) | 0;
  let t = Math.imul(state ^ (state >>> 15), 1 | state);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
function gamma(k: number): number {
  if (k < 1) return gamma(k + 1) * rnd() ** (1 / k);
  const d = k - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = Math.sqrt(-2 * Math.log(rnd() || 1e-12)) * Math.cos(2 * Math.PI * rnd());
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    if (Math.log(rnd()) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
  }
}
const beta = (a: number, b: number) => {
  const x = gamma(a);
  return x / (x + gamma(b));
};
function poisson(l: number): number {
  let k = 0;
  let p = Math.exp(-l);
  let s = p;
  const u = rnd();
  while (u > s) {
    k++;
    p *= l / k;
    s += p;
  }
  return k;
}

interface Setting {
  name: string;
  /** Chance a true box is found; found boxes score Beta(aT, bT). */
  recall: number;
  aT: number;
  bT: number;
  /** False positives per image (Poisson), scoring Beta(aF, bF). */
  fp: number;
  aF: number;
  bF: number;
  maxTruth: number;
}
const SETTINGS: Setting[] = [
  { name: 'well separated', recall: 0.9, aT: 6, bT: 2, fp: 0.6, aF: 2, bF: 5, maxTruth: 3 },
  { name: 'overlapping', recall: 0.85, aT: 3, bT: 2, fp: 1.0, aF: 2, bF: 3, maxTruth: 3 },
  { name: 'flat (weak source)', recall: 0.8, aT: 2, bT: 2, fp: 1.5, aF: 1.5, bF: 2, maxTruth: 2 },
  { name: 'few false positives', recall: 0.9, aT: 4, bT: 2, fp: 0.2, aF: 2, bF: 4, maxTruth: 3 },
  { name: 'many false positives', recall: 0.9, aT: 5, bT: 2, fp: 3, aF: 2, bF: 4, maxTruth: 2 },
];

/** One image: its true boxes, and the source's detections as [score, true positive]. */
interface SimImage {
  truth: number;
  det: [number, boolean][];
}
function simImage(s: Setting): SimImage {
  const truth = 1 + Math.floor(rnd() * s.maxTruth);
  const det: [number, boolean][] = [];
  for (let i = 0; i < truth; i++) if (rnd() < s.recall) det.push([beta(s.aT, s.bT), true]);
  for (let i = poisson(s.fp); i > 0; i--) det.push([beta(s.aF, s.bF), false]);
  return { truth, det };
}

/**
 * The engine's calibration on a sample (images repeated as a bootstrap draw repeats them): true box k
 * of an image at column k, a hit drawn on it, a false positive a row below, so the rule's own
 * matching finds exactly the simulated hits.
 */
function calibrated(sample: readonly SimImage[]): number {
  const rows: (ScoredBox & { source: string })[] = [];
  const images: VerifiedImage[] = sample.map((im, n) => {
    const image_id = `im${n}`;
    let hit = 0;
    let miss = 0;
    for (const [score, tp] of im.det) {
      const x = 100 * (tp ? hit++ : miss++);
      rows.push({ image_id, category: 'shape', box: [x, tp ? 0 : 200, x + 50, tp ? 50 : 250], score, source: 'sim' });
    }
    const boxes = Array.from({ length: im.truth }, (_, k) => ({
      category: 'shape',
      box: [100 * k, 0, 100 * k + 50, 50],
    }));
    return { image_id, boxes, texts: [] };
  });
  const t = calibrateBoxes(rows, images, { minSupport: 5, precision: null, fallback: FIXED }).sim?.shape?.threshold;
  return t === undefined || t === 'off' ? Number.POSITIVE_INFINITY : t;
}

function f1At(images: readonly SimImage[], t: number): number {
  let tp = 0;
  let fp = 0;
  let support = 0;
  for (const im of images) {
    support += im.truth;
    for (const [s, hit] of im.det) if (s >= t) hit ? tp++ : fp++;
  }
  return tp ? (2 * tp) / (2 * tp + fp + (support - tp)) : 0;
}

const mean = (x: number[]) => x.reduce((a, b) => a + b, 0) / x.length;
const sd = (x: number[]) => Math.sqrt(mean(x.map((v) => (v - mean(x)) ** 2)));
const p90 = (x: number[]) => [...x].sort((a, b) => a - b)[Math.floor(0.9 * (x.length - 1))];
const f4 = (x: number) => x.toFixed(4);

const rows: string[][] = [];
for (const s of SETTINGS) {
  const population = Array.from({ length: POPULATION }, () => simImage(s));
  let best = 0;
  let bestT = 0;
  for (let t = 0; t <= 1.0001; t += 0.005) {
    const f = f1At(population, t);
    if (f > best) [best, bestT] = [f, t];
  }
  const regret = { rule: [] as number[], bagged: [] as number[], fixed: [] as number[] };
  const chosen = { rule: [] as number[], bagged: [] as number[] };
  for (let k = 0; k < TRIALS; k++) {
    const sample = Array.from({ length: VERIFIED }, () => simImage(s));
    const rule = calibrated(sample);
    const draws: number[] = [];
    for (let d = 0; d < DRAWS; d++)
      draws.push(calibrated(Array.from({ length: VERIFIED }, () => sample[Math.floor(rnd() * VERIFIED)])));
    draws.sort((a, b) => a - b);
    const bagged = draws[Math.floor(DRAWS / 2)];
    chosen.rule.push(Math.min(rule, 1));
    chosen.bagged.push(Math.min(bagged, 1));
    regret.rule.push(best - f1At(population, rule));
    regret.bagged.push(best - f1At(population, bagged));
    regret.fixed.push(best - f1At(population, FIXED));
  }
  rows.push([
    `${s.name}: max-F1 rule regret mean ${f4(mean(regret.rule))}, p90 ${f4(p90(regret.rule))} (threshold sd ${sd(chosen.rule).toFixed(3)})`,
    `best threshold on ${POPULATION.toLocaleString('en-US')} images: F1 ${best.toFixed(3)} at ${bestT.toFixed(2)}; bagged regret mean ${f4(mean(regret.bagged))}, p90 ${f4(p90(regret.bagged))} (sd ${sd(chosen.bagged).toFixed(3)}); fixed ${FIXED}: ${f4(mean(regret.fixed))}`,
    `bagged / rule regret ${(mean(regret.bagged) / mean(regret.rule)).toFixed(2)}`,
  ]);
}
console.log(
  `figure | anchor | ratio   (${TRIALS} verified samples of ${VERIFIED} images per setting, ${DRAWS} draws to bag)`,
);
for (const r of rows) console.log(r.join(' | '));
