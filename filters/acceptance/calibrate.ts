import type { CalibrationEntry, Threshold } from '../../schemas/acceptance.ts';
import {
  categoryKey,
  figures,
  matchByScore,
  textFigures,
  textTally,
  type ImageText,
  type ScoredBox,
  type TextTally,
  type VerifiedImage,
} from './verified-score.ts';

/**
 * Score thresholds per source and class, chosen on a verified set (docs/architecture.md,
 * "Calibration and acceptance gates"): a detector's sigmoid and a sequence model's mean token
 * probability mean different things, so each source gets its own threshold per category (boxes) or
 * granularity (texts). The rule: the threshold with the best F1 of that source's rows, a dropped row
 * costing recall (ties: the lower threshold); or, with `precision`, the lowest threshold whose
 * precision reaches it. With too little evidence the configured threshold stands, marked `default`.
 */
export interface CalibrateOptions {
  minSupport: number;
  precision: number | null;
  /** The configured threshold, used where evidence is short. */
  fallback: number;
}

interface Cut {
  threshold: Threshold;
  precision: number;
  recall: number;
  f1: number;
}

/** Picks a cut from the candidates (ordered from `off` to keeping everything). */
function choose(cuts: readonly Cut[], o: CalibrateOptions): { cut: Cut; rule: 'max-f1' | 'precision' } {
  if (o.precision !== null) {
    for (let k = cuts.length - 1; k >= 0; k--)
      if (cuts[k].threshold !== 'off' && cuts[k].precision >= o.precision) return { cut: cuts[k], rule: 'precision' };
    return { cut: cuts[0], rule: 'precision' };
  }
  let best = cuts[0];
  for (const c of cuts) if (c.f1 >= best.f1) best = c; // later cuts keep more: ties go to the lower threshold
  // nothing the source wrote of the class is right: it is turned off for it, not kept at its lowest score
  if (best.f1 === 0) best = cuts[0];
  return { cut: best, rule: 'max-f1' };
}

const entry = (cut: Cut, rule: CalibrationEntry['rule'], support: number, candidates: number): CalibrationEntry => ({
  threshold: cut.threshold,
  rule,
  support,
  candidates,
  at: { precision: cut.precision, recall: cut.recall, f1: cut.f1 },
});

/** Cuts over rows sorted by decreasing score, cutting only between different scores; null scores count as 1. */
function boxCuts(tp: readonly boolean[], scores: readonly number[], support: number): Cut[] {
  const at = (k: number, threshold: Threshold): Cut => {
    let t = 0;
    for (let i = 0; i < k; i++) if (tp[i]) t++;
    const f = figures({ tp: t, fp: k - t, fn: support - t });
    return { threshold, ...f };
  };
  const cuts: Cut[] = [at(0, 'off')];
  let t = 0;
  for (let k = 1; k <= scores.length; k++) {
    if (tp[k - 1]) t++;
    if (k < scores.length && scores[k] === scores[k - 1]) continue;
    const f = figures({ tp: t, fp: k - t, fn: support - t });
    cuts.push({ threshold: Math.min(1, Math.max(0, scores[k - 1])), ...f });
  }
  return cuts;
}

