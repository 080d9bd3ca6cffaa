import {
  rowsForImage as rowsOf,
  TASKS,
  type ExportImage,
  type ExportRow,
  type ImageLabels,
  type Task,
} from '../../pipeline/export/training-rows.ts';
import { hash32 } from './rng.ts';

/**
 * The demo world's use of the training-export rows (pipeline/export/training-rows.ts, shared with `fld export`):
 * which tasks each demo specialist is trained on, and the world's split of its images.
 */
export { TASKS, type ExportImage, type ExportRow, type ImageLabels, type Task };

/** Which tasks each demo specialist is trained on. */
export const SPECIALIST_TASKS: Record<string, Task[]> = {
  detector: ['<OD>'],
  ocr: ['<OCR_WITH_REGION>'],
  captioner: ['<CAPTION>', '<DETAILED_CAPTION>', '<MORE_DETAILED_CAPTION>'],
  grounding: ['<CAPTION_TO_PHRASE_GROUNDING>'],
  region: ['<REGION_TO_DESCRIPTION>', '<DENSE_REGION_CAPTION>'],
};

/** A stable split from the image id alone: the same image is in the same split in every round. */
export function splitOf(image_id: string, validFraction: number): 'train' | 'valid' {
  return hash32(`split:${image_id}`) / 4294967296 < validFraction ? 'valid' : 'train';
}

/** Rows for one image with the export's default options (brief grounding, bare region text, empty OCR rows). */
export function rowsForImage(
  img: ExportImage,
  labels: ImageLabels,
  tasks: readonly Task[],
  split: string,
): ExportRow[] {
  const drops = new Map<string, number>();
  const rows = rowsOf(
    img,
    labels,
    split,
    {
      tasks: Object.fromEntries(tasks.map((t) => [t, 1])),
      seed: 0,
      groundingGranularities: ['brief'],
      regionEchoLocs: false,
      ocrEmptyRows: true,
    },
    drops,
  );
  if (drops.size)
    throw new Error(
      `export: image ${img.image_id}: labels that cannot be written as targets: ${JSON.stringify(Object.fromEntries(drops))}`,
    );
  return rows;
}
