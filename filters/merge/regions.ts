import type { Quad, RegionTextRecord } from '../../schemas/records.ts';
import { newStats, countDropped, countKept, type FilterStats } from '../filter-stats.ts';
import { nounChunks } from '../phrases/phrases.ts';
import { boxArrays, take } from '../boxes/arrays.ts';
import { validateGeometry, scoreThreshold } from '../boxes/box-geometry.ts';
import { batchedNms } from '../boxes/nms.ts';
import { fuseBoxes } from '../boxes/fusion.ts';
import {
  HUMAN_SOURCE,
  box4,
  isBox,
  thresholdValue,
  type MergeContext,
  type MergeInput,
  type RawRegion,
} from './merge-types.ts';

/**
 * Region-text rows of one image. Objects: human boxes and detector boxes -> geometry -> score
 * threshold -> fusion across sources (or NMS), region captions' noun chunks filled. OCR regions:
 * geometry only (each reads different text), empty text or a bad quad dropped.
 */
export function mergeRegions(input: MergeInput, ctx: MergeContext): { rows: RegionTextRecord[]; stats: FilterStats[] } {
  const { config, dropped } = ctx;
  const rows: RegionTextRecord[] = [];
  const push = (
    kind: 'object' | 'text',
    box: [number, number, number, number],
    quad: Quad | null,
    r: RawRegion,
    brief: string | null,
    score: number | null,
    sources: string[],
    source = r.source,
  ) => {
    rows.push({
      image_id: ctx.id,
      round: ctx.round,
      region_id: `${ctx.id}:r:${rows.length}`,
      kind,
      box,
      quad,
      phrase: r.phrase,
      brief,
      noun_chunks: nounChunks(brief),
      source,
      score,
      sources,
    });
  };
  // a box that is not 4 numbers cannot enter the typed arrays: reported here, per item
  const wellFormed = (r: RawRegion, i: number): boolean => {
    if (isBox(r.box)) return true;
    dropped.push({
      kind: 'region_text',
      source: r.source,
      reason: 'bad_box',
      detail: `region ${i} (${r.phrase}): box must be 4 numbers [x0, y0, x1, y1], got ${JSON.stringify(r.box)}`,
    });
    return false;
  };

  // ---- objects
  const objects: RawRegion[] = [
    ...input.image.existing_boxes.map((b) => ({
      source: HUMAN_SOURCE,
      kind: 'object' as const,
      box: b.box,
      phrase: b.category,
      brief: null,
      score: config.merge.humanBoxScore,
    })),
    ...input.regions.filter((r) => r.kind === 'object'),
  ].filter(wellFormed);
  const categories = new Map<string, number>();
  const labels = objects.map((o) => {
    const k = o.phrase.trim().toLowerCase();
    if (!categories.has(k)) categories.set(k, categories.size);
    return categories.get(k)!;
  });
  const geo = validateGeometry(
    boxArrays(objects.map((o, i) => ({ box: o.box, score: o.score ?? 1, label: labels[i] }))),
    ctx.size,
    config.boxes,
  );
  for (const p of geo.problems)
    if (p.action === 'dropped')
      dropped.push({ kind: 'region_text', source: objects[p.index].source, reason: p.reason, detail: p.detail });
  // human boxes are never thresholded; every other source by its own threshold for the category
  const floor = (o: RawRegion) =>
    o.source === HUMAN_SOURCE ? -Infinity : thresholdValue(ctx.thresholds.box(o.source, o.phrase.trim().toLowerCase()));
  const floors = Float64Array.from(geo.kept, (i) => floor(objects[i]));
  const thr = scoreThreshold(geo.boxes, floors);
  for (let i = 0, k = 0; i < geo.kept.length; i++) {
    if (thr.kept[k] === i) {
      k++;
      continue;
    }
    const o = objects[geo.kept[i]];
    dropped.push({
      kind: 'region_text',
      source: o.source,
      reason: 'low_score',
      detail:
        floors[i] === Infinity
          ? `${o.phrase} box: source ${o.source} is off for ${o.phrase}`
          : `${o.phrase} box scored ${o.score}, under ${floors[i]}`,
    });
  }
  const survivors = Array.from(thr.kept, (i) => geo.kept[i]); // indexes into `objects`
  const valid = take(geo.boxes, thr.kept);
  let combine: FilterStats;
  if (config.merge.boxes === 'nms') {
    combine = newStats('region_nms');
    const kept = batchedNms(
      config.boxes.classAware ? valid : { ...valid, labels: new Int32Array(valid.labels.length) },
      config.boxes.nmsIou,
    );
    const keptSet = new Set(kept);
    survivors.forEach((oi, i) => {
      if (keptSet.has(i)) return;
      countDropped(combine, 'nms');
      dropped.push({
        kind: 'region_text',
        source: objects[oi].source,
        reason: 'nms',
        detail: `${objects[oi].phrase} box overlaps a higher-scored box by more than IoU ${config.boxes.nmsIou}`,
      });
    });
    for (const i of kept) {
      const o = objects[survivors[i]];
      countKept(combine);
      push('object', box4(valid.xyxy, i), null, o, o.brief ?? null, o.score, [...(o.sources ?? [o.source])]);
    }
  } else {
    // one fusion input per source, so that a box several sources saw gains score
    const bySource = new Map<string, number[]>();
    survivors.forEach((oi, i) => {
      const list = bySource.get(objects[oi].source);
      if (list) list.push(i);
      else bySource.set(objects[oi].source, [i]);
    });
    const sources = [...bySource.keys()];
    const { fused, stats } = fuseBoxes(
      sources.map((s) => ({ source: s, boxes: take(valid, bySource.get(s)!) })),
      { iouThreshold: config.boxes.fusionIou },
    );
    combine = { ...stats, filter: 'region_fusion' };
    for (let k = 0; k < fused.scores.length; k++) {
      const members = fused.members[k].map(([s, j]) => objects[survivors[bySource.get(sources[s])![j]]]);
      const lead = members[0]; // highest score: fusion visits boxes in decreasing score
      const brief = members.find((m) => m.brief)?.brief ?? null;
      push(
        'object',
        box4(fused.xyxy, k),
        null,
        lead,
        brief,
        members.length === 1 ? lead.score : fused.scores[k],
        [...new Set([...fused.sources[k], ...members.flatMap((m) => m.sources ?? [])])].sort(),
      );
    }
  }

  // ---- OCR regions
  const ocr = input.regions.filter((r) => r.kind === 'text').filter(wellFormed);
  const ocrGeo = validateGeometry(
    boxArrays(ocr.map((o) => ({ box: o.box, score: o.score ?? 1 }))),
    ctx.size,
    config.boxes,
  );
  for (const p of ocrGeo.problems)
    if (p.action === 'dropped')
      dropped.push({ kind: 'region_text', source: ocr[p.index].source, reason: p.reason, detail: p.detail });
  const ocrStats = newStats('ocr_regions');
  ocrGeo.kept.forEach((oi, k) => {
    const o = ocr[oi];
    if (!o.phrase.trim()) {
      countDropped(ocrStats, 'empty_text');
      dropped.push({
        kind: 'region_text',
        source: o.source,
        reason: 'empty_text',
        detail: `OCR region ${oi} read no text`,
      });
      return;
    }
    if (o.quad && (o.quad.length !== 8 || !o.quad.every(Number.isFinite))) {
      countDropped(ocrStats, 'bad_quad');
      dropped.push({
        kind: 'region_text',
        source: o.source,
        reason: 'bad_quad',
        detail: `OCR region ${oi} quad must be 8 finite numbers`,
      });
      return;
    }
    countKept(ocrStats);
    push('text', box4(ocrGeo.boxes.xyxy, k), o.quad ? (o.quad.slice() as Quad) : null, o, null, o.score, [
      ...(o.sources ?? [o.source]),
    ]);
  });
  return { rows, stats: [geo.stats, thr.stats, combine, ocrGeo.stats, ocrStats] };
}
