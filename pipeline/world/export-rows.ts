import type { RegionTextRecord, TextPhraseRegionRecord, TextRecord } from '../../schemas/records.ts';
import { locTokens } from './loc.ts';
import { hash32 } from './rng.ts';

/**
 * The training-export format (DESIGN.md section 8): one row per (image, task) with the task token,
 * the prefix the model reads (task token + input) and the suffix it must write (florence2.md section 5).
 */
export const TASKS = [
  '<OD>', '<CAPTION>', '<DETAILED_CAPTION>', '<MORE_DETAILED_CAPTION>', '<CAPTION_TO_PHRASE_GROUNDING>',
  '<OCR_WITH_REGION>', '<REGION_TO_DESCRIPTION>', '<DENSE_REGION_CAPTION>',
] as const;
export type Task = (typeof TASKS)[number];

/** Which tasks each demo specialist is trained on. */
export const SPECIALIST_TASKS: Record<string, Task[]> = {
  detector: ['<OD>'],
  ocr: ['<OCR_WITH_REGION>'],
  captioner: ['<CAPTION>', '<DETAILED_CAPTION>', '<MORE_DETAILED_CAPTION>'],
  grounding: ['<CAPTION_TO_PHRASE_GROUNDING>'],
  region: ['<REGION_TO_DESCRIPTION>', '<DENSE_REGION_CAPTION>'],
};

export interface ExportImage {
  image_id: string;
  /** Absolute path of the image file. */
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

/** A stable split from the image id alone: the same image is in the same split in every round. */
export function splitOf(image_id: string, validFraction: number): 'train' | 'valid' {
  return hash32(`split:${image_id}`) / 4294967296 < validFraction ? 'valid' : 'train';
}

const byPosition = (a: RegionTextRecord, b: RegionTextRecord) => a.box[1] - b.box[1] || a.box[0] - b.box[0];

/**
 * Rows for one image. A task without the labels it needs (no caption of that granularity, no object
 * for a region task) gives no row; OCR gives a row with an empty suffix when no text was read, so the
 * model learns to say nothing rather than to invent text.
 */
export function rowsForImage(img: ExportImage, labels: ImageLabels, tasks: readonly Task[], split: string): ExportRow[] {
  const { width: W, height: H } = img;
  const objects = labels.region_text.filter((r) => r.kind === 'object').sort(byPosition);
  const texts = labels.region_text.filter((r) => r.kind === 'text' && r.quad).sort(byPosition);
  const caption = (g: string) => labels.text.find((t) => t.granularity === g);
  const rows: ExportRow[] = [];
  const add = (task: Task, prefix: string, suffix: string) => rows.push({ image: img, task, prefix, suffix, split });
  for (const task of tasks) {
    switch (task) {
      case '<OD>':
        if (objects.length) add(task, task, objects.map((r) => r.phrase + locTokens(r.box, W, H)).join(''));
        break;
      case '<CAPTION>':
      case '<DETAILED_CAPTION>':
      case '<MORE_DETAILED_CAPTION>': {
        const t = caption(task === '<CAPTION>' ? 'brief' : task === '<DETAILED_CAPTION>' ? 'detailed' : 'more_detailed');
        if (t) add(task, task, t.text);
        break;
      }
      case '<CAPTION_TO_PHRASE_GROUNDING>': {
        const t = caption('brief');
        if (!t) break;
        const phrases = labels.text_phrase_region.filter((p) => p.text_id === t.text_id).sort((a, b) => a.span[0] - b.span[0]);
        if (phrases.length) add(task, task + t.text, phrases.map((p) => p.phrase + p.boxes.map((b) => locTokens(b, W, H)).join('')).join(''));
        break;
      }
      case '<OCR_WITH_REGION>':
        add(task, task, texts.map((r) => r.phrase + locTokens(r.quad!, W, H)).join(''));
        break;
      case '<REGION_TO_DESCRIPTION>': {
        if (!objects.length) break;
        // One region per image, chosen from the image id so every round asks about the same one.
        const r = objects[hash32(`region:${img.image_id}`) % objects.length];
        add(task, task + locTokens(r.box, W, H), r.brief ?? r.phrase);
        break;
      }
      case '<DENSE_REGION_CAPTION>':
        if (objects.length) add(task, task, objects.map((r) => (r.brief ?? r.phrase) + locTokens(r.box, W, H)).join(''));
        break;
    }
  }
  return rows;
}
