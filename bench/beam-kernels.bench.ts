/**
 * The beam search's per-row kernels, WebAssembly SIMD (specialists/florence2/log-sum-exp.wat) beside
 * the JavaScript loops they stand in for, in the same process on the same seeded rows (same results:
 * test/specialists/florence2-logits-simd.test.ts): CPU microseconds per log-sum-exp of a row, and per
 * beam step (3 beams, n-gram bans of 3, searches of 31 steps). Rows of the demo model's width (1,285)
 * and of Florence-2's (51,289); logits 10-20 below a peak, as the demo model gives them.
 * `npm run bench -- beam-kernels`. The runner's whole JS share is `npm run bench -- florence2-runner`.
 */
import { SimdLogits } from '../specialists/florence2/log-sum-exp-simd.ts';
import { logSumExpJs } from '../specialists/florence2/logits.ts';
import { BeamSearch } from '../specialists/florence2/search.ts';
import type { GenerationSettings } from '../specialists/florence2/settings.ts';

const simd = SimdLogits.create();
if (!simd) {
  console.log('WebAssembly SIMD is not available here: nothing to compare');
  process.exit(1);
}
let seed = 1;
const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;

function rows(vocab: number, count: number): Float32Array[] {
  return Array.from({ length: count }, () => {
    const l = new Float32Array(3 * vocab);
    for (let i = 0; i < l.length; i++) l[i] = -10 - 10 * rnd();
    for (let r = 0; r < 3; r++) l[r * vocab + Math.floor(rnd() * vocab)] = 0;
    return l;
  });
}

/** CPU microseconds per call of `f`, after a warm-up; best of three passes. */
function perCall(f: (i: number) => void, calls: number): number {
  for (let i = 0; i < calls / 5; i++) f(i);
  let best = Infinity;
  for (let pass = 0; pass < 3; pass++) {
    const c = process.cpuUsage();
    for (let i = 0; i < calls; i++) f(i);
    const u = process.cpuUsage(c);
    best = Math.min(best, (u.user + u.system) / calls);
  }
  return best;
}

const settings: GenerationSettings = {
  decoderStartTokenId: 2,
  eosTokenId: 2,
  padTokenId: 1,
  forcedBosTokenId: 0,
  forcedEosTokenId: 2,
  noRepeatNgramSize: 3,
  numBeams: 3,
  lengthPenalty: 1,
  maxNewTokens: 1_000_000,
};

function beamStep(vocab: number, data: Float32Array[], wasm: SimdLogits | null): (i: number) => void {
  let search = new BeamSearch(settings, vocab, wasm);
  let step = 0;
  return (i) => {
    if (step === 31) {
      search = new BeamSearch(settings, vocab, wasm);
      step = 0;
    }
    search.advance(data[i % data.length], 0, vocab, step++);
  };
}

const out: string[][] = [];
for (const vocab of [1285, 51289]) {
  const data = rows(vocab, 20);
  const calls = vocab > 10_000 ? 2000 : 50_000;
  const js = perCall((i) => logSumExpJs(data[i % 20], i % 3, vocab), calls);
  const wasm = perCall((i) => {
    simd.load(data[i % 20], i % 3, vocab);
    simd.logSumExp();
  }, calls);
  out.push([
    `log-sum-exp, ${vocab} logits, WebAssembly: ${wasm.toFixed(2)} us`,
    `JavaScript loop: ${js.toFixed(2)} us`,
    `${(wasm / js).toFixed(2)}x`,
  ]);
  const stepCalls = vocab > 10_000 ? 600 : 15_000;
  const sj = perCall(beamStep(vocab, data, null), stepCalls);
  const sw = perCall(beamStep(vocab, data, simd), stepCalls);
  out.push([
    `beam step (3 beams), ${vocab} logits, WebAssembly: ${sw.toFixed(2)} us`,
    `JavaScript loops: ${sj.toFixed(2)} us`,
    `${(sw / sj).toFixed(2)}x`,
  ]);
}
console.log('figure | anchor | ratio (CPU time, same process)');
for (const r of out) console.log(r.join(' | '));
