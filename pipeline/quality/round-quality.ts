import { join } from 'node:path';
import { readTruth } from '../world/truth-store.ts';
import { imageIdMap, loadAnnotationRows } from './rows.ts';
import { scoreAnnotations, type QualityReport } from './score.ts';

export interface RoundQuality {
  round: number;
  report: QualityReport;
}

/**
 * Quality of stored rounds against a demo world's truth: each round's kind shards
 * (`<root>/<collection>/round-R/`), mapped to the world's images through the collection's image
 * records. `scope` limits it to some world images (e.g. those the model never trained on).
 * The truth is read here, once, and nowhere in the engine.
 */
export async function roundsQuality(o: { world: string; root: string; collection: string; rounds: readonly number[]; scope?: (worldImageIds: string[]) => string[] }): Promise<RoundQuality[]> {
  const truth = await readTruth(o.world);
  const ids = await imageIdMap(join(o.root, o.collection, 'images'), truth.images);
  const scope = o.scope?.(truth.images.map((i) => i.image_id));
  const out: RoundQuality[] = [];
  for (const round of o.rounds) {
    const rows = await loadAnnotationRows(join(o.root, o.collection, `round-${round}`));
    out.push({ round, report: scoreAnnotations(truth, rows, { scope, imageIdOf: (id) => ids.get(id) }) });
  }
  return out;
}

const f1 = (p: number, r: number) => (p + r === 0 ? 0 : (2 * p * r) / (p + r));

/** One line per round: the figures the paper's refinement claim is about (box F1, caption F1 per granularity, grounding, OCR CER). */
export function qualityTable(rows: readonly RoundQuality[]): string {
  const fmt = (v: number | null) => (v === null ? '-' : v.toFixed(3));
  const head = ['round', 'images', 'box F1', 'brief F1', 'detailed F1', 'more det. F1', 'grounding', 'OCR CER'];
  const lines = rows.map(({ round, report: r }) => {
    const cap = (g: 'brief' | 'detailed' | 'more_detailed') => (r.captions[g].captioned ? f1(r.captions[g].precision, r.captions[g].recall) : null);
    return [
      String(round),
      String(r.images),
      fmt(r.boxes.tp + r.boxes.fp ? r.boxes.f1 : null),
      fmt(cap('brief')),
      fmt(cap('detailed')),
      fmt(cap('more_detailed')),
      fmt(r.grounding.phrases ? r.grounding.accuracy : null),
      fmt(r.ocr.truth_chars ? r.ocr.cer : null),
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const row = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i]!)).join('  ');
  return [row(head), widths.map((w) => '-'.repeat(w)).join('  '), ...lines.map(row)].join('\n') + '\n';
}
