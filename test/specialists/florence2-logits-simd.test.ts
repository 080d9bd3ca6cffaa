// @part unit
/**
 * The WebAssembly logits helper (specialists/florence2/log-sum-exp.wat) against the JavaScript loops it
 * stands in for: the same log-sum-exp double on rows of every shape a model can give (lengths not a
 * multiple of four, arguments on each of exp's paths, NaN, infinities), and beam search through it
 * picking the same hypotheses with the same scores as beam search through the loops, bans and ties
 * included. And the committed binary is what the .wat assembles to.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assembledModule, WASM_SOURCES } from '../../scripts/build-wasm.ts';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SimdLogits } from '../../specialists/florence2/log-sum-exp-simd.ts';
import { logSumExpJs } from '../../specialists/florence2/logits.ts';
import { BeamSearch, type Hypothesis } from '../../specialists/florence2/search.ts';
import type { GenerationSettings } from '../../specialists/florence2/settings.ts';
import { REPO_ROOT } from '../helpers/florence2-tiny.ts';

let seed = 20261205;
const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;

const simd = SimdLogits.create();

/** A row: spread `scale` below a peak, with a few specials by case number. */
function row(n: number, scale: number, c: number): Float32Array {
  const r = new Float32Array(n);
  for (let i = 0; i < n; i++) r[i] = -scale * rnd() + (rnd() < 0.02 ? scale : 0);
  if (c % 7 === 3) r[Math.floor(rnd() * n)] = Number.NaN;
  if (c % 5 === 1) r[Math.floor(rnd() * n)] = Number.NEGATIVE_INFINITY;
  if (c % 13 === 2) r.fill(Number.NEGATIVE_INFINITY);
  if (c % 17 === 4) r[Math.floor(rnd() * n)] = Number.POSITIVE_INFINITY;
  // ties: copies of one value, so candidates compare equal
  if (c % 3 === 0) for (let k = 0; k < 6; k++) r[Math.floor(rnd() * n)] = r[0];
  return r;
}

test('WebAssembly SIMD compiles here (Node 16.4+ has it; without it the runner keeps its JavaScript loops)', () => {
  assert.ok(simd, 'SimdLogits.create() returned null');
});

test('log-sum-exp: the same double as the JavaScript loop on 3,000 rows of every length and spread', () => {
  assert.ok(simd);
  const lengths = [1, 2, 3, 4, 5, 7, 8, 9, 33, 1285, 51289];
  // scales put exp's arguments on its main path, on the paths near 0 (|d| < 1.5 ln 2, tiny) and past underflow
  const scales = [1e-9, 0.3, 1, 3, 30, 800];
  let cases = 0;
  for (let c = 0; c < 3000; c++) {
    const n = lengths[c % lengths.length];
    if (n > 2000 && c % 10) continue;
    const logits = row(n, scales[c % scales.length], c);
    simd.load(logits, 0, n);
    const got = simd.logSumExp();
    const want = logSumExpJs(logits, 0, n);
    assert.ok(Object.is(got, want), `case ${c} (n ${n}): ${got} != ${want}`);
    cases++;
  }
  assert.ok(cases > 2500);
});

test('log-sum-exp reads the asked row of a batch and grows its memory for wider rows', () => {
  assert.ok(simd);
  for (const n of [100, 70_000, 100]) {
    const logits = new Float32Array(3 * n);
    for (let i = 0; i < logits.length; i++) logits[i] = -10 * rnd();
    for (let r = 0; r < 3; r++) {
      simd.load(logits, r, n);
      assert.ok(Object.is(simd.logSumExp(), logSumExpJs(logits, r, n)));
    }
  }
});

const settings = (numBeams: number, noRepeat: number, maxNewTokens: number): GenerationSettings => ({
  decoderStartTokenId: 2,
  eosTokenId: 2,
  padTokenId: 1,
  forcedBosTokenId: 0,
  forcedEosTokenId: 2,
  noRepeatNgramSize: noRepeat,
  numBeams,
  lengthPenalty: 1,
  maxNewTokens,
});

const same = (a: readonly Hypothesis[], b: readonly Hypothesis[]) =>
  a.length === b.length &&
  a.every(
    (h, i) =>
      h.seq.join() === b[i].seq.join() &&
      Object.is(h.sum, b[i].sum) &&
      h.logprobs.every((lp, j) => Object.is(lp, b[i].logprobs[j])),
  );

test('beam search through the helper keeps the hypotheses, scores and results of the JavaScript loops', () => {
  assert.ok(simd);
  let steps = 0;
  for (let c = 0; c < 400; c++) {
    const vocab = [5, 9, 64, 301][c % 4];
    // a small vocabulary and few distinct values make ties and n-gram bans common
    const levels = c % 3 === 0 ? 4 : 0;
    const s = settings(1 + (c % 5), c % 2 ? 3 : 0, 24);
    const viaWasm: BeamSearch = new BeamSearch(s, vocab, simd);
    const viaJs: BeamSearch = new BeamSearch(s, vocab, null);
    for (let step = 0; step < s.maxNewTokens && !viaJs.done; step++) {
      const live = viaJs.live().length;
      const logits = new Float32Array(live * vocab);
      for (let i = 0; i < logits.length; i++)
        logits[i] = levels ? -Math.floor(rnd() * levels) : -8 * rnd() + (rnd() < 0.05 ? 6 : 0);
      // rows whose log-sum-exp is NaN (a NaN or +inf logit, all -inf) take the loops on both sides
      if (c % 11 === 5) logits[Math.floor(rnd() * logits.length)] = Number.NaN;
      if (c % 13 === 7) logits[Math.floor(rnd() * logits.length)] = Number.POSITIVE_INFINITY;
      if (c % 17 === 3) logits.fill(Number.NEGATIVE_INFINITY, 0, vocab);
      if (c % 19 === 4) logits[Math.floor(rnd() * logits.length)] = Number.NEGATIVE_INFINITY;
      const a = [...viaWasm.advance(logits, 0, vocab, step)];
      const b = [...viaJs.advance(logits, 0, vocab, step)];
      assert.deepEqual(a, b, `case ${c} step ${step}: origins`);
      assert.equal(viaWasm.done, viaJs.done);
      assert.ok(same(viaWasm.live(), viaJs.live()), `case ${c} step ${step}: live hypotheses differ`);
      steps++;
    }
    const ra = viaWasm.result(),
      rb = viaJs.result();
    assert.equal(ra.seq.join(), rb.seq.join(), `case ${c}: result`);
    assert.ok(Object.is(ra.score, rb.score));
  }
  assert.ok(steps > 2000, `only ${steps} steps ran`);
});

test('the committed WebAssembly modules are what their .wat files assemble to (npm run build:wasm)', async () => {
  for (const s of WASM_SOURCES)
    assert.equal(
      readFileSync(join(REPO_ROOT, s.module), 'utf8'),
      await assembledModule(s.wat),
      `${s.module} is stale: run npm run build:wasm`,
    );
});
