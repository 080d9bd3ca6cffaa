import type { RegionTextRecord, TextPhraseRegionRecord, TextRecord } from '../../schemas/records.ts';
import type { Box, ImageSize, Quad } from '../../schemas/loc-codec.ts';
import { EXPORT_TASKS, type ExportTask } from '../../schemas/export-config.ts';
import {
  type TargetExample,
  boxLabelProblem,
  denseRegionCaptionExample,
  groundingExample,
  ocrTextProblem,
  ocrWithRegionExample,
  odExample,
  plainTextProblem,
  regionExample,
  textExample,
} from '../../schemas/florence2-targets.ts';
import { draw } from './draw.ts';

/**
 * Rows of the training export (docs/training-stage.md): one per (image, task), with the prefix the model
 * reads and the suffix it must write, built by the canonical target builders of
 * schemas/florence2-targets.ts (one way to write a target, shared with every other user).
 */
export const TASKS = EXPORT_TASKS;
export type Task = ExportTask;

export interface ExportImage {
  image_id: string;
  /** Where the bytes are: an absolute local path, `file://` or `s3://` URI. */
  file: string;
  /** File name in the export (unique within a split). */
  name: string;
  width: number;
  height: number;
}

export interface ExportRow {
  image: ExportImage;
  task: Task;
  prefix: string;
  suffix: string;
  split: string;
}

export interface ImageLabels {
  region_text: RegionTextRecord[];
  text: TextRecord[];
  text_phrase_region: TextPhraseRegionRecord[];
}

export interface RowOptions {
  /** Which tasks, and the fraction of supporting images that get each (1 = all). */
  tasks: Readonly<Partial<Record<Task, number>>>;
  seed: number;
  groundingGranularities: readonly string[];
  regionEchoLocs: boolean;
  ocrEmptyRows: boolean;
  /** Caption sources preferred over others, their train rows repeated (ExportConfig.trustedTexts). */
  trustedTexts?: { sources: readonly string[]; repeat: number };
  /**
   * Per granularity, text sources best first by their F1 on the verified set (the round's acceptance):
   * a caption target comes from the best source an image has (an alt-text may beat a captioner), a
   * score deciding only within a source.
   */
  sourceRank?: Readonly<Record<string, readonly string[]>>;
}

/** Annotation items left out of a target, counted by `<task>: <reason>` (nothing is dropped silently). */
export type DropCounts = Map<string, number>;

const CAPTION_GRANULARITY = {
  '<CAPTION>': 'brief',
  '<DETAILED_CAPTION>': 'detailed',
  '<MORE_DETAILED_CAPTION>': 'more_detailed',
} as const;

const validBox = (b: readonly number[]) => b.length === 4 && b.every(Number.isFinite) && b[2] >= b[0] && b[3] >= b[1];
const byPosition = (a: RegionTextRecord, b: RegionTextRecord) =>
  a.box[1] - b.box[1] || a.box[0] - b.box[0] || (a.region_id < b.region_id ? -1 : a.region_id > b.region_id ? 1 : 0);
const score = (t: { score: number | null }) => t.score ?? -Infinity;

/**
 * Rows for one image, in the order of `opts.tasks`. A task without the labels it needs gives no row;
 * an item whose text or box cannot be written so that the parser gives it back is left out of its
 * target and counted in `drops`.
 */
