import type { PhraseRulesConfig } from '../filter-config.ts';
import { newStats, countKept, countDropped, KEEP, drop, type Decision, type FilterStats } from '../filter-stats.ts';
import { parseText, type Parse } from '../text/parse.ts';

/**
 * Noun phrases for grounding (text-phrase-region) and noun chunks for region-text, from the same
 * chunker as the text parse. A phrase is a noun chunk as written in the text, with its [start, end)
 * character span; a possessor chunk loses its "'s" ("the dog's toy" -> "the dog", "toy").
 */
export interface NounPhrase {
  phrase: string;
  span: [number, number];
  /** The head noun as written. */
  head: string;
  pronoun: boolean;
}

export function nounPhrasesOf(p: Parse, text: string): NounPhrase[] {
  const out: NounPhrase[] = [];
  for (const c of p.chunks) {
    let last = c.end - 1;
    while (last > c.start && p.tokens[last].pos === 'PART') last--; // possessive 's
    const start = p.tokens[c.start].start;
    const end = p.tokens[last].end;
    if (end <= start) continue;
    out.push({
      phrase: text.slice(start, end),
      span: [start, end],
      head: p.tokens[c.head].text,
      pronoun: c.kind === 'pronoun',
    });
  }
  return out;
}

/** All noun phrases of a text (pronouns included, flagged); [] for a text the parser rejects. */
export function nounPhrases(text: string): NounPhrase[] {
  const p = parseText(text);
  return p.ok ? nounPhrasesOf(p, text) : [];
}

/** Noun chunks of a region's brief text, for region-text `noun_chunks` (pronouns left out). */
export function nounChunks(brief: string | null): string[] {
  if (!brief) return [];
  return nounPhrases(brief)
    .filter((x) => !x.pronoun)
    .map((x) => x.phrase);
}

/** Lowercase word forms a blacklist entry matches: as written, and a naive singular of a plural. */
function forms(word: string): string[] {
  const w = word.toLowerCase();
  const out = [w];
  if (w.length > 3 && w.endsWith('ies')) out.push(w.slice(0, -3) + 'y');
  else if (w.length > 3 && w.endsWith('es') && /(s|x|ch|sh)es$/.test(w)) out.push(w.slice(0, -2));
  else if (w.length > 2 && w.endsWith('s') && !w.endsWith('ss')) out.push(w.slice(0, -1));
  return out;
}

/** The phrase rules on one phrase: pronoun, blacklisted head, too many words, low confidence. */
export function judgePhrase(
  phrase: { phrase: string; head?: string; pronoun?: boolean; score?: number | null },
  config: PhraseRulesConfig,
  blacklist: ReadonlySet<string> = new Set(config.blacklist.map((w) => w.toLowerCase())),
): Decision {
  const words = phrase.phrase.trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) return drop('empty_phrase', 'the phrase is empty');
  if (phrase.pronoun) return drop('pronoun', `"${phrase.phrase}" is a pronoun`);
  const head = (phrase.head ?? words[words.length - 1]).replace(/[^\p{L}\p{N}'-]/gu, '');
  if (forms(head).some((f) => blacklist.has(f)))
    return drop('blacklisted', `"${phrase.phrase}": head "${head}" is on the phrase blacklist`);
  if (words.length > config.maxWords)
    return drop('too_long', `"${phrase.phrase}" has ${words.length} words, more than ${config.maxWords}`);
  if (phrase.score !== undefined && phrase.score !== null && !(phrase.score >= config.minConfidence)) {
    return drop('low_confidence', `"${phrase.phrase}" scored ${phrase.score}, under ${config.minConfidence}`);
  }
  return KEEP;
}

/** Noun phrases of a text that are worth grounding, the dropped ones with their reasons, and stats. */
export function phrasesForGrounding(
  text: string,
  config: PhraseRulesConfig,
): {
  phrases: NounPhrase[];
  dropped: { phrase: NounPhrase; reason: string; detail: string }[];
  stats: FilterStats;
} {
  const stats = newStats('phrases');
  const blacklist = new Set(config.blacklist.map((w) => w.toLowerCase()));
  const phrases: NounPhrase[] = [];
  const dropped: { phrase: NounPhrase; reason: string; detail: string }[] = [];
  for (const ph of nounPhrases(text)) {
    const d = judgePhrase(ph, config, blacklist);
    if (d.keep) {
      phrases.push(ph);
      countKept(stats);
    } else {
      dropped.push({ phrase: ph, reason: d.reason, detail: d.detail });
      countDropped(stats, d.reason);
    }
  }
  return { phrases, dropped, stats };
}

/**
 * Grounded phrases from a grounding model (phrase, optional span, score): the phrase rules, plus the
 * span check: a phrase must occur in the text (its span is found when not given).
 */
export function filterGroundedPhrases<
  T extends { phrase: string; span?: [number, number] | null; score: number | null },
>(
  text: string,
  items: readonly T[],
  config: PhraseRulesConfig,
): {
  kept: (T & { span: [number, number] })[];
  dropped: { item: T; reason: string; detail: string }[];
  stats: FilterStats;
} {
  const stats = newStats('grounded_phrases');
  const blacklist = new Set(config.blacklist.map((w) => w.toLowerCase()));
  const kept: (T & { span: [number, number] })[] = [];
  const dropped: { item: T; reason: string; detail: string }[] = [];
  const lower = text.toLowerCase();
  for (const item of items) {
    let span = item.span ?? null;
    if (
      span &&
      (span[0] < 0 ||
        span[1] > text.length ||
        span[1] <= span[0] ||
        text.slice(span[0], span[1]).toLowerCase() !== item.phrase.toLowerCase())
    )
      span = null;
    if (!span) {
      const at = lower.indexOf(item.phrase.toLowerCase());
      if (at >= 0 && item.phrase.length > 0) span = [at, at + item.phrase.length];
    }
    let d: Decision;
    if (!span) d = drop('phrase_not_in_text', `"${item.phrase}" does not occur in the text`);
    else {
      const pronoun = /^(it|they|them|he|him|she|her|we|us|you|i|me|this|that|these|those|one|ones)$/i.test(
        item.phrase.trim(),
      );
      d = judgePhrase({ phrase: item.phrase, pronoun, score: item.score }, config, blacklist);
    }
    if (d.keep) {
      kept.push({ ...item, span: span! });
      countKept(stats);
    } else {
      dropped.push({ item, reason: d.reason, detail: d.detail });
      countDropped(stats, d.reason);
    }
  }
  return { kept, dropped, stats };
}
