import type { Box, TextPhraseRegionRecord, TextRecord } from '../../schemas/records.ts';
import { addStats, newStats, countDropped, countKept, type FilterStats } from '../filter-stats.ts';
import { filterGroundedPhrases } from '../phrases/phrases.ts';
import { boxArrays, boxAt } from '../boxes/arrays.ts';
import { validateGeometry } from '../boxes/box-geometry.ts';
import { isBox, textKey, type MergeContext, type MergeInput, type RawGrounding } from './merge-types.ts';

/**
 * Text-phrase-region rows of one image: groundings of texts that were kept, through the phrase rules
 * (span, blacklist, confidence) and the box rules (shape, geometry, score threshold).
 */
export function mergeGroundings(
  input: MergeInput,
  ctx: MergeContext,
  keptTexts: Map<string, TextRecord>,
): { rows: TextPhraseRegionRecord[]; stats: FilterStats[] } {
  const { config, dropped } = ctx;
  const rows: TextPhraseRegionRecord[] = [];
  const stats = newStats('grounding');
  let phraseStats = newStats('grounded_phrases');
  const byText = new Map<string, RawGrounding[]>();
  for (const g of input.groundings) {
    const key = textKey(g.granularity, g.text);
    const list = byText.get(key);
    if (list) list.push(g);
    else byText.set(key, [g]);
  }
  const drop = (g: RawGrounding, reason: string, detail: string) => {
    countDropped(stats, reason);
    dropped.push({ kind: 'text_phrase_region', source: g.source, reason, detail });
  };
  for (const [key, gs] of byText) {
    const t = keptTexts.get(key);
    if (!t) {
      for (const g of gs)
        drop(g, 'text_dropped', `"${g.phrase}": its text was dropped or is not among this image's texts`);
      continue;
    }
    // spans index the kept text row; a grounded copy that differs from it in whitespace gets them found again
    const f = filterGroundedPhrases(
      t.text,
      gs.map((g) => ({ ...g, span: g.text === t.text ? g.span : null })),
      config.phrases,
    );
    phraseStats = addStats(phraseStats, f.stats);
    for (const d of f.dropped)
      dropped.push({ kind: 'text_phrase_region', source: d.item.source, reason: d.reason, detail: d.detail });
    for (const g of f.kept) {
      const shaped = g.boxes.filter(isBox);
      if (shaped.length < g.boxes.length)
        dropped.push({
          kind: 'text_phrase_region',
          source: g.source,
          reason: 'bad_box',
          detail: `"${g.phrase}": ${g.boxes.length - shaped.length} of its boxes are not 4 numbers`,
        });
      if (g.score !== null && g.score < config.boxes.scoreThreshold) {
        drop(g, 'low_score', `"${g.phrase}" boxes scored ${g.score}, under ${config.boxes.scoreThreshold}`);
        continue;
      }
      const geo = validateGeometry(
        boxArrays(shaped.map((b) => ({ box: b, score: g.score ?? 1 }))),
        ctx.size,
        config.boxes,
      );
      const boxes: Box[] = Array.from(geo.kept, (_, k) => boxAt(geo.boxes, k));
      if (boxes.length === 0) {
        drop(
          g,
          'no_valid_box',
          `"${g.phrase}": none of its ${g.boxes.length} boxes is valid (${geo.problems.map((p) => p.reason).join(', ') || 'none given'})`,
        );
        continue;
      }
      countKept(stats);
      rows.push({
        image_id: ctx.id,
        round: ctx.round,
        text_id: t.text_id,
        granularity: t.granularity,
        phrase: g.phrase,
        span: g.span,
        boxes,
        source: g.source,
        score: g.score,
        sources: [...(g.sources ?? [g.source])],
      });
    }
  }
  return { rows, stats: [phraseStats, stats] };
}
