import { join } from 'node:path';
import type { RegionTextRecord, TextPhraseRegionRecord, TextRecord } from '../../schemas/records.ts';
import { rowsForImage, splitOf, type ExportImage, type ExportRow, type ImageLabels, type Task } from './export-rows.ts';
import { writeJsonlExport, writeParquetExport } from './export-writers.ts';

/**
 * A training export from annotation rows of any source (noisy world labels now, a round's merged
 * annotations once the refinement stage wires it): group the rows by image, build the (image, task)
 * rows of each task group, write each group to `<out>/<group>/` in the chosen formats.
 */
export interface ExportOptions {
  /** Task groups, each written to its own folder: e.g. { all: TASKS } or the specialists' groups. */
  groups: Record<string, readonly Task[]>;
  validFraction: number;
  format: 'jsonl' | 'parquet' | 'both';
}

export interface AnnotationSet {
  region_text: RegionTextRecord[];
  text: TextRecord[];
  text_phrase_region: TextPhraseRegionRecord[];
}

export async function writeTrainingExport(
  out: string,
  images: readonly ExportImage[],
  labels: AnnotationSet,
  o: ExportOptions,
): Promise<Record<string, { rows: number; files: string[] }>> {
  const perImage = new Map<string, ImageLabels>(
    images.map((im) => [im.image_id, { region_text: [], text: [], text_phrase_region: [] }]),
  );
  for (const kind of ['region_text', 'text', 'text_phrase_region'] as const) {
    for (const r of labels[kind]) {
      const bucket = perImage.get(r.image_id);
      if (!bucket)
        throw new Error(
          `export: a ${kind} row names image ${r.image_id}, which is not among the ${images.length} images exported`,
        );
      (bucket[kind] as unknown[]).push(r);
    }
  }
  const result: Record<string, { rows: number; files: string[] }> = {};
  for (const [name, tasks] of Object.entries(o.groups)) {
    const rows: ExportRow[] = images.flatMap((im) =>
      rowsForImage(im, perImage.get(im.image_id)!, tasks, splitOf(im.image_id, o.validFraction)),
    );
    const dir = join(out, name);
    const files = [
      ...(o.format !== 'parquet' ? await writeJsonlExport(dir, rows) : []),
      ...(o.format !== 'jsonl' ? await writeParquetExport(dir, rows) : []),
    ];
    result[name] = { rows: rows.length, files };
  }
  return result;
}
