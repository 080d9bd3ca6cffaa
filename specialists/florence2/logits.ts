/**
 * Florence-2's logits processors in transformers' order (no-repeat n-gram, forced BOS, forced EOS),
 * applied to log-probabilities as transformers' beam search does; greedy picks the same argmax.
 */
import { exp } from './fdlibm-exp.ts';
import type { GenerationSettings } from './settings.ts';

/**
 * log(sum(exp(logits[row]))) (accumulated in float64, max first): a token's log-probability is its
 * logit minus this.
 */
export function logSumExp(logits: Float32Array, row: number, vocab: number): number {
  const o = row * vocab;
  let max = -Infinity;
  for (let i = 0; i < vocab; i++) if (logits[o + i] > max) max = logits[o + i];
  let sum = 0;
  for (let i = 0; i < vocab; i++) sum += exp(logits[o + i] - max);
  return max + Math.log(sum);
}

/** log_softmax of `logits[row]` into `out`. */
export function logSoftmax(logits: Float32Array, row: number, vocab: number, out: Float64Array): void {
  const o = row * vocab;
  const lse = logSumExp(logits, row, vocab);
  for (let i = 0; i < vocab; i++) out[i] = logits[o + i] - lse;
}

/** Whether a forced token (BOS first, EOS last) applies at `step`: its score is then 0, every other -inf. */
export function forcesAt(step: number, s: GenerationSettings): boolean {
  return (s.forcedBosTokenId !== null && step === 0) || (s.forcedEosTokenId !== null && step === s.maxNewTokens - 1);
}

/** The tokens no-repeat n-gram (size `n`) bans after `seq`, in the order found (an id may come twice). */
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

/**
 * In place on one hypothesis's scores. `seq` holds the tokens so far, decoder start included; `step`
 * counts generated tokens before this one. Returns whether the token is forced (its score says
 * nothing about the model's confidence).
 */
export function processScores(
  scores: Float64Array,
  seq: readonly number[],
  step: number,
  s: GenerationSettings,
): boolean {
  for (const t of bannedTokens(seq, s.noRepeatNgramSize)) scores[t] = -Infinity;
  const force = (id: number) => {
    scores.fill(-Infinity);
    scores[id] = 0;
  };
  if (s.forcedBosTokenId !== null && step === 0) {
    force(s.forcedBosTokenId);
    return true;
  }
  if (s.forcedEosTokenId !== null && step === s.maxNewTokens - 1) {
    force(s.forcedEosTokenId);
    return true;
  }
  return false;
}

/** First index of the maximum (torch.argmax's choice on ties). */
export function argmax(scores: Float64Array): number {
  let best = 0;
  for (let i = 1; i < scores.length; i++) if (scores[i] > scores[best]) best = i;
  return best;
}
