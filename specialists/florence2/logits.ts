/**
 * Florence-2's logits processors in transformers' order (no-repeat n-gram, forced BOS, forced EOS) on
 * log-probabilities, as transformers' beam search applies them; greedy picks the same argmax. The
 * searches read a token's processed score as logit - logSumExp, -inf where banned; at a forced step the
 * forced token's score is 0 and every other -inf, whatever the logits.
 */
import { exp } from './fdlibm-exp.ts';
import { SimdLogits } from './log-sum-exp-simd.ts';
import type { GenerationSettings } from './settings.ts';

/** The process's WebAssembly logits helper, null without WebAssembly SIMD (one per thread: each has its own module). */
export const simdLogits = SimdLogits.create();

/**
 * log(sum(exp(logits[row]))) (accumulated in float64, max first): a token's log-probability is its
 * logit minus this. In WebAssembly SIMD where the engine has it (the same double, see
 * log-sum-exp-simd.ts), else `logSumExpJs`.
 */
export function logSumExp(logits: Float32Array, row: number, vocab: number): number {
  if (!simdLogits) return logSumExpJs(logits, row, vocab);
  simdLogits.load(logits, row, vocab);
  return simdLogits.logSumExp();
}

/** `logSumExp` in plain JavaScript: the definition the SIMD version is held to. */
export function logSumExpJs(logits: Float32Array, row: number, vocab: number): number {
  const o = row * vocab;
  let max = -Infinity;
  for (let i = 0; i < vocab; i++) if (logits[o + i] > max) max = logits[o + i];
  let sum = 0;
  for (let i = 0; i < vocab; i++) sum += exp(logits[o + i] - max);
  return max + Math.log(sum);
}

/** The token forced at `step` (BOS first, EOS at the last step), or null; BOS wins when both apply. */
export function forcedToken(step: number, s: GenerationSettings): number | null {
  if (s.forcedBosTokenId !== null && step === 0) return s.forcedBosTokenId;
  if (s.forcedEosTokenId !== null && step === s.maxNewTokens - 1) return s.forcedEosTokenId;
  return null;
}

/**
 * The tokens no-repeat n-gram (size `n`) bans after `seq` (decoder start included), in the order found
 * (an id may come twice).
 */
export function bannedTokens(seq: readonly number[], n: number): number[] {
  const out: number[] = [];
  if (n > 0 && seq.length >= n) {
    const start = seq.length - n + 1;
    for (let i = 0; i + n - 1 < seq.length; i++) {
      let same = true;
      for (let j = 0; j < n - 1; j++) {
        if (seq[i + j] !== seq[start + j]) {
          same = false;
          break;
        }
      }
      if (same) out.push(seq[i + n - 1]);
    }
  }
  return out;
}
