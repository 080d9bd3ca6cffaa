import type { FilterConfig } from '../filter-config.ts';
import { boxArrays, take } from '../boxes/arrays.ts';
import { scoreThreshold, validateGeometry } from '../boxes/box-geometry.ts';
import { batchedNms } from '../boxes/nms.ts';
import { countDropped, countKept, newStats, type FilterStats } from '../filter-stats.ts';
import {
  box4,
  isBox,
  textPasses,
  thresholdValue,
  type Dropped,
  type MergeInput,
  type RawRegion,
  type RawText,
  type Thresholds,
} from './merge-types.ts';

/**
 * Filter, then merge (docs/architecture.md, "Calibration and acceptance gates"): a refinement round's
 * new rows pass geometry, their own source's threshold per class and NMS within their source before
 * any merge policy compares them with the previous round, so a box the filters drop (zero-sized, low
 * score) never removes another. Texts pass their source's threshold. Groundings go on as they are (the
 * merge's phrase rules judge them). Pure and deterministic.
 */
export interface Prefiltered {
  texts: RawText[];
  regions: RawRegion[];
  groundings: MergeInput['groundings'][number][];
  stats: FilterStats[];
  dropped: Dropped[];
}

export function prefilterNew(
  fresh: Pick<MergeInput, 'texts' | 'regions' | 'groundings'>,
  size: { width: number; height: number },
  config: FilterConfig,
  thresholds: Thresholds,
): Prefiltered {
  const dropped: Dropped[] = [];
  const boxStats = newStats('new_boxes');
  const textStats = newStats('new_texts');
  const regions: RawRegion[] = [];
  const bySource = new Map<string, RawRegion[]>();
  for (const r of fresh.regions) {
    if (!isBox(r.box)) {
      countDropped(boxStats, 'bad_box');
      dropped.push({
        kind: 'region_text',
        source: r.source,
        reason: 'bad_box',
        detail: `${r.phrase}: box must be 4 numbers`,
      });
      continue;
    }
    const key = `${r.kind}\u0000${r.source}`;
    (bySource.get(key) ?? bySource.set(key, []).get(key)!).push(r);
  }
  for (const [key, list] of [...bySource].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const kind = key.slice(0, key.indexOf('\u0000'));
    const labels = new Map<string, number>();
    const arr = boxArrays(
      list.map((r) => {
        const c = r.phrase.trim().toLowerCase();
        if (!labels.has(c)) labels.set(c, labels.size);
        return { box: r.box, score: r.score ?? 1, label: kind === 'object' ? labels.get(c)! : 0 };
      }),
    );
    const geo = validateGeometry(arr, size, config.boxes);
    for (const p of geo.problems)
      if (p.action === 'dropped') {
        countDropped(boxStats, p.reason);
        dropped.push({ kind: 'region_text', source: list[p.index].source, reason: p.reason, detail: p.detail });
      }
    let idx = Array.from(geo.kept);
    let boxes = geo.boxes;
    if (kind === 'object') {
      const floors = Float64Array.from(idx, (i) =>
        thresholdValue(thresholds.box(list[i].source, list[i].phrase.trim().toLowerCase())),
      );
      const thr = scoreThreshold(boxes, floors);
      const keep = new Set(thr.kept);
      idx.forEach((i, k) => {
        if (!keep.has(k)) {
          countDropped(boxStats, 'low_score');
          dropped.push({
            kind: 'region_text',
            source: list[i].source,
            reason: 'low_score',
            detail: `${list[i].phrase} box scored ${list[i].score}, under ${floors[k]}`,
          });
        }
      });
      boxes = take(boxes, thr.kept);
      idx = Array.from(thr.kept, (k) => idx[k]);
      const kept = batchedNms(
        config.boxes.classAware ? boxes : { ...boxes, labels: new Int32Array(boxes.labels.length) },
        config.boxes.nmsIou,
      );
      const keepNms = new Set(kept);
      idx.forEach((i, k) => {
        if (!keepNms.has(k)) {
          countDropped(boxStats, 'nms');
          dropped.push({
            kind: 'region_text',
            source: list[i].source,
            reason: 'nms',
            detail: `${list[i].phrase} box overlaps a higher-scored box of its source`,
          });
        }
      });
      const order = Array.from(kept).sort((a, b) => a - b);
      for (const k of order) {
        countKept(boxStats);
        regions.push({ ...list[idx[k]], box: box4(boxes.xyxy, k) });
      }
    } else {
      idx.forEach((i, k) => {
        const r = list[i];
        if (!r.phrase.trim()) {
          countDropped(boxStats, 'empty_text');
          dropped.push({
            kind: 'region_text',
            source: r.source,
            reason: 'empty_text',
            detail: 'OCR region read no text',
          });
          return;
        }
        countKept(boxStats);
        regions.push({ ...r, box: box4(boxes.xyxy, k) });
      });
    }
  }
  const texts = fresh.texts.filter((t) => {
    const { pass, floor } = textPasses(t, thresholds);
    if (pass) {
      countKept(textStats);
      return true;
    }
    countDropped(textStats, 'low_score');
    dropped.push({
      kind: 'text',
      source: t.source,
      reason: 'low_score',
      detail: `${t.granularity} text scored ${t.score}, under ${floor}`,
    });
    return false;
  });
  return { texts, regions, groundings: [...fresh.groundings], stats: [boxStats, textStats], dropped };
}
