/**
 * How far a verified set's verdict between two rounds can be trusted. A gate compares the F1 of a
 * round's rows of a class with the previous round's on the verified images; with twenty verified boxes
 * of a class, one box more or less moves F1 by 0.02-0.05, so "higher by the margin" alone takes noise
 * for a gain about as often as not, and a collection's labels of that class then get worse as often as
 * better. Resampling the verified images (the same draw for both rounds: the comparison is paired)
 * asks whether the gain holds across other draws of such a set: `ahead` is the share of resamples in
 * which the new rows are still higher by the margin.
 *
 * Deterministic: the draws come from a small seeded generator (mulberry32), seeded by the class, so a
 * decision is the same on every machine and every rerun.
 */

/** Per verified image, the additive counts behind a score (tp / fp / fn, or a text tally's fields), for the new rows and the previous. */
export interface PairedCounts {
  now: readonly number[];
  before: readonly number[];
}

export const RESAMPLES = 1000;

export interface AheadOptions {
  /** The figure of summed counts (F1). */
  score: (sums: Float64Array) => number;
  /** How much higher the new figure must be. */
  margin: number;
  /** Whether a draw can judge the class at all (rows or verified instances on either side); the share is over those. Default: every draw. */
  judged?: (now: Float64Array, before: Float64Array) => boolean;
  /** Seeds the draws (the kind and class). */
  seed: string;
  resamples?: number;
}

/**
 * The share of paired bootstrap draws of the images, among those that can judge the class, in which
 * `score(sum of now)` is at least `score(sum of before) + margin`. No image, or no draw that can
 * judge: 0.
 */
export function pairedAhead(images: readonly PairedCounts[], o: AheadOptions): number {
  const n = images.length;
  if (n === 0) return 0;
  const width = images[0].now.length;
  const now = new Float64Array(width);
  const before = new Float64Array(width);
  const next = mulberry32(hashSeed(o.seed));
  let ahead = 0;
  let judged = 0;
  for (let r = 0; r < (o.resamples ?? RESAMPLES); r++) {
    now.fill(0);
    before.fill(0);
    for (let k = 0; k < n; k++) {
      const im = images[Math.floor(next() * n)];
      for (let f = 0; f < width; f++) {
        now[f] += im.now[f];
        before[f] += im.before[f];
      }
    }
    // a draw without the class says nothing either way (a class on two images of twenty misses both in an eighth of the draws)
    if (o.judged && !o.judged(now, before)) continue;
    judged++;
    // the gate's own comparison, on the draw
    if (o.score(now) >= o.score(before) + o.margin) ahead++;
  }
  return judged ? ahead / judged : 0;
}

/** FNV-1a of the seed's UTF-16 units: a 32-bit start for the generator. */
function hashSeed(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** mulberry32: uniform doubles in [0, 1) from a 32-bit state; plenty for resampling indices. */
function mulberry32(state: number): () => number {
  let a = state;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
