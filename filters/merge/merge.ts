import { createHash } from 'node:crypto';
import type { Box, Granularity, ImageRecord, Quad, RegionTextRecord, TextPhraseRegionRecord, TextRecord } from '../../schemas/records.ts';
import type { FilterConfig } from '../config.ts';
import { addStats, newStats, countDropped, countKept, type FilterStats } from '../stats.ts';
import { filterTexts } from '../text/rules.ts';
import { filterGroundedPhrases, nounChunks } from '../phrases/phrases.ts';
import { boxArrays, boxAt, take } from '../boxes/arrays.ts';
import { validateGeometry, scoreThreshold } from '../boxes/geometry.ts';
import { batchedNms } from '../boxes/nms.ts';
import { fuseBoxes } from '../boxes/fusion.ts';

/**
 * Merge of every source for one image into the three annotation kinds (paper section 4.2: "we merge
 * the pre-existing annotations with the synthetic labels"): specialists' raw outputs, plus the
 * image's alt-text, human texts and human boxes. Each output row names its `source` and all its
 * `sources`; everything dropped is reported with its rule.
 */
export interface RawText { source: string; granularity: Granularity; text: string; score: number | null }
export interface RawRegion {
  source: string;
  kind: 'object' | 'text';
  box: readonly number[];
  quad?: readonly number[] | null;
  /** Category (objects) or the text read (OCR). */
  phrase: string;
  /** Region caption, when a region captioner ran on this box. */
  brief?: string | null;
  score: number | null;
}
export interface RawGrounding {
  source: string;
  /** The text grounded, exactly as in `texts` (or the alt-text / a human text). */
  text: string;
  granularity: Granularity;
  phrase: string;
  span?: [number, number] | null;
  boxes: readonly (readonly number[])[];
  score: number | null;
}

export interface MergeInput {
  image: Pick<ImageRecord, 'image_id' | 'width' | 'height' | 'alt_text' | 'existing_texts' | 'existing_boxes'>;
  round: number;
  texts: readonly RawText[];
  regions: readonly RawRegion[];
  groundings: readonly RawGrounding[];
  /** Words read by OCR in this image, for the text-spotting rule (default: the OCR regions' phrases). */
  ocrWords?: readonly string[];
}

export interface Dropped { kind: 'text' | 'region_text' | 'text_phrase_region'; source: string; reason: string; detail: string }

export interface MergeOutput {
  text: TextRecord[];
  region_text: RegionTextRecord[];
  text_phrase_region: TextPhraseRegionRecord[];
  dropped: Dropped[];
  stats: FilterStats[];
}

export const ALT_TEXT_SOURCE = 'alt_text';
export const HUMAN_SOURCE = 'human';

const shortHash = (s: string) => createHash('sha1').update(s).digest('hex').slice(0, 12);
const normalise = (t: string) => t.trim().replace(/\s+/g, ' ');
const box4 = (b: ArrayLike<number>, i = 0): Box => [b[i * 4], b[i * 4 + 1], b[i * 4 + 2], b[i * 4 + 3]];

