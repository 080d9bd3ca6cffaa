import type { Granularity } from '../../schemas/records.ts';
import type { TextRulesConfig } from '../filter-config.ts';
import {
  KEEP,
  drop,
  newStats,
  countKept,
  countDropped,
  countChanged,
  type Decision,
  type FilterStats,
} from '../filter-stats.ts';
import { parseText, type Parse } from './parse.ts';

/**
 * Text rules of the paper (section 4.2): drop texts with excessive objects, keep texts whose object
 * and action complexity reach minimums, per granularity; plus DiHT's optional CAT rules. Every drop
 * names its rule (the reason) and the figure that failed it (the detail).
 */
export interface TextItem {
  text: unknown;
  granularity: Granularity;
  /** Words read by OCR in the text's image; needed only by the text-spotting rule. */
  ocrWords?: readonly string[];
}

/** The parse figures a text record carries (schemas/records.ts TextRecord). */
export interface TextFigures {
  objects: number;
  attributes: number;
  actions: number;
  proper_nouns: number;
  object_complexity: number;
  action_complexity: number;
}

export interface TextVerdict {
  decision: Decision;
  /** null when the text was rejected before parsing. */
  parse: Parse | null;
  figures: TextFigures | null;
}

export function figuresOf(p: Parse): TextFigures {
  return {
    objects: p.objects.length,
    attributes: p.attributes.length,
    actions: p.actions.length,
    proper_nouns: p.properNouns.length,
    object_complexity: p.objectComplexity,
    action_complexity: p.actionComplexity,
  };
}

const CONTENT = new Set(['NOUN', 'PROPN', 'VERB', 'ADJ', 'NUM']);
/** Lowercase letter/digit runs of OCR output ("SALE 50%OFF" -> sale, 50, off). */
export function ocrWordSet(words: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (const w of words) for (const m of w.toLowerCase().matchAll(/[\p{L}\p{N}]+/gu)) out.add(m[0]);
  return out;
}

function textSpotting(p: Parse, ocr: readonly string[], mode: 'only_ocr' | 'any_ocr', minLen: number): Decision {
  const words = ocrWordSet(ocr);
  if (words.size === 0) return KEEP;
  if (mode === 'any_ocr') {
    const lower = p.tokens.map((t) => t.lower);
    for (const w of words)
      if (w.length >= minLen && lower.includes(w))
        return drop('text_spotting', `the caption contains the OCR word "${w}"`);
    return KEEP;
  }
  const content = p.tokens.filter((t) => CONTENT.has(t.pos)).map((t) => t.lower);
  if (content.length > 0 && content.every((w) => words.has(w))) {
    return drop('text_spotting', `all ${content.length} content words of the caption are OCR words of the image`);
  }
  return KEEP;
}

const fmt = (x: number) => (Number.isInteger(x) ? String(x) : x.toFixed(2));

/** Parses one text and applies the rules of its granularity. Never throws on bad text: it drops it. */
export function judgeText(item: TextItem, config: TextRulesConfig): TextVerdict {
  const p = parseText(item.text, { maxChars: config.maxChars });
  if (!p.ok) return { decision: drop(p.reason, p.detail), parse: null, figures: null };
  const figures = figuresOf(p);
  const r = config[item.granularity];
  if (!r || typeof r !== 'object' || !('maxObjects' in r)) {
    return {
      decision: drop(
        'unknown_granularity',
        `granularity ${JSON.stringify(item.granularity)} is not brief, detailed or more_detailed`,
      ),
      parse: p,
      figures,
    };
  }
  if (p.objects.length < r.minObjects)
    return {
      decision: drop(
        'too_few_objects',
        `${p.objects.length} objects, fewer than ${r.minObjects} (${item.granularity})`,
      ),
      parse: p,
      figures,
    };
  if (p.objects.length > r.maxObjects)
    return {
      decision: drop(
        'too_many_objects',
        `${p.objects.length} objects, more than ${r.maxObjects} (${item.granularity})`,
      ),
      parse: p,
      figures,
    };
  if (p.objectComplexity < r.minObjectComplexity)
    return {
      decision: drop(
        'low_object_complexity',
        `object complexity ${fmt(p.objectComplexity)} < ${r.minObjectComplexity} (${item.granularity})`,
      ),
      parse: p,
      figures,
    };
  if (p.actionComplexity < r.minActionComplexity)
    return {
      decision: drop(
        'low_action_complexity',
        `action complexity ${fmt(p.actionComplexity)} < ${r.minActionComplexity} (${item.granularity})`,
      ),
      parse: p,
      figures,
    };
  const d = config.diht;
  if (d.minMaxOutDegree !== null && p.maxOutDegree < d.minMaxOutDegree)
    return {
      decision: drop('diht_complexity', `max out-degree ${p.maxOutDegree} < ${d.minMaxOutDegree}`),
      parse: p,
      figures,
    };
  if (d.minActionsWithSubject !== null && p.actionsWithSubject < d.minActionsWithSubject)
    return {
      decision: drop(
        'diht_actions',
        `${p.actionsWithSubject} verbs with a subject, fewer than ${d.minActionsWithSubject}`,
      ),
      parse: p,
      figures,
    };
  if (d.textSpotting !== 'off') {
    if (!item.ocrWords)
      return {
        decision: drop(
          'text_spotting_no_ocr',
          'text-spotting is on but the image has no OCR words given (pass [] when OCR found none)',
        ),
        parse: p,
        figures,
      };
    const ts = textSpotting(p, item.ocrWords, d.textSpotting, d.minOcrWordLength);
    if (!ts.keep) return { decision: ts, parse: p, figures };
  }
  return { decision: KEEP, parse: p, figures };
}

/** Applies the text rules to many texts; one verdict per item in order, and the stats. */
export function filterTexts(
  items: readonly TextItem[],
  config: TextRulesConfig,
): { verdicts: TextVerdict[]; stats: FilterStats } {
  const stats = newStats('text');
  const verdicts = items.map((item) => {
    const v = judgeText(item, config);
    if (v.decision.keep) countKept(stats);
    else countDropped(stats, v.decision.reason);
    if (v.parse && v.parse.controlCharacters > 0)
      countChanged(stats, 'control_characters_replaced', v.parse.controlCharacters);
    return v;
  });
  return { verdicts, stats };
}
