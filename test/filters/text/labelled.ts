import { readFileSync } from 'node:fs';
import { parseText, type Parse } from '../../../filters/text/parse.ts';

/** The labelled caption set (test/fixtures/captions-labelled.json) and scoring of the parse against it. */
export interface Labelled {
  id: string;
  granularity: 'brief' | 'detailed' | 'more_detailed';
  text: string;
  objects: string[];
  attributes: string[];
  actions: string[];
  proper_nouns: string[];
  heads: [string, string][];
}

export function loadLabelled(name = 'captions-labelled.json'): Labelled[] {
  const url = new URL(`../../fixtures/${name}`, import.meta.url);
  return (JSON.parse(readFileSync(url, 'utf8')) as { captions: Labelled[] }).captions;
}

export interface Score {
  tp: number;
  fp: number;
  fn: number;
}
export const prf = (s: Score) => {
  const p = s.tp / Math.max(1, s.tp + s.fp);
  const r = s.tp / Math.max(1, s.tp + s.fn);
  return { precision: p, recall: r, f1: p + r === 0 ? 0 : (2 * p * r) / (p + r) };
};

/** Multiset match of lowercase words: each expected word matches at most one predicted word. */
export function match(predicted: string[], expected: string[], into: Score, misses?: string[], tag = ''): void {
  const left = new Map<string, number>();
  for (const e of expected) left.set(e.toLowerCase(), (left.get(e.toLowerCase()) ?? 0) + 1);
  for (const p of predicted) {
    const k = p.toLowerCase();
    const c = left.get(k) ?? 0;
    if (c > 0) {
      into.tp++;
      left.set(k, c - 1);
    } else {
      into.fp++;
      misses?.push(`${tag}+${k}`);
    }
  }
  for (const [k, c] of left) {
    into.fn += c;
    for (let i = 0; i < c; i++) misses?.push(`${tag}-${k}`);
  }
}

export function predicted(p: Parse) {
  return {
    objects: p.objects.map((o) => o.text),
    attributes: p.attributes.map((a) => a.text),
    actions: p.actions.map((a) => a.text),
    properNouns: p.properNouns.map((x) => x.text),
  };
}

export function scoreAll(set: Labelled[], verbose = false) {
  const s = {
    objects: { tp: 0, fp: 0, fn: 0 },
    attributes: { tp: 0, fp: 0, fn: 0 },
    actions: { tp: 0, fp: 0, fn: 0 },
    properNouns: { tp: 0, fp: 0, fn: 0 },
    heads: { tp: 0, fp: 0, fn: 0 },
  };
  const report: string[] = [];
  for (const c of set) {
    const p = parseText(c.text);
    if (!p.ok) throw new Error(`${c.id}: parse rejected: ${p.detail}`);
    const pr = predicted(p);
    const misses: string[] = [];
    match(pr.objects, c.objects, s.objects, misses, 'O');
    match(pr.attributes, c.attributes, s.attributes, misses, 'A');
    match(pr.actions, c.actions, s.actions, misses, 'V');
    match(pr.properNouns, c.proper_nouns, s.properNouns, misses, 'P');
    for (const [dep, head] of c.heads) {
      const i = p.tokens.findIndex((t) => t.lower === dep);
      const ok = i >= 0 && p.heads[i] >= 0 && p.tokens[p.heads[i]].lower === head;
      if (ok) s.heads.tp++;
      else {
        s.heads.fn++;
        s.heads.fp++;
        misses.push(`head ${dep}->${head} got ${i >= 0 && p.heads[i] >= 0 ? p.tokens[p.heads[i]].lower : 'none'}`);
      }
    }
    if (verbose && misses.length) report.push(`${c.id}: ${misses.join(' ')}`);
  }
  return { scores: s, report };
}