export function mergeImage(input: MergeInput, config: FilterConfig): MergeOutput {
  const { image, round } = input;
  const id = image.image_id;
  const dropped: Dropped[] = [];
  const size = { width: image.width ?? Number.MAX_VALUE, height: image.height ?? Number.MAX_VALUE };

  // ---- texts: alt-text, human texts, specialists; identical texts of a granularity become one row
  const candidates: RawText[] = [];
  if (image.alt_text && image.alt_text.trim()) candidates.push({ source: ALT_TEXT_SOURCE, granularity: config.merge.altTextGranularity, text: image.alt_text, score: null });
  for (const t of image.existing_texts) candidates.push({ source: HUMAN_SOURCE, granularity: t.granularity, text: t.text, score: null });
  candidates.push(...input.texts);
  const groups = new Map<string, RawText[]>();
  for (const c of candidates) {
    const key = `${c.granularity}\u0000${normalise(c.text)}`;
    const g = groups.get(key);
    if (g) g.push(c); else groups.set(key, [c]);
  }
  const reps = [...groups.values()].map((g) => g.reduce((best, c) => ((c.score ?? Infinity) > (best.score ?? Infinity) ? c : best), g[0]));
  const ocrWords = input.ocrWords ?? input.regions.filter((r) => r.kind === 'text').map((r) => r.phrase);
  const { verdicts, stats: textStats } = filterTexts(reps.map((r) => ({ text: r.text, granularity: r.granularity, ocrWords })), config.text);
  const text: TextRecord[] = [];
  const keptTexts = new Map<string, TextRecord>();
  reps.forEach((r, k) => {
    const v = verdicts[k];
    const group = groups.get(`${r.granularity}\u0000${normalise(r.text)}`)!;
    if (!v.decision.keep) { dropped.push({ kind: 'text', source: r.source, reason: v.decision.reason, detail: v.decision.detail }); return; }
    const rec: TextRecord = {
      image_id: id, round, text_id: `${id}:t:${shortHash(`${r.granularity}\u0000${normalise(r.text)}`)}`, granularity: r.granularity,
      text: r.text, source: r.source, score: r.score, sources: [...new Set(group.map((g) => g.source))].sort(),
      ...v.figures!,
    };
    text.push(rec);
    keptTexts.set(`${r.granularity}\u0000${normalise(r.text)}`, rec);
  });

  // ---- object regions: human boxes + detector boxes -> geometry -> score -> NMS or fusion
  // a box that is not 4 numbers cannot enter the typed arrays: reported here, per item
  const wellFormed = (r: RawRegion, i: number): boolean => {
    if (Array.isArray(r.box) && r.box.length === 4 && r.box.every((v) => typeof v === 'number')) return true;
    dropped.push({ kind: 'region_text', source: r.source, reason: 'bad_box', detail: `region ${i} (${r.phrase}): box must be 4 numbers [x0, y0, x1, y1], got ${JSON.stringify(r.box)}` });
    return false;
  };
  const objects: RawRegion[] = [
    ...image.existing_boxes.map((b) => ({ source: HUMAN_SOURCE, kind: 'object' as const, box: b.box, phrase: b.category, brief: null, score: config.merge.humanBoxScore })),
    ...input.regions.filter((r) => r.kind === 'object'),
  ].filter(wellFormed);
  const categories = new Map<string, number>();
  const labelOf = (p: string) => {
    const k = p.trim().toLowerCase();
    if (!categories.has(k)) categories.set(k, categories.size);
    return categories.get(k)!;
  };
  const all = boxArrays(objects.map((o) => ({ box: o.box, score: o.score ?? 1, label: labelOf(o.phrase) })));
  const geo = validateGeometry(all, size, config.boxes);
  for (const p of geo.problems) if (p.action === 'dropped') dropped.push({ kind: 'region_text', source: objects[p.index].source, reason: p.reason, detail: p.detail });
  const thr = scoreThreshold(geo.boxes, config.boxes.scoreThreshold);
  for (let i = 0, k = 0; i < geo.kept.length; i++) {
    if (thr.kept[k] === i) { k++; continue; }
    const o = objects[geo.kept[i]];
    dropped.push({ kind: 'region_text', source: o.source, reason: 'low_score', detail: `${o.phrase} box scored ${o.score}, under ${config.boxes.scoreThreshold}` });
  }
  const survivors = Array.from(thr.kept, (i) => geo.kept[i]); // indexes into `objects`
  const valid = take(geo.boxes, thr.kept);
  const regionStats = newStats(config.merge.boxes === 'nms' ? 'region_nms' : 'region_fusion');
  const region_text: RegionTextRecord[] = [];
  const pushRegion = (kind: 'object' | 'text', box: Box, quad: Quad | null, phrase: string, brief: string | null, source: string, score: number | null, sources: string[]) => {
    region_text.push({
      image_id: id, round, region_id: `${id}:r:${region_text.length}`, kind, box, quad, phrase, brief,
      noun_chunks: nounChunks(brief), source, score, sources,
    });
  };
  if (config.merge.boxes === 'nms') {
    const kept = config.boxes.classAware ? batchedNms(valid, config.boxes.nmsIou) : batchedNms({ ...valid, labels: new Int32Array(valid.labels.length) }, config.boxes.nmsIou);
    const keptSet = new Set(kept);
    for (let i = 0; i < survivors.length; i++) {
      const o = objects[survivors[i]];
      if (keptSet.has(i)) continue;
      countDropped(regionStats, 'nms');
      dropped.push({ kind: 'region_text', source: o.source, reason: 'nms', detail: `${o.phrase} box overlaps a higher-scored box by more than IoU ${config.boxes.nmsIou}` });
    }
    for (const i of kept) {
      const o = objects[survivors[i]];
      countKept(regionStats);
      pushRegion('object', box4(valid.xyxy, i), null, o.phrase, o.brief ?? null, o.source, o.score, [o.source]);
    }
  } else {
    // fusion: one input per source, so that a box seen by several sources gains score
    const bySource = new Map<string, number[]>();
    survivors.forEach((oi, i) => {
      const s = objects[oi].source;
      const list = bySource.get(s);
      if (list) list.push(i); else bySource.set(s, [i]);
    });
    const sources = [...bySource.keys()];
    const inputs = sources.map((s) => ({ source: s, boxes: take(valid, bySource.get(s)!) }));
    const { fused, stats } = fuseBoxes(inputs, { iouThreshold: config.boxes.fusionIou });
    Object.assign(regionStats, stats, { filter: 'region_fusion' });
    for (let k = 0; k < fused.scores.length; k++) {
      const members = fused.members[k].map(([s, j]) => objects[survivors[bySource.get(sources[s])![j]]]);
      const lead = members[0]; // highest score: fusion visits boxes in decreasing score
      const brief = members.find((m) => m.brief)?.brief ?? null;
      pushRegion('object', box4(fused.xyxy, k), null, lead.phrase, brief, lead.source, members.length === 1 ? lead.score : fused.scores[k], fused.sources[k]);
    }
  }

  // ---- OCR regions: geometry and score only (each reads different text)
  const ocr = input.regions.filter((r) => r.kind === 'text').filter(wellFormed);
  const ocrGeo = validateGeometry(boxArrays(ocr.map((o) => ({ box: o.box, score: o.score ?? 1 }))), size, config.boxes);
  for (const p of ocrGeo.problems) if (p.action === 'dropped') dropped.push({ kind: 'region_text', source: ocr[p.index].source, reason: p.reason, detail: p.detail });
  const ocrStats = newStats('ocr_regions');
  ocrGeo.kept.forEach((oi, k) => {
    const o = ocr[oi];
    if (!o.phrase.trim()) { countDropped(ocrStats, 'empty_text'); dropped.push({ kind: 'region_text', source: o.source, reason: 'empty_text', detail: `OCR region ${oi} read no text` }); return; }
    if (o.quad && (o.quad.length !== 8 || !o.quad.every(Number.isFinite))) { countDropped(ocrStats, 'bad_quad'); dropped.push({ kind: 'region_text', source: o.source, reason: 'bad_quad', detail: `OCR region ${oi} quad must be 8 finite numbers` }); return; }
    countKept(ocrStats);
    pushRegion('text', box4(ocrGeo.boxes.xyxy, k), o.quad ? (o.quad.slice() as Quad) : null, o.phrase, null, o.source, o.score, [o.source]);
  });

  // ---- text-phrase-region: groundings of kept texts, phrase rules, box geometry and threshold
  const tpr: TextPhraseRegionRecord[] = [];
  const groundStats = newStats('grounding');
  const byText = new Map<string, RawGrounding[]>();
  for (const g of input.groundings) {
    const key = `${g.granularity}\u0000${normalise(g.text)}`;
    const list = byText.get(key);
    if (list) list.push(g); else byText.set(key, [g]);
  }
  let phraseStats = newStats('grounded_phrases');
  for (const [key, gs] of byText) {
    const t = keptTexts.get(key);
    if (!t) {
      for (const g of gs) { countDropped(groundStats, 'text_dropped'); dropped.push({ kind: 'text_phrase_region', source: g.source, reason: 'text_dropped', detail: `"${g.phrase}": its text was dropped or is not among this image's texts` }); }
      continue;
    }
    // spans index the kept text row; a grounded copy that differs from it in whitespace gets them found again
    const f = filterGroundedPhrases(t.text, gs.map((g) => ({ ...g, span: g.text === t.text ? g.span : null })), config.phrases);
    phraseStats = addStats(phraseStats, f.stats);
    for (const d of f.dropped) dropped.push({ kind: 'text_phrase_region', source: d.item.source, reason: d.reason, detail: d.detail });
    for (const g of f.kept) {
      const shaped = g.boxes.filter((b) => Array.isArray(b) && b.length === 4 && b.every((v) => typeof v === 'number'));
      if (shaped.length < g.boxes.length) dropped.push({ kind: 'text_phrase_region', source: g.source, reason: 'bad_box', detail: `"${g.phrase}": ${g.boxes.length - shaped.length} of its boxes are not 4 numbers` });
      const arr = boxArrays(shaped.map((b) => ({ box: b, score: g.score ?? 1 })));
      const geoG = validateGeometry(arr, size, config.boxes);
      const boxes: Box[] = Array.from(geoG.kept, (_, k) => boxAt(geoG.boxes, k));
      if (g.score !== null && g.score < config.boxes.scoreThreshold) {
        countDropped(groundStats, 'low_score');
        dropped.push({ kind: 'text_phrase_region', source: g.source, reason: 'low_score', detail: `"${g.phrase}" boxes scored ${g.score}, under ${config.boxes.scoreThreshold}` });
        continue;
      }
      if (boxes.length === 0) {
        countDropped(groundStats, 'no_valid_box');
        dropped.push({ kind: 'text_phrase_region', source: g.source, reason: 'no_valid_box', detail: `"${g.phrase}": none of its ${g.boxes.length} boxes is valid (${geoG.problems.map((p) => p.reason).join(', ') || 'none given'})` });
        continue;
      }
      countKept(groundStats);
      tpr.push({ image_id: id, round, text_id: t.text_id, granularity: t.granularity, phrase: g.phrase, span: g.span, boxes, source: g.source, score: g.score, sources: [g.source] });
    }
  }
  return {
    text, region_text, text_phrase_region: tpr, dropped,
    stats: [textStats, geo.stats, thr.stats, regionStats, ocrGeo.stats, ocrStats, phraseStats, groundStats],
  };
}