/** source -> category -> threshold, from each source's boxes on the verified images (geometry and per-source NMS already applied). */
export function calibrateBoxes(
  rows: readonly (ScoredBox & { source: string })[],
  images: readonly VerifiedImage[],
  o: CalibrateOptions,
): Record<string, Record<string, CalibrationEntry>> {
  const ids = new Set(images.map((i) => i.image_id));
  const truth = new Map<string, Map<string, (readonly number[])[]>>(); // category -> image -> boxes
  for (const im of images)
    for (const b of im.boxes) {
      const c = categoryKey(b.category);
      const m = truth.get(c) ?? new Map();
      (m.get(im.image_id) ?? m.set(im.image_id, []).get(im.image_id)!).push(b.box);
      truth.set(c, m);
    }
  const bySource = new Map<string, (ScoredBox & { source: string })[]>();
  for (const r of rows) {
    if (!ids.has(r.image_id)) continue;
    (bySource.get(r.source) ?? bySource.set(r.source, []).get(r.source)!).push(r);
  }
  const out: Record<string, Record<string, CalibrationEntry>> = {};
  for (const source of [...bySource.keys()].sort()) {
    const list = bySource.get(source)!;
    const cats = [...new Set([...list.map((r) => categoryKey(r.category)), ...truth.keys()])].sort();
    const per: Record<string, CalibrationEntry> = {};
    for (const c of cats) {
      const preds = list
        .filter((r) => categoryKey(r.category) === c)
        .sort((a, b) => (b.score ?? 1) - (a.score ?? 1) || a.image_id.localeCompare(b.image_id));
      const t = truth.get(c) ?? new Map<string, (readonly number[])[]>();
      let support = 0;
      for (const v of t.values()) support += v.length;
      // one-to-one per image in decreasing score: a box's flag does not depend on the cut
      const tp = new Array<boolean>(preds.length).fill(false);
      const byImage = new Map<string, number[]>();
      preds.forEach((p, i) => (byImage.get(p.image_id) ?? byImage.set(p.image_id, []).get(p.image_id)!).push(i));
      for (const [id, idx] of byImage)
        matchByScore(
          idx.map((i) => preds[i].box),
          t.get(id) ?? [],
        ).forEach((f, k) => (tp[idx[k]] = f));
      const scores = preds.map((p) => p.score ?? 1);
      const cuts = boxCuts(tp, scores, support);
      if (support < o.minSupport || preds.length < o.minSupport) {
        const k = scores.filter((s) => s >= o.fallback).length;
        const kept = tp.slice(0, k).filter(Boolean).length;
        per[c] = entry(
          { threshold: o.fallback, ...figures({ tp: kept, fp: k - kept, fn: support - kept }) },
          'default',
          support,
          preds.length,
        );
        continue;
      }
      const { cut, rule } = choose(cuts, o);
      per[c] = entry(cut, rule, support, preds.length);
    }
    out[source] = per;
  }
  return out;
}

export interface ScoredText extends ImageText {
  source: string;
  granularity: string;
  score: number | null;
}

/** source -> granularity -> threshold over text scores (an unscored text counts as 1: such a source is kept or turned off whole). */
export function calibrateTexts(
  rows: readonly ScoredText[],
  images: readonly VerifiedImage[],
  mentions: (text: string) => Set<string>,
  o: CalibrateOptions,
): Record<string, Record<string, CalibrationEntry>> {
  const ids = new Set(images.map((i) => i.image_id));
  const keyOf = (r: ScoredText) => `${r.source}\u0000${r.granularity}`;
  const groups = new Map<string, ScoredText[]>();
  for (const r of rows)
    if (ids.has(r.image_id)) (groups.get(keyOf(r)) ?? groups.set(keyOf(r), []).get(keyOf(r))!).push(r);
  const support = images.reduce((n, im) => n + new Set(im.boxes.map((b) => categoryKey(b.category))).size, 0);
  const memo = new Map<string, Set<string>>();
  const named = (t: string) => memo.get(t) ?? memo.set(t, mentions(t)).get(t)!;
  const out: Record<string, Record<string, CalibrationEntry>> = {};
  for (const key of [...groups.keys()].sort()) {
    const [source, granularity] = key.split('\u0000');
    const list = groups
      .get(key)!
      .sort((a, b) => (b.score ?? 1) - (a.score ?? 1) || a.image_id.localeCompare(b.image_id));
    const scores = list.map((r) => r.score ?? 1);
    const fig = (k: number) => textFigures(textTally(list.slice(0, k), images, named));
    const cuts: Cut[] = [{ threshold: 'off', ...fig(0) }];
    for (let k = 1; k <= list.length; k++) {
      if (k < list.length && scores[k] === scores[k - 1]) continue;
      cuts.push({ threshold: Math.min(1, Math.max(0, scores[k - 1])), ...fig(k) });
    }
    let e: CalibrationEntry;
    if (support < o.minSupport || list.length < o.minSupport) {
      const k = scores.filter((s) => s >= o.fallback).length;
      e = entry({ threshold: o.fallback, ...fig(k) }, 'default', support, list.length);
    } else {
      const { cut, rule } = choose(cuts, o);
      e = entry(cut, rule, support, list.length);
    }
    (out[source] ??= {})[granularity] = e;
  }
  return out;
}

export type { TextTally };
