import { boxArea, intersection } from '../world/outlines.ts';
import { editDistance } from './cer.ts';
import { matchBoxes } from './match.ts';

/** One read text region (any OCR engine), or one true word: an axis-aligned box and its text. */
export interface OcrItem {
  box: readonly number[];
  text: string;
}

export interface OcrCounts {
  truth_chars: number;
  edits: number;
  /** True words inside a read region (each word counted once). */
  matched: number;
  /** True words no read region covers. */
  missed: number;
  /** Read regions that cover no true word. */
  extra: number;
  /** Whitespace-separated words in the truth, in what was read, and read right where they are. */
  words_true: number;
  words_read: number;
  words_right: number;
  /** True words whose box one read region matches one-to-one at IoU >= 0.5 (segmentation, not reading). */
  boxes_matched: number;
}

export const emptyOcrCounts = (): OcrCounts => ({
  truth_chars: 0,
  edits: 0,
  matched: 0,
  missed: 0,
  extra: 0,
  words_true: 0,
  words_read: 0,
  words_right: 0,
  boxes_matched: 0,
});

/** A word belongs to a region when at least this share of the word's box lies inside the region's box. */
export const COVER_SHARE = 0.5;

const words = (s: string) => s.split(/\s+/).filter(Boolean);

/**
 * OCR against the true words of ONE image, matched at line level: an engine may read two words as
 * one line ("Florence market") where the truth has two words, and that is segmentation, not reading.
 * Each true word goes to the read region covering most of its box (at least COVER_SHARE of it);
 * a region's words, in reading order and joined by single spaces, are compared with its text by
 * edit distance. Uncovered words cost their length (missed), regions covering no word cost theirs
 * (extra). Word recall / precision compare the whitespace words of each region with those of its
 * group; word boxes matched one-to-one at IoU 0.5 are counted apart (`boxes_matched`).
 */
export function ocrCounts(pred: readonly OcrItem[], truth: readonly OcrItem[]): OcrCounts {
  const c = emptyOcrCounts();
  const groups = pred.map(() => [] as OcrItem[]);
  for (const w of truth) {
    c.truth_chars += w.text.length;
    c.words_true += words(w.text).length;
    const area = boxArea(w.box);
    let best = -1,
      bestShare = COVER_SHARE;
    pred.forEach((p, i) => {
      const share = area > 0 ? boxArea(intersection(p.box, w.box)) / area : 0;
      if (share >= bestShare && (best < 0 || share > bestShare)) [best, bestShare] = [i, share];
    });
    if (best < 0) {
      c.missed++;
      c.edits += w.text.length;
    } else {
      c.matched++;
      groups[best].push(w);
    }
  }
  pred.forEach((p, i) => {
    const text = p.text.replace(/\s+/g, ' ').trim();
    const read = words(text);
    c.words_read += read.length;
    const g = groups[i];
    if (!g.length) {
      c.extra++;
      c.edits += text.length;
      return;
    }
    const wanted = g
      .sort(readingOrder)
      .map((w) => w.text)
      .join(' ');
    c.edits += editDistance(text, wanted);
    const pool = words(wanted);
    for (const r of read) {
      const k = pool.indexOf(r);
      if (k >= 0) {
        pool.splice(k, 1);
        c.words_right++;
      }
    }
  });
  c.boxes_matched = matchBoxes(
    pred.map((p) => p.box),
    truth.map((w) => w.box),
  ).length;
  return c;
}

/** Same line (vertical centres closer than half the lower height): left to right; else top to bottom. */
function readingOrder(a: OcrItem, b: OcrItem): number {
  const ca = (a.box[1] + a.box[3]) / 2,
    cb = (b.box[1] + b.box[3]) / 2;
  const h = Math.min(a.box[3] - a.box[1], b.box[3] - b.box[1]);
  return Math.abs(ca - cb) < h / 2 ? a.box[0] - b.box[0] : ca - cb;
}

export function addOcrCounts(a: OcrCounts, b: OcrCounts): OcrCounts {
  const out = { ...a };
  for (const k of Object.keys(b) as (keyof OcrCounts)[]) out[k] += b[k];
  return out;
}

const ratio = (a: number, b: number) => (b === 0 ? (a === 0 ? 1 : 0) : a / b);

export interface OcrScore extends OcrCounts {
  cer: number;
  word_recall: number;
  word_precision: number;
}

export function ocrScore(c: OcrCounts): OcrScore {
  return {
    ...c,
    cer: c.truth_chars === 0 ? (c.edits === 0 ? 0 : 1) : c.edits / c.truth_chars,
    word_recall: ratio(c.words_right, c.words_true),
    word_precision: ratio(c.words_right, c.words_read),
  };
}
