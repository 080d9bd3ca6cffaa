import type { TextRecord } from '../../schemas/records.ts';
import { countDropped, countKept, newStats, type FilterStats } from '../filter-stats.ts';
import { withoutControlCharacters } from '../text/parse.ts';
import { filterTexts } from '../text/rules.ts';
import {
  ALT_TEXT_SOURCE,
  HUMAN_SOURCE,
  shortHash,
  textKey,
  textPasses,
  type MergeContext,
  type MergeInput,
  type RawText,
} from './merge-types.ts';

/**
 * Texts of one image: alt-text, human texts and specialists' texts; identical texts of a granularity
 * (up to whitespace) become one row listing all their sources; the text rules decide what stays.
 */
export function mergeTexts(
  input: MergeInput,
  ctx: MergeContext,
): { rows: TextRecord[]; kept: Map<string, TextRecord>; stats: FilterStats; scoreStats: FilterStats } {
  const { image } = input;
  const candidates: RawText[] = [];
  if (image.alt_text?.trim())
    candidates.push({
      source: ALT_TEXT_SOURCE,
      granularity: ctx.config.merge.altTextGranularity,
      text: image.alt_text,
      score: null,
    });
  for (const t of image.existing_texts)
    candidates.push({ source: HUMAN_SOURCE, granularity: t.granularity, text: t.text, score: null });
  // each source's texts under its own threshold for the granularity, before identical texts are grouped
  const scoreStats = newStats('text_score');
  for (const t of input.texts) {
    const { pass, floor } = textPasses(t, ctx.thresholds);
    if (pass) {
      candidates.push(t);
      countKept(scoreStats);
      continue;
    }
    countDropped(scoreStats, 'low_score');
    ctx.dropped.push({
      kind: 'text',
      source: t.source,
      reason: 'low_score',
      detail:
        floor === Infinity
          ? `${t.granularity} text: source ${t.source} is off for ${t.granularity}`
          : `${t.granularity} text scored ${t.score}, under ${floor}`,
    });
  }
  const groups = new Map<string, RawText[]>();
  for (const c of candidates) {
    const key = textKey(c.granularity, c.text);
    const g = groups.get(key);
    if (g) g.push(c);
    else groups.set(key, [c]);
  }
  // the row's own source is the best-scored one (unscored human / alt-text first)
  const reps = [...groups.values()].map((g) =>
    g.reduce((best, c) => ((c.score ?? Infinity) > (best.score ?? Infinity) ? c : best), g[0]),
  );
  const ocrWords = input.ocrWords ?? input.regions.filter((r) => r.kind === 'text').map((r) => r.phrase);
  const { verdicts, stats } = filterTexts(
    reps.map((r) => ({ text: r.text, granularity: r.granularity, ocrWords })),
    ctx.config.text,
  );
  const rows: TextRecord[] = [];
  const kept = new Map<string, TextRecord>();
  reps.forEach((r, k) => {
    const v = verdicts[k];
    const key = textKey(r.granularity, r.text);
    if (!v.decision.keep) {
      ctx.dropped.push({ kind: 'text', source: r.source, reason: v.decision.reason, detail: v.decision.detail });
      return;
    }
    // the row holds the text the rules judged: control and bidi characters as spaces (counted in the text filter's stats)
    const rec: TextRecord = {
      image_id: ctx.id,
      round: ctx.round,
      text_id: `${ctx.id}:t:${shortHash(key)}`,
      granularity: r.granularity,
      text: withoutControlCharacters(r.text).text,
      source: r.source,
      score: r.score,
      sources: [...new Set(groups.get(key)!.map((g) => g.source))].sort(),
      ...v.figures!,
    };
    rows.push(rec);
    kept.set(key, rec);
  });
  return { rows, kept, stats, scoreStats };
}
