/**
 * Confidences from token scores. An output's confidence is exp(mean log-probability) of its generated
 * tokens, forced ones left out (a forced token's score is 0 whatever the model thinks). A box's (or
 * quad's) is the same over its label's tokens and its own loc tokens.
 */
import { dequantisePoints, type ImageSize } from '../../schemas/loc-codec.ts';
import type { Generated } from './search.ts';

export function outputConfidence(g: Generated): number | null {
  let sum = 0,
    n = 0;
  g.logprobs.forEach((lp, i) => {
    if (!g.forced[i]) {
      sum += lp;
      n++;
    }
  });
  return n ? Math.exp(sum / n) : null;
}

const LOC = /^<loc_(\d+)>$/;

export interface ScoredGroup {
  /** Dequantised points of the group (a box: 4 numbers, a quad: 8). */
  points: number[];
  score: number | null;
}

/**
 * Every group of `per` adjacent loc tokens in the generated tokens, in order, with its score. The
 * first group of a run also counts the label tokens written before the run.
 */
export function scoredGroups(
  g: Generated,
  tokenOf: (id: number) => string | undefined,
  per: 4 | 8,
  size: ImageSize,
): ScoredGroup[] {
  const out: ScoredGroup[] = [];
  const gen = g.seq.slice(1);
  let label: number[] = [];
  let run: { bins: number[]; lps: (number | null)[] } = { bins: [], lps: [] };
  const lp = (i: number) => (g.forced[i] ? null : g.logprobs[i]);
  const flush = () => {
    for (let k = 0; k + per <= run.bins.length; k += per) {
      const lps = [...(k === 0 ? label.map(lp) : []), ...run.lps.slice(k, k + per)].filter(
        (x): x is number => x !== null,
      );
      out.push({
        points: dequantisePoints(run.bins.slice(k, k + per), size),
        score: lps.length ? Math.exp(lps.reduce((a, b) => a + b, 0) / lps.length) : null,
      });
    }
    run = { bins: [], lps: [] };
    label = [];
  };
  gen.forEach((id, i) => {
    const m = LOC.exec(tokenOf(id) ?? '');
    if (m) {
      run.bins.push(Number(m[1]));
      run.lps.push(lp(i));
    } else {
      if (run.bins.length) flush();
      label.push(i);
    }
  });
  if (run.bins.length) flush();
  return out;
}

/** Scores for parsed boxes (a subsequence of the token groups, in order), matched by their coordinates. */
export function matchScores(parsed: readonly (readonly number[])[], groups: readonly ScoredGroup[]): (number | null)[] {
  let j = 0;
  return parsed.map((p) => {
    for (let k = j; k < groups.length; k++) {
      if (groups[k].points.length >= p.length && p.every((v, i) => v === groups[k].points[i])) {
        j = k + 1;
        return groups[k].score;
      }
    }
    return null;
  });
}