export function rowsForImage(
  img: ExportImage,
  labels: ImageLabels,
  split: string,
  opts: RowOptions,
  drops: DropCounts = new Map(),
): ExportRow[] {
  const size: ImageSize = { width: img.width, height: img.height };
  const drop = (task: Task, reason: string) =>
    drops.set(`${task}: ${reason}`, (drops.get(`${task}: ${reason}`) ?? 0) + 1);
  const keep = <T>(task: Task, items: T[], problem: (x: T) => string | null): T[] =>
    items.filter((x) => {
      const p = problem(x);
      if (p) drop(task, p);
      return !p;
    });
  const objects = labels.region_text.filter((r) => r.kind === 'object').sort(byPosition);
  const boxProblem = (r: RegionTextRecord) => (validBox(r.box) ? null : 'box is not finite or has x1 < x0 or y1 < y0');
  const briefed = (task: Task) =>
    keep(
      task,
      objects.filter((r) => r.brief !== null),
      (r) => boxProblem(r) ?? boxLabelProblem(r.brief!),
    );
  const annotated = labels.region_text.length + labels.text.length + labels.text_phrase_region.length > 0;
  const rows: ExportRow[] = [];
  const add = (ex: TargetExample) =>
    rows.push({ image: img, task: ex.task as Task, prefix: ex.prefix, suffix: ex.suffix, split });
  for (const [task, weight] of Object.entries(opts.tasks) as [Task, number][]) {
    if (!(weight > 0) || (weight < 1 && draw(opts.seed, 'task', task, img.image_id) >= weight)) continue;
    switch (task) {
      case '<OD>': {
        const ok = keep(task, objects, (r) => boxProblem(r) ?? boxLabelProblem(r.phrase));
        if (ok.length)
          add(
            odExample(
              ok.map((r) => ({ label: r.phrase, box: r.box as Box })),
              size,
            ),
          );
        break;
      }
      case '<DENSE_REGION_CAPTION>': {
        const ok = briefed(task);
        if (ok.length)
          add(
            denseRegionCaptionExample(
              ok.map((r) => ({ label: r.brief!, box: r.box as Box })),
              size,
            ),
          );
        break;
      }
      case '<REGION_TO_DESCRIPTION>': {
        const ok = keep(task, briefed(task), (r) => plainTextProblem(r.brief!));
        if (!ok.length) break;
        // One region per image, drawn from the seed and image id: every round asks about the same one.
        const r = ok[Math.floor(draw(opts.seed, 'region', img.image_id) * ok.length)];
        add(regionExample(task, r.box as Box, r.brief!, size, { echoLocs: opts.regionEchoLocs }));
        break;
      }
      case '<OCR_WITH_REGION>': {
        const lines = labels.region_text.filter((r) => r.kind === 'text');
        const ok = keep(task, lines, (r) =>
          r.quad?.every(Number.isFinite) ? ocrTextProblem(r.phrase) : 'text region has no quad',
        );
        if (ok.length || (opts.ocrEmptyRows && annotated))
          add(
            ocrWithRegionExample(
              ok.map((r) => ({ text: r.phrase, quad: r.quad as Quad })),
              size,
            ),
          );
        break;
      }
      case '<CAPTION>':
      case '<DETAILED_CAPTION>':
      case '<MORE_DETAILED_CAPTION>': {
        const g = CAPTION_GRANULARITY[task];
        const texts = keep(
          task,
          labels.text.filter((t) => t.granularity === g),
          (t) => plainTextProblem(t.text),
        );
        // One caption per image and granularity: a trusted source's first, then the source the verified
        // set ranks best, then the best scored, then the lowest text id.
        const trusted = (t: TextRecord) => (opts.trustedTexts?.sources.includes(t.source) ? 1 : 0);
        const ranked = opts.sourceRank?.[g] ?? [];
        const rank = (t: TextRecord) => {
          const k = ranked.indexOf(t.source);
          return k < 0 ? ranked.length : k;
        };
        texts.sort(
          (a, b) =>
            trusted(b) - trusted(a) || rank(a) - rank(b) || score(b) - score(a) || (a.text_id < b.text_id ? -1 : 1),
        );
        if (!texts.length) break;
        const times = split === 'train' && trusted(texts[0]) ? opts.trustedTexts!.repeat : 1;
        for (let k = 0; k < times; k++) add(textExample(task, texts[0].text));
        break;
      }
      case '<CAPTION_TO_PHRASE_GROUNDING>': {
        const texts = labels.text
          .filter((t) => opts.groundingGranularities.includes(t.granularity))
          .sort((a, b) => (a.text_id < b.text_id ? -1 : 1));
        for (const t of texts) {
          if (plainTextProblem(t.text)) continue;
          const phrases = keep(
            task,
            labels.text_phrase_region.filter((p) => p.text_id === t.text_id),
            (p) =>
              boxLabelProblem(p.phrase) ??
              (p.boxes.every(validBox) ? null : 'box is not finite or has x1 < x0 or y1 < y0'),
          );
          if (phrases.length)
            add(
              groundingExample(
                t.text,
                phrases.map((p) => ({ phrase: p.phrase, span: p.span, boxes: p.boxes as Box[] })),
                size,
              ),
            );
        }
        break;
      }
    }
  }
  return rows;
}
