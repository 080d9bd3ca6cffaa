import type { QualitySet } from '../../schemas/round-quality.ts';
import { printTable, type Table } from './table.ts';

/**
 * Label quality against a demo world's truth, rounds side by side (one column per round or set):
 * the table `fld quality`, the demo, `fld run` on a world and the HTML report print. One figure per
 * kind the engine writes: boxes (region-text objects), captions per granularity (text), grounding
 * (text-phrase-region), region descriptions and OCR (region-text). `-` means the round holds nothing
 * of that kind to score; `parseQualityTable` reads the printed table back.
 */
export const QUALITY_TABLE_TITLE = "Quality against the world's truth";

const f3 = (v: number) => v.toFixed(3);
type Metric = [name: string, get: (s: QualitySet) => string];

const hasBoxes = (s: QualitySet) => s.boxes.tp + s.boxes.fp > 0;
const caption = (g: 'brief' | 'detailed' | 'more_detailed', what: 'f1' | 'precision' | 'recall') => (s: QualitySet) =>
  s.captions[g].captioned ? f3(s.captions[g][what]) : '-';

const METRICS: Metric[] = [
  ['images', (s) => String(s.images)],
  ['box F1 @0.5', (s) => (hasBoxes(s) ? f3(s.boxes.f1) : '-')],
  ['box precision', (s) => (hasBoxes(s) ? f3(s.boxes.precision) : '-')],
  ['box recall', (s) => (hasBoxes(s) ? f3(s.boxes.recall) : '-')],
  ...(['brief', 'detailed', 'more_detailed'] as const).flatMap((g): Metric[] => [
    [`${g} caption F1`, caption(g, 'f1')],
    [`${g} precision`, caption(g, 'precision')],
    [`${g} recall`, caption(g, 'recall')],
  ]),
  ...(['brief', 'detailed', 'more_detailed'] as const).map(
    (g): Metric => [
      `${g} grounding accuracy`,
      (s) => {
        const x = s.grounding.by_granularity?.[g];
        return x?.phrases ? f3(x.accuracy) : '-';
      },
    ],
  ),
  ['grounding accuracy, all texts', (s) => (s.grounding.phrases ? f3(s.grounding.accuracy) : '-')],
  ['grounded phrases', (s) => String(s.grounding.phrases)],
  ['region description accuracy', (s) => (s.region_briefs?.described ? f3(s.region_briefs.accuracy) : '-')],
  ['described regions', (s) => (s.region_briefs ? String(s.region_briefs.described) : '-')],
  ['OCR CER', (s) => (s.ocr.truth_chars ? f3(s.ocr.cer) : '-')],
  ['OCR word recall', (s) => (s.ocr.truth_chars ? f3(s.ocr.word_recall) : '-')],
  ['truth-derived rows left out', (s) => String(s.excluded_rows)],
];

/** The figure names a complete table has a number for in every column (one per kind of output). */
export const KIND_FIGURES = [
  'box F1 @0.5',
  'brief caption F1',
  'brief grounding accuracy',
  'region description accuracy',
  'OCR CER',
] as const;

export function qualityTable(
  columns: readonly { label: string; set: QualitySet }[],
  title = QUALITY_TABLE_TITLE,
): Table {
  return {
    title,
    headers: ['', ...columns.map((c) => c.label)],
    numeric: [false, ...columns.map(() => true)],
    rows: METRICS.map(([name, get]) => [name, ...columns.map((c) => get(c.set))]),
    note:
      'Boxes: F1 at IoU 0.5 per category. Captions: shape categories named vs in the image. Grounding: a phrase is right when every box matches an object it can mean (per granularity of its text; the all-texts figure mixes them). ' +
      'Region descriptions: on boxes matching a true object, right when they name its category (and colour). OCR: character error rate at line level. ' +
      '"-": the round holds nothing of that kind. Truth-derived rows (the world\'s human captions and their groundings) are left out of every figure.',
  };
}

export const formatQualityTable = (columns: readonly { label: string; set: QualitySet }[], title?: string): string =>
  printTable(qualityTable(columns, title)) + '\n';

/**
 * The printed table read back: column labels and, per figure name, one cell per column (a number, or
 * null for `-`). Cells are split on runs of two or more spaces, as `printTable` pads them.
 */
export function parseQualityTable(
  text: string,
  title = QUALITY_TABLE_TITLE,
): { labels: string[]; figures: Map<string, (number | null)[]> } {
  const lines = text.split('\n');
  const at = lines.findIndex((l) => l.trim() === title);
  if (at < 0) throw new Error(`no "${title}" table in the text`);
  const labels = lines[at + 1].trim().split(/\s{2,}/);
  const figures = new Map<string, (number | null)[]>();
  for (const line of lines.slice(at + 3)) {
    const cells = line.trim().split(/\s{2,}/);
    if (cells.length !== labels.length + 1) break;
    figures.set(
      cells[0],
      cells.slice(1).map((c) => (c === '-' ? null : Number(c))),
    );
  }
  return { labels, figures };
}
